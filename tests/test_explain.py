"""The unit inspector's arithmetic and the saliency map, against torch as the oracle.

Every check picks *live* units: convolution and dense units whose input is not
all zeros and whose value is not zero, pool windows with four distinct non-zero
values. A dead unit (``ReLU(bias)`` of an empty patch) would pass a test that got
the patch, the weights or the sum wrong.

The oracle recomputes each layer with ``torch.nn.functional`` from the network's
weights (not through :meth:`DigitNet.forward_features`), takes receptive fields
from ``F.unfold``, softmax from ``torch.softmax`` and gradients from autograd in
float64.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from engine.digits import load_pretrained, preprocess
from engine.digits.explain import UnitExplanation, explain_unit
from engine.digits.model import Architecture, DigitModel, DigitNet
from tests.helpers import seven

ORACLE_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": F.gelu}
"""The activations by name, written out here so that a wrong entry in the engine's table shows."""

SMALL_NETS = {  # activation -> (kernel size, seed): every activation, every kernel size
    "relu": (5, 0),
    "tanh": (3, 1),
    "sigmoid": (7, 2),
    "gelu": (5, 3),
}
MODELS = [*SMALL_NETS, "shipped"]
TOL = {"rtol": 1e-4, "atol": 1e-5}
FORMULA_TOL = 2e-4
"""The formula prints 4 decimals: a printed sum may differ from the printed terms by two roundings."""


def small_model(activation: str) -> DigitModel:
    """A small :class:`DigitNet` with ``activation`` and fixed weights from a seeded ``torch.Generator``.

    Weights are normal with standard deviation ``2 / sqrt(fan_in)`` (a little above
    He's), biases ``N(0, 0.1)``: large enough that the drawn 7 reaches every layer
    with values well away from zero, whatever the activation.
    """
    kernel, seed = SMALL_NETS[activation]
    arch = Architecture(conv1_filters=4, conv2_filters=6, kernel_size=kernel, fc1_units=20, fc2_units=12,
                        activation=activation)
    generator = torch.Generator().manual_seed(seed)
    net = DigitNet(arch, generator=generator)
    with torch.no_grad():
        for name, param in net.named_parameters():
            if name.endswith("weight"):
                fan_in = param[0].numel()
                param.copy_(torch.randn(param.shape, generator=generator) * 2.0 / fan_in**0.5)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.1)
    return DigitModel(net)


@pytest.fixture(scope="module", params=MODELS)
def model(request) -> DigitModel:
    return load_pretrained("cpu") if request.param == "shipped" else small_model(request.param)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A drawn 7, preprocessed: ink in the middle, zeros around it."""
    return preprocess(seven())


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    """Ink everywhere, edges included, so border patches overlap the zero padding and real values."""
    return np.random.default_rng(5).random((28, 28), dtype=np.float32)


def functional_forward(net: DigitNet, image: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
    """Every layer of ``net`` for one ``(28, 28)`` image, in float64, by ``torch.nn.functional``.

    Keys: ``"z_<layer>"`` (pre-activation) and ``"<layer>"`` (activation) for the
    convolutions and dense layers, ``"pool1"``, ``"pool2"``, ``"logits"`` and
    ``"output"``; batch axis removed. Differentiable in ``image`` when it is a
    tensor that requires grad.
    """
    x = image if isinstance(image, torch.Tensor) else torch.from_numpy(np.asarray(image, dtype=np.float64))
    x = x.reshape(1, 1, 28, 28)
    act = ORACLE_ACTIVATIONS[net.arch.activation]
    w = {name: p.detach().double() for name, p in net.named_parameters()}
    pad = net.arch.kernel_size // 2
    out = {"input": x[0]}
    h = x
    for conv, pool in (("conv1", "pool1"), ("conv2", "pool2")):
        z = F.conv2d(h, w[f"{conv}.weight"], w[f"{conv}.bias"], padding=pad)
        h = act(z)
        out[f"z_{conv}"], out[conv] = z[0], h[0]
        h = F.max_pool2d(h, 2)
        out[pool] = h[0]
    h = h.flatten(1)
    for dense in ("fc1", "fc2"):
        z = F.linear(h, w[f"{dense}.weight"], w[f"{dense}.bias"])
        h = act(z)
        out[f"z_{dense}"], out[dense] = z[0], h[0]
    logits = F.linear(h, w["out.weight"], w["out.bias"])
    out["logits"], out["output"] = logits[0], torch.softmax(logits, dim=1)[0]
    return out


def oracle(model: DigitModel, image: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`functional_forward` as NumPy arrays."""
    with torch.no_grad():
        return {k: v.numpy() for k, v in functional_forward(model.net, image).items()}


