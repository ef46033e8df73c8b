"""Model shapes, layer names, saving, and the shared weights staying read-only.

The unit explanations and the saliency map are checked in ``tests/test_explain.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.digits import LAYERS, load_pretrained, preprocess
from engine.digits.model import Architecture, DigitModel, DigitNet
from tests.helpers import seven

SMALL = Architecture(conv1_filters=4, conv2_filters=6, fc1_units=20, fc2_units=12)


@pytest.fixture(scope="module")
def small_model() -> DigitModel:
    return DigitModel(DigitNet(SMALL, generator=torch.Generator().manual_seed(0)))


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return preprocess(seven())


def test_predict_proba_shape_and_sum(small_model):
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    proba = small_model.predict_proba(images)
    assert proba.shape == (5, 10)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    assert small_model.predict_proba(images[0]).shape == (1, 10)


def test_predict_proba_rejects_wrong_size(small_model):
    with pytest.raises(ValueError):
        small_model.predict_proba(np.zeros((2, 32, 32)))


def test_forward_features_names_and_shapes(small_model, image):
    feats = small_model.forward_features(image)
    assert list(feats) == ["input", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "logits", "output"]
    assert [name for name, _ in LAYERS] == [n for n in feats if n != "logits"]
    shapes = {name: value.shape for name, value in feats.items()}
    assert shapes == {
        "input": (1, 28, 28), "conv1": (4, 28, 28), "pool1": (4, 14, 14), "conv2": (6, 14, 14),
        "pool2": (6, 7, 7), "fc1": (20,), "fc2": (12,), "logits": (10,), "output": (10,),
    }
    np.testing.assert_allclose(feats["output"], small_model.predict_proba(image)[0], atol=1e-6)


def test_softmax_matches_a_hand_computation(small_model, image):
    feats = small_model.forward_features(image)
    z = feats["logits"].astype(np.float64)
    np.testing.assert_allclose(feats["output"], np.exp(z) / np.exp(z).sum(), atol=1e-6)


def test_forward_features_agree_with_the_network(small_model, image):
    feats = small_model.forward_features(image)
    with torch.no_grad():
        logits = small_model.net(torch.from_numpy(image)[None, None])[0].numpy()
    np.testing.assert_allclose(feats["logits"], logits, atol=1e-6)
    np.testing.assert_array_equal(feats["input"][0], image)


@pytest.mark.parametrize("which", ["small", "shipped"])
def test_parameters_are_read_only(which, image):
    """The arrays are views of weights every session shares: writing to one must raise, not corrupt the model."""
    if which == "shipped":
        model = load_pretrained("cpu")
    else:  # a fresh model: if a write got through, the module's fixtures stay intact
        model = DigitModel(DigitNet(SMALL, generator=torch.Generator().manual_seed(1)))
    before = model.predict_proba(image)
    params = model.parameters_numpy()
    state = model.net.state_dict()
    assert set(params) == set(state)
    for name, array in params.items():
        np.testing.assert_array_equal(array, state[name].cpu().numpy())
        assert not array.flags.writeable, name
        with pytest.raises(ValueError):
            array[...] = 0.0
        with pytest.raises(ValueError):
            array *= 2.0
        if np.shares_memory(array, state[name].numpy()):  # a view must not be made writable again
            with pytest.raises(ValueError):
                array.flags.writeable = True
    np.testing.assert_array_equal(model.predict_proba(image), before)
    np.testing.assert_array_equal(model.parameters_numpy()["conv1.weight"], state["conv1.weight"].cpu().numpy())


def test_save_and_load_round_trip(small_model, image, tmp_path):
    path = tmp_path / "m.pt"
    small_model.save(path)
    again = DigitModel.load(path)
    np.testing.assert_allclose(again.predict_proba(image), small_model.predict_proba(image), atol=1e-6)
    assert again.arch == small_model.arch
    saved, loaded = small_model.parameters_numpy(), again.parameters_numpy()
    assert set(loaded) == set(saved)
    for name in saved:
        np.testing.assert_array_equal(loaded[name], saved[name])


def test_shipped_model_loads_and_reads_a_drawn_seven(image):
    model = load_pretrained("cpu")
    assert model.predict_proba(image).argmax() == 7
    assert not model.net.training


def test_architecture_validates_its_arguments():
    with pytest.raises(ValueError):
        Architecture(activation="swish")
    with pytest.raises(ValueError):
        Architecture(kernel_size=4)
    with pytest.raises(ValueError):
        Architecture(conv1_filters=0)
