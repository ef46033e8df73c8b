"""The network view (issue 14): what the page hands the browser reproduces torch's pre-activations for every
unit of every layer the view draws, and the page hands it over (weights once, in the full run; activations
with each drawing). The browser's own arithmetic and pointing are checked in ``tests/e2e/test_digits.py``
(``test_pointing_at_units_in_the_network_view_*``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view
from streamlit.testing.v1 import AppTest

from app.digits import keys as K
from app.digits.network_view import (
    DENSE_SHOWN,
    ORDER,
    VIEW_KEY,
    WEIGHTS_KEY,
    layer_values,
    model_tag,
    network_activations,
    network_weights,
    shown_units,
    unpack,
)
from app.paths import page_file
from engine.digits import Architecture, DigitModel, DigitNet, load_pretrained, preprocess_steps
from engine.digits.explain import explain_unit
from tests.helpers import seven


@pytest.fixture(scope="module")
def model():
    return load_pretrained()


@pytest.fixture(scope="module")
def handed(model):
    """The shipped model's features for a drawn 7, and what the page hands the browser for them."""
    features = model.forward_features(preprocess_steps(seven()).centred)
    return features, network_weights(model), network_activations(model_tag(model), features)


def _weights(data: dict, name: str, shape: tuple[int, ...]) -> np.ndarray:
    return unpack(data[name]).astype(np.float64).reshape(shape)


