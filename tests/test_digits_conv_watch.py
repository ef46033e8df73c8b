"""A convolution you can watch (issue 14): the numbers the page hands the browser slide to torch's own conv2d,
and the page hands them over for the chosen filter. The browser's arithmetic is checked in
``tests/e2e/test_digits.py::test_watching_a_convolution_shows_the_engines_pre_activations``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from app.digits import keys as K
from app.digits.conv_watch import conv_watch_data, product_sums, unpack
from app.paths import page_file
from engine.digits import load_pretrained, preprocess_steps
from engine.digits.explain import explain_unit
from tests.helpers import seven


@pytest.fixture(scope="module")
def model():
    return load_pretrained()


@pytest.mark.parametrize(("layer", "channel"), [("conv1", 0), ("conv1", 5), ("conv2", 3), ("conv2", 15)])
def test_every_position_sums_to_torchs_convolution(model, layer, channel):
    features = model.forward_features(preprocess_steps(seven()).centred)
    data = conv_watch_data(model, features, layer, channel)
    source = torch.from_numpy(np.asarray(features["input" if layer == "conv1" else "pool1"], dtype=np.float32))
    weight = model.net.state_dict()[f"{layer}.weight"][channel:channel + 1]
    bias = model.net.state_dict()[f"{layer}.bias"][channel:channel + 1]
    expected = F.conv2d(source[None], weight, bias, padding=weight.shape[-1] // 2)[0, 0].numpy()
    sums = product_sums(data)
    assert sums.shape == expected.shape == features[layer].shape[1:]
    np.testing.assert_allclose(sums, expected, rtol=1e-5, atol=1e-5)
    # ... which is the engine's pre-activation for each unit, and its activation is the layer's value.
    for row, col in [(0, 0), (5, 9), (sums.shape[0] - 1, sums.shape[1] - 1)]:
        info = explain_unit(model, features, layer, (channel, row, col))
        assert sums[row, col] == pytest.approx(info.pre_activation, rel=1e-5, abs=1e-5)
    np.testing.assert_allclose(np.maximum(sums, 0), features[layer][channel], rtol=1e-5, atol=1e-5)
    assert data["activation"] == "relu" and data["pad"] == 2 and data["k"] == 5
    np.testing.assert_array_equal(unpack(data["kernel"]), weight[0].numpy().ravel())  # the model's own numbers


def test_the_padding_is_zero_and_the_inside_is_the_input(model):
    features = model.forward_features(preprocess_steps(seven()).centred)
    data = conv_watch_data(model, features, "conv2", 2)
    padded = unpack(data["input"]).reshape(data["channels"], 18, 18)
    np.testing.assert_array_equal(padded[:, 2:-2, 2:-2], features["pool1"])
    assert not padded[:, :2].any() and not padded[:, -2:].any() and not padded[:, :, :2].any()
    with pytest.raises(ValueError):
        conv_watch_data(model, features, "fc1", 0)


def _component_data(at, key: str) -> dict | None:
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if str(getattr(child, "key", None) or "") == key and type(child.proto).__name__ == "BidiComponent":
                found.append(json.loads(child.proto.json))
            walk(child)

    walk(at.main)
    return found[0] if found else None


def test_the_unit_tab_hands_the_browser_the_chosen_filter(model):
    at = AppTest.from_file(page_file("digits"), default_timeout=120)
    state = {K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: 4, K.DIGITS_TAB: "Inspect a unit",
             K.DIGITS_UNIT_LAYER: "conv2", f"{K.DIGITS_UNIT_CHANNEL}_conv2": 6, f"{K.DIGITS_UNIT_ROW}_conv2": 4,
             f"{K.DIGITS_UNIT_COL}_conv2": 8}
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    data = _component_data(at, "digits_conv_watch")
    assert data is not None and data["layer"] == "conv2" and data["channel"] == 6
    shown = next(m for m in at.metric if m.label == "Activation")
    pre = float(shown.delta.removeprefix("pre-activation "))
    assert product_sums(data)[4, 8] == pytest.approx(pre, abs=6e-5)  # the page shows 4 decimals
    # Not for a dense layer.
    at.session_state[K.DIGITS_UNIT_LAYER] = "fc1"
    at.run()
    assert not at.exception and _component_data(at, "digits_conv_watch") is None