def receptive_field(source: np.ndarray, row: int, col: int, k: int) -> np.ndarray:
    """The ``(C, k, k)`` patch a 'same' convolution reads for output ``(row, col)``, via ``F.unfold``."""
    cols = F.unfold(torch.from_numpy(source)[None], k, padding=k // 2)  # (1, C*k*k, H*W)
    return cols[0, :, row * source.shape[2] + col].reshape(source.shape[0], k, k).numpy()


def weight(model: DigitModel, name: str) -> np.ndarray:
    return dict(model.net.named_parameters())[name].detach().double().numpy()


def live_picks(z: np.ndarray, a: np.ndarray, bias: np.ndarray) -> list[tuple[int, ...]]:
    """Up to two live units: the largest and the smallest input-driven part ``z - b``.

    Live: the activation is not ~0 and ``|z - b| > 0.05``, so the incoming values
    matter. For maps ``bias`` is per channel.
    """
    wx = z - (bias[:, None, None] if z.ndim == 3 else bias)
    live = (np.abs(a) > 1e-3) & (np.abs(wx) > 0.05)
    assert live.any(), "the fixture network has no live unit in this layer"
    candidates = np.where(live, wx, np.nan)
    picks = [np.unravel_index(int(np.nanargmax(candidates)), z.shape),
             np.unravel_index(int(np.nanargmin(candidates)), z.shape)]
    return list(dict.fromkeys(tuple(int(i) for i in p) for p in picks))


def numbers(formula: str) -> list[float]:
    """The decimal numbers written in a formula, in order (integers such as sizes are skipped)."""
    return [float(m) for m in re.findall(r"[-+]?\d+\.\d+", formula)]


def position(label: str) -> tuple[int, ...]:
    """``"ch2[3,4]"`` -> ``(2, 3, 4)``; ``"pool2[17]"`` -> ``(17,)`` (a layer's own digit is not a position)."""
    head, inside = label.rstrip("]").split("[")
    at = tuple(int(i) for i in inside.split(","))
    return (int(head[2:]), *at) if head.startswith("ch") else at


def check_top_terms(info: UnitExplanation, weights: np.ndarray, inputs: np.ndarray, n: int = 8) -> None:
    """``top_terms`` are the ``n`` largest ``|w * x|`` of the oracle, each with its own weight and input."""
    products = weights * inputs
    assert len(info.top_terms) == min(n, products.size)
    largest = np.sort(np.abs(products).ravel())[::-1][:n]
    np.testing.assert_allclose([abs(t[3]) for t in info.top_terms], largest, **TOL)
    for label, w, x, wx in info.top_terms:
        at = position(label)
        assert w == pytest.approx(weights[at], rel=1e-5, abs=1e-6), label
        assert x == pytest.approx(inputs[at], rel=1e-5, abs=1e-6), label
        assert wx == pytest.approx(w * x, rel=1e-5, abs=1e-7), label


def check_weighted_sum_formula(info: UnitExplanation, z: float, a: float | None) -> None:
    """The formula's ``Σ w·x + (b) = z`` adds up and its numbers are the oracle's (``a`` when printed)."""
    total, bias, pre, *rest = numbers(info.formula)
    assert bias == pytest.approx(info.bias, abs=1e-4)
    assert total + bias == pytest.approx(pre, abs=FORMULA_TOL)
    assert pre == pytest.approx(z, abs=FORMULA_TOL)
    if a is not None:
        assert rest == [pytest.approx(a, abs=FORMULA_TOL)]


def test_position_reads_term_labels():
    assert position("ch2[3,4]") == (2, 3, 4)
    assert position("pool2[17]") == (17,)
    assert position("fc1[5]") == (5,)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_conv_unit_matches_torch(model, image, noise, layer):
    source = "input" if layer == "conv1" else "pool1"
    k = model.arch.kernel_size
    act = ORACLE_ACTIVATIONS[model.arch.activation]
    for picture, picks in ((image, None), (noise, "corners")):
        ref = oracle(model, picture)
        bias = weight(model, f"{layer}.bias")
        if picks is None:
            units = live_picks(ref[f"z_{layer}"], ref[layer], bias)
        else:  # the padding: corners whose patch is part zeros, part ink
            last = ref[layer].shape[1] - 1
            units = [(0, 0, 0), (1, last, last), (2, 0, last), (3, last, 0)]
        features = model.forward_features(picture)
        for unit in units:
            channel, row, col = unit
            info = explain_unit(model, features, layer, unit)
            patch = receptive_field(ref[source], row, col, k)
            assert info.kind == "conv" and info.index == unit
            assert np.count_nonzero(patch) >= 3 and len(np.unique(patch)) >= 3, "a dead unit: empty patch"
            np.testing.assert_allclose(info.inputs, patch, **TOL)
            np.testing.assert_allclose(info.weights, weight(model, f"{layer}.weight")[channel], **TOL)
            assert info.bias == pytest.approx(bias[channel], rel=1e-6)
            z, a = ref[f"z_{layer}"][unit], ref[layer][unit]
            assert info.pre_activation == pytest.approx(z, rel=1e-4, abs=1e-5)
            assert info.activation == pytest.approx(a, rel=1e-4, abs=1e-5)
            assert float(act(torch.tensor(info.pre_activation))) == pytest.approx(info.activation, rel=1e-4, abs=1e-5)
            assert float(np.sum(info.weights * info.inputs)) + info.bias == pytest.approx(info.pre_activation,
                                                                                        rel=1e-5, abs=1e-5)
            check_weighted_sum_formula(info, z, a)
            check_top_terms(info, weight(model, f"{layer}.weight")[channel], patch)


def pool_window(conv: np.ndarray) -> tuple[int, int, int]:
    """A 2x2 window with four distinct non-zero values whose max is not the first one, the largest such."""
    c, h, w = conv.shape
    windows = conv.reshape(c, h // 2, 2, w // 2, 2).transpose(0, 1, 3, 2, 4).reshape(c, h // 2, w // 2, 4)
    distinct = np.array([[[len(np.unique(v)) == 4 for v in r] for r in ch] for ch in windows])
    good = distinct & (windows != 0).all(-1) & (windows.argmax(-1) != 0)
    assert good.any(), "no pool window with four distinct non-zero values"
    return tuple(int(i) for i in np.unravel_index(int(np.where(good, windows.max(-1), -np.inf).argmax()), good.shape))


@pytest.mark.parametrize("layer", ["pool1", "pool2"])
def test_pool_unit_is_the_max_of_a_live_window(model, image, layer):
    source = "conv1" if layer == "pool1" else "conv2"
    ref = oracle(model, image)
    unit = pool_window(ref[source])
    channel, row, col = unit
    window = ref[source][channel, 2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
    info = explain_unit(model, model.forward_features(image), layer, unit)
    assert info.kind == "pool" and info.weights is None and info.bias is None
    assert len(np.unique(info.inputs)) == 4 and np.all(info.inputs != 0)
    np.testing.assert_allclose(info.inputs, window, **TOL)
    assert info.pre_activation == pytest.approx(window.max(), rel=1e-4, abs=1e-6)
    assert info.activation == pytest.approx(ref[layer][unit], rel=1e-4, abs=1e-6)
    assert info.pre_activation == pytest.approx(info.activation, rel=1e-6)
    assert numbers(info.formula) == pytest.approx([*window.ravel(), window.max()], abs=1e-4)


@pytest.mark.parametrize("layer", ["fc1", "fc2"])
def test_dense_unit_matches_torch(model, image, layer):
    source = "pool2" if layer == "fc1" else "fc1"
    act = ORACLE_ACTIVATIONS[model.arch.activation]
    ref = oracle(model, image)
    weights, bias = weight(model, f"{layer}.weight"), weight(model, f"{layer}.bias")
    inputs = ref[source].ravel()
    features = model.forward_features(image)
    for unit in live_picks(ref[f"z_{layer}"], ref[layer], bias):
        info = explain_unit(model, features, layer, unit)
        assert info.kind == "dense" and info.index == unit
        np.testing.assert_allclose(info.inputs, ref[source], **TOL)  # fc1 keeps pool2's (C2, 7, 7) shape
        np.testing.assert_allclose(info.weights, weights[unit].reshape(ref[source].shape), **TOL)
        z, a = ref[f"z_{layer}"][unit], ref[layer][unit]
        assert info.pre_activation == pytest.approx(z, rel=1e-4, abs=1e-5)
        assert info.activation == pytest.approx(a, rel=1e-4, abs=1e-5)
        assert float(act(torch.tensor(info.pre_activation))) == pytest.approx(info.activation, rel=1e-4, abs=1e-5)
        assert float(np.sum(info.weights * info.inputs)) + info.bias == pytest.approx(info.pre_activation,
                                                                                    rel=1e-5, abs=1e-5)
        check_weighted_sum_formula(info, z, a)
        check_top_terms(info, weights[unit], inputs)


def test_output_unit_is_the_softmax_probability(model, image):
    ref = oracle(model, image)
    probs = torch.softmax(torch.from_numpy(ref["logits"]), dim=0).numpy()
    order = np.argsort(probs)[::-1]
    features = model.forward_features(image)
    for unit in (int(order[0]), int(order[1]), int(order[-1])):
        info = explain_unit(model, features, "output", (unit,))
        assert info.kind == "softmax" and info.layer == "output"
        assert abs(probs[unit] - ref["logits"][unit]) > 1e-3, "a probability equal to its logit proves nothing"
        assert info.activation == pytest.approx(probs[unit], rel=1e-4, abs=1e-7)
        np.testing.assert_allclose(info.inputs, ref["logits"], **TOL)
        assert info.pre_activation == pytest.approx(ref["logits"][unit], rel=1e-4, abs=1e-5)
        np.testing.assert_allclose(info.weights, weight(model, "out.weight")[unit], **TOL)
        assert info.bias == pytest.approx(weight(model, "out.bias")[unit], rel=1e-6)
        total, bias, pre, shifted, denominator, p, top = numbers(info.formula)
        assert total + bias == pytest.approx(pre, abs=FORMULA_TOL)
        assert pre == pytest.approx(ref["logits"][unit], abs=FORMULA_TOL)
        assert shifted == pytest.approx(np.exp(ref["logits"][unit] - ref["logits"].max()), abs=1e-4)
        assert denominator == pytest.approx(np.exp(ref["logits"] - ref["logits"].max()).sum(), abs=1e-4)
        assert p == pytest.approx(probs[unit], abs=1e-4)
        assert top == pytest.approx(ref["logits"].max(), abs=1e-3)
        check_top_terms(info, weight(model, "out.weight")[unit], ref["fc2"])
    total = sum(explain_unit(model, features, "output", (d,)).activation for d in range(10))
    assert total == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("layer", ["input", "dropout"])
def test_unknown_layer_is_rejected(model, image, layer):
    with pytest.raises(ValueError, match="no explanation"):
        explain_unit(model, model.forward_features(image), layer, (0,))


def test_explained_weights_are_read_only(image):
    model = small_model("relu")  # its own copy: a write that got through must not spoil other tests
    features = model.forward_features(image)
    before = model.predict_proba(image)
    for layer, index in (("conv1", (0, 14, 14)), ("conv2", (1, 7, 7)), ("fc1", (3,)), ("fc2", (2,)),
                         ("output", (7,))):
        info = explain_unit(model, features, layer, index)
        assert not info.weights.flags.writeable, layer
        with pytest.raises(ValueError):
            info.weights[...] = 0.0
        with pytest.raises(ValueError):
            info.weights *= 2.0
    np.testing.assert_array_equal(model.predict_proba(image), before)


def reference_saliency(net: DigitNet, image: np.ndarray, target: int) -> np.ndarray:
    """Gradient of logit ``target`` with respect to the input, times the input: float64 autograd."""
    x = torch.from_numpy(np.asarray(image, dtype=np.float64)).requires_grad_(True)
    logit = functional_forward(net, x)["logits"][target]
    (grad,) = torch.autograd.grad(logit, x)
    return (grad * x).detach().numpy()


@pytest.mark.parametrize("which", ["first guess", "second guess", "another class"])
def test_saliency_matches_autograd(model, image, which):
    order = [int(d) for d in np.argsort(model.predict_proba(image)[0])[::-1]]
    target = {"first guess": order[0], "second guess": order[1], "another class": order[6]}[which]
    given = image.copy()
    sal = model.saliency(given, target)
    ref = reference_saliency(model.net, image, target)
    np.testing.assert_array_equal(given, image)  # the input is not modified
    assert all(p.grad is None for p in model.net.parameters())  # nor are the shared weights touched
    assert sal.shape == (28, 28)
    scale = np.abs(ref).max()
    assert scale > 0
    np.testing.assert_allclose(sal, ref, rtol=1e-3, atol=1e-4 * scale)
    ink = image > 0
    assert np.abs(sal[ink]).max() > 1e-2 * scale  # some ink matters
    assert not sal[~ink].any()  # gradient x input is exactly zero without ink
    strong = np.abs(ref) > 1e-2 * scale
    assert strong.sum() >= 10
    np.testing.assert_array_equal(np.sign(sal[strong]), np.sign(ref[strong]))
    if which != "first guess":  # the target matters: another class has another map
        first = reference_saliency(model.net, image, order[0])
        assert np.abs(ref - first).max() > 0.1 * max(scale, np.abs(first).max())


def test_saliency_defaults_to_the_first_guess(model, image):
    first = int(model.predict_proba(image)[0].argmax())
    np.testing.assert_array_equal(model.saliency(image), model.saliency(image, first))
