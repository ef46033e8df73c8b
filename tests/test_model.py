"""Model shapes, layer names and the unit explanations against torch as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.digits import LAYERS, load_pretrained, preprocess
from engine.digits.explain import explain_unit
from engine.digits.model import Architecture, DigitModel, DigitNet
from tests.helpers import seven


@pytest.fixture(scope="module")
def small_model() -> DigitModel:
    torch.manual_seed(0)
    return DigitModel(DigitNet(Architecture(conv1_filters=4, conv2_filters=6, fc1_units=20, fc2_units=12)))


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


@pytest.mark.parametrize(
    "layer,index",
    [("conv1", (2, 10, 13)), ("conv1", (0, 0, 0)), ("conv2", (5, 7, 3)), ("pool1", (1, 6, 7)),
     ("pool2", (3, 3, 3)), ("fc1", (7,)), ("fc2", (4,)), ("output", (7,))],
)
def test_unit_explanation_reproduces_the_forward_pass(small_model, image, layer, index):
    feats = small_model.forward_features(image)
    info = explain_unit(small_model, feats, layer, index)
    assert info.activation == pytest.approx(float(feats[layer][index]), abs=1e-5)
    if info.kind in ("conv", "dense"):
        assert info.activation == pytest.approx(max(info.pre_activation, 0.0), abs=1e-4)  # ReLU
        if info.kind == "conv":
            assert info.weights.shape == info.inputs.shape
    if info.kind == "softmax":
        assert info.pre_activation == pytest.approx(float(feats["logits"][index]), abs=1e-5)
    assert f"{info.activation:.4f}" in info.formula


def test_saliency_shape_and_no_weight_gradients(small_model, image):
    sal = small_model.saliency(image)
    assert sal.shape == (28, 28) and np.isfinite(sal).all()
    assert all(p.grad is None for p in small_model.net.parameters())
    assert not sal[image == 0].any()  # gradient x input is zero where there is no ink


def test_save_and_load_round_trip(small_model, image, tmp_path):
    path = tmp_path / "m.pt"
    small_model.save(path)
    again = DigitModel.load(path)
    np.testing.assert_allclose(again.predict_proba(image), small_model.predict_proba(image), atol=1e-6)
    assert again.arch == small_model.arch


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
