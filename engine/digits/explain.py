"""Explain one unit of a :class:`~engine.digits.model.DigitModel`, with the actual numbers.

For a chosen unit this recomputes, in NumPy, what the network did: the incoming
weights, the input values they multiply (the receptive-field patch for a
convolution, the 2x2 window for a max-pool, the whole previous layer for a fully
connected unit), the pre-activation ``w . x + b``, and the activation. The tests
check these against torch's own forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.digits.model import DigitModel

_ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "σ", "gelu": "GELU"}
_EXPLAINED_LAYERS = ("conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "logits", "output")


@dataclass(frozen=True)
class UnitExplanation:
    """How one unit's value came about.

    Attributes
    ----------
    layer : str
        Key of the layer (``"conv1"``, ``"pool2"``, ``"fc1"``, ``"output"``, ...).
    index : tuple[int, ...]
        ``(channel, row, col)`` for maps, ``(unit,)`` for vectors.
    kind : str
        ``"conv"``, ``"pool"``, ``"dense"`` or ``"softmax"``.
    weights : np.ndarray or None
        Incoming weights: ``(in_channels, k, k)`` filter, ``(C2, 7, 7)`` for fc1 or
        ``(n_inputs,)`` vector. Read-only: a view of the model's weights, which
        every session shares (see :meth:`DigitModel.parameters_numpy`).
    inputs : np.ndarray
        What the weights multiply: the patch ``(in_channels, k, k)``, the pool
        window ``(2, 2)``, the previous layer's vector, or the logits (softmax).
    bias : float or None
    pre_activation : float
        ``sum(weights * inputs) + bias`` (the window max for a pool; the logit for softmax).
    activation : float
        The unit's output value.
    formula : str
        The computation written out with the numbers.
    top_terms : list of (position, weight, input, product)
        The largest contributions ``weight * input`` by absolute value.
    """

    layer: str
    index: tuple[int, ...]
    kind: str
    weights: np.ndarray | None
    inputs: np.ndarray
    bias: float | None
    pre_activation: float
    activation: float
    formula: str
    top_terms: list[tuple[str, float, float, float]]


def explain_unit(
    model: DigitModel, features: dict[str, np.ndarray], layer: str, index: tuple[int, ...]
) -> UnitExplanation:
    """Explain unit ``index`` of ``layer`` given ``features`` from ``model.forward_features``.

    Raises ``ValueError`` for a layer without weights or a window (``"input"``) or an unknown name.
    """
    if layer not in _EXPLAINED_LAYERS:
        raise ValueError(f"no explanation for layer {layer!r}")
    params = model.parameters_numpy()
    act_label = _ACTIVATION_LABELS[model.arch.activation]
    value = float(features[layer][index])
    if layer in ("conv1", "conv2"):
        channel, row, col = index
        source = "input" if layer == "conv1" else "pool1"
        weights = params[f"{layer}.weight"][channel]
        bias = float(params[f"{layer}.bias"][channel])
        k = weights.shape[-1]
        pad = k // 2
        padded = np.pad(features[source], ((0, 0), (pad, pad), (pad, pad)))
        patch = padded[:, row : row + k, col : col + k]
        pre, sum_text, terms = _weighted_sum(weights, patch, bias, lambda i: f"ch{i[0]}[{i[1]},{i[2]}]")
        formula = (f"z = Σ w·x + b over {weights.size} terms ({weights.shape[0]}×{k}×{k}) = {sum_text};  "
                   f"a = {act_label}(z) = {value:.4f}")
        return UnitExplanation(layer, tuple(index), "conv", weights, patch, bias, pre, value, formula, terms)
    if layer in ("pool1", "pool2"):
        channel, row, col = index
        source = "conv1" if layer == "pool1" else "conv2"
        window = features[source][channel, 2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
        pre = float(window.max())
        numbers = ", ".join(f"{v:.4f}" for v in window.ravel())
        formula = f"a = max({numbers}) = {pre:.4f}"
        return UnitExplanation(layer, tuple(index), "pool", None, window, None, pre, value, formula, [])
    if layer in ("fc1", "fc2"):
        (unit,) = index
        source = "pool2" if layer == "fc1" else "fc1"
        inputs = features[source].ravel()
        weights = params[f"{layer}.weight"][unit]
        bias = float(params[f"{layer}.bias"][unit])
        pre, sum_text, terms = _weighted_sum(weights, inputs, bias, lambda i: f"{source}[{i[0]}]")
        formula = f"z = Σ w·x + b over {weights.size} inputs = {sum_text};  a = {act_label}(z) = {value:.4f}"
        if layer == "fc1":
            weights = weights.reshape(features["pool2"].shape)
            inputs = features["pool2"]
        return UnitExplanation(layer, tuple(index), "dense", weights, inputs, bias, pre, value, formula, terms)
    if layer in ("logits", "output"):
        (unit,) = index
        logits = features["logits"].astype(np.float64)
        shifted = np.exp(logits - logits.max())
        prob = float(shifted[unit] / shifted.sum())
        inputs = features["fc2"]
        weights = params["out.weight"][unit]
        bias = float(params["out.bias"][unit])
        _, sum_text, terms = _weighted_sum(weights, inputs, bias, lambda i: f"fc2[{i[0]}]")
        formula = (
            f"logit z{unit} = Σ w·x + b = {sum_text};  "
            f"p{unit} = e^z{unit} / Σ e^zj = {np.exp(logits[unit] - logits.max()):.4f} / {shifted.sum():.4f} "
            f"= {prob:.4f}  (all logits shifted by max z = {logits.max():.3f} for stability)"
        )
        return UnitExplanation("output", tuple(index), "softmax", weights, logits, bias,
                               float(logits[unit]), float(features["output"][unit]), formula, terms)
    raise ValueError(f"no explanation for layer {layer!r}")


def _weighted_sum(weights: np.ndarray, inputs: np.ndarray, bias: float, name, n: int = 8):
    """``(z, "Σw·x + (b) = z" with numbers, top terms)`` for ``z = sum(weights * inputs) + bias``."""
    products = weights * inputs
    total = float(products.sum())
    pre = total + bias
    return pre, f"{total:.4f} + ({bias:.4f}) = {pre:.4f}", _top_terms(weights, inputs, products, name, n)


def _top_terms(weights, inputs, products, name, n: int = 8):
    flat = np.argsort(-np.abs(products).ravel())[:n]
    out = []
    for f in flat:
        idx = np.unravel_index(f, products.shape)
        out.append((name(idx), float(weights[idx]), float(inputs[idx]), float(products[idx])))
    return out