def _conv_sums(inputs: np.ndarray, filters: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Σ w·x + b at every position, zero padding, from NumPy alone (float64): ``(C_out, H, W)``."""
    k = filters.shape[-1]
    padded = np.pad(inputs.astype(np.float64), ((0, 0), (k // 2, k // 2), (k // 2, k // 2)))
    windows = sliding_window_view(padded, (k, k), axis=(1, 2))  # (C_in, H, W, k, k)
    return np.einsum("chwij,ocij->ohw", windows, filters) + bias[:, None, None]


def _torch_pre(model, features) -> dict[str, np.ndarray]:
    """Torch's own pre-activations of every layer with weights, from the engine's features."""
    net = model.net
    with torch.inference_mode():
        t = {name: torch.from_numpy(np.asarray(features[name], dtype=np.float32))[None] for name in ORDER}
        return {"conv1": net.conv1(t["input"])[0].numpy(), "conv2": net.conv2(t["pool1"])[0].numpy(),
                "fc1": net.fc1(t["pool2"].flatten(1))[0].numpy(), "fc2": net.fc2(t["fc1"])[0].numpy(),
                "out": net.out(t["fc2"])[0].numpy()}


def test_the_activations_are_the_engines_own_numbers(handed):
    features, _, acts = handed
    for name in ORDER:
        np.testing.assert_array_equal(layer_values(acts, name), features[name].astype(np.float32))
    assert len(acts["values"]) < 60_000, "a drawing's activations should stay compact"


def test_every_shown_unit_of_every_layer_sums_to_torchs_pre_activation(model, handed):
    features, w, acts = handed
    pre = _torch_pre(model, features)
    c1, c2, k, f1, f2 = w["c1"], w["c2"], w["k"], w["f1"], w["f2"]
    x = {name: layer_values(acts, name).astype(np.float64) for name in ORDER}
    conv1 = _conv_sums(x["input"], _weights(w, "conv1_w", (c1, 1, k, k)), _weights(w, "conv1_b", (c1,)))
    conv2 = _conv_sums(x["pool1"], _weights(w, "conv2_w", (c2, c1, k, k)), _weights(w, "conv2_b", (c2,)))
    np.testing.assert_allclose(conv1, pre["conv1"], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(conv2, pre["conv2"], rtol=1e-5, atol=2e-5)
    # Dense layers: the rows handed over are those of the shown units, and every input (shown or not) is there.
    fc1_rows = _weights(w, "fc1_w", (len(w["fc1_shown"]), c2 * 49))
    fc2_rows = _weights(w, "fc2_w", (len(w["fc2_shown"]), f1))
    fc1 = fc1_rows @ x["pool2"].ravel() + _weights(w, "fc1_b", (f1,))[w["fc1_shown"]]
    fc2 = fc2_rows @ x["fc1"] + _weights(w, "fc2_b", (f2,))[w["fc2_shown"]]
    out = _weights(w, "out_w", (10, f2)) @ x["fc2"] + _weights(w, "out_b", (10,))
    np.testing.assert_allclose(fc1, pre["fc1"][w["fc1_shown"]], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(fc2, pre["fc2"][w["fc2_shown"]], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(out, pre["out"], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(out, features["logits"], rtol=1e-5, atol=2e-5)
    # ... and the engine's explainer (the page's other way in) agrees unit by unit.
    for layer, sums, index in (("conv1", conv1, (3, 14, 12)), ("conv2", conv2, (5, 0, 13)), ("fc1", fc1, None),
                               ("fc2", fc2, None), ("output", out, (7,))):
        if index is None:
            position = 5
            index = (w[f"{layer}_shown"][position],)
            value = sums[position]
        else:
            value = sums[index]
        assert value == pytest.approx(explain_unit(model, features, layer, index).pre_activation, rel=1e-5, abs=2e-5)
    # The activation of each sum is the layer's value (ReLU).
    np.testing.assert_allclose(np.maximum(conv2, 0), features["conv2"], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(np.maximum(fc1, 0), features["fc1"][w["fc1_shown"]], rtol=1e-5, atol=2e-5)


def test_the_weights_are_the_models_own_numbers(model, handed):
    _, w, _ = handed
    params = model.parameters_numpy()
    np.testing.assert_array_equal(unpack(w["conv2_w"]), params["conv2.weight"].ravel())
    np.testing.assert_array_equal(unpack(w["fc1_w"]), params["fc1.weight"][w["fc1_shown"]].ravel())
    assert w["activation"] == model.arch.activation and w["tag"] == model_tag(model)


def test_dense_layers_are_subsampled_evenly_and_say_how_many():
    assert shown_units(10) == list(range(10))
    assert shown_units(DENSE_SHOWN) == list(range(DENSE_SHOWN))
    picked = shown_units(256)
    assert len(picked) == DENSE_SHOWN and picked[0] == 0 and picked[-1] == 255
    assert np.all(np.diff(picked) >= 7) and np.all(np.diff(picked) <= 9)
    small = DigitModel(DigitNet(Architecture(conv1_filters=4, conv2_filters=6, fc1_units=20, fc2_units=40),
                                generator=torch.Generator().manual_seed(0)))
    w = network_weights(small)
    assert w["fc1_shown"] == list(range(20)) and len(w["fc2_shown"]) == DENSE_SHOWN
    assert len(unpack(w["fc2_w"])) == DENSE_SHOWN * 20


def test_two_models_get_two_tags(model):
    other = DigitModel(DigitNet(model.arch, generator=torch.Generator().manual_seed(1)))
    assert model_tag(other) != model_tag(model)
    assert model_tag(model) == model_tag(load_pretrained())  # the same numbers, the same tag


def _component_data(at, key: str) -> list[dict]:
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if str(getattr(child, "key", None) or "") == key and type(child.proto).__name__ == "BidiComponent":
                found.append(json.loads(child.proto.json))
            walk(child)

    walk(at.main)
    return found


def test_the_page_hands_over_weights_and_a_drawings_activations(model):
    at = AppTest.from_file(page_file("digits"), default_timeout=120)
    at.session_state[K.DIGITS_TAB] = "Network view"
    at.run()  # no digit yet: a clear message, the weights already there, no view of nothing
    assert not at.exception
    assert any("network view lights up once there is a digit" in i.value for i in at.info)
    assert len(_component_data(at, WEIGHTS_KEY)) == 1 and not _component_data(at, VIEW_KEY)
    at.session_state[K.DIGITS_SOURCE] = "Example digit"
    at.session_state[K.DIGITS_EXAMPLE_CLASS] = 4
    at.run()
    assert not at.exception
    [weights], [view] = _component_data(at, WEIGHTS_KEY), _component_data(at, VIEW_KEY)
    assert view["tag"] == weights["tag"] == model_tag(model)
    assert int(np.argmax(layer_values(view, "logits"))) == 4
    # Another tab open: neither is built.
    other = AppTest.from_file(page_file("digits"), default_timeout=120)
    other.session_state[K.DIGITS_TAB] = "Layers"
    other.session_state[K.DIGITS_SOURCE] = "Example digit"
    other.run()
    assert not other.exception and not _component_data(other, WEIGHTS_KEY) and not _component_data(other, VIEW_KEY)
