"""Network view: the CNN as layers of units and links, left to right; point at any unit to see its arithmetic.

The class of Adam Harley's 2-D visualisation. Every unit of every layer is drawn
(conv and pooling maps as tiles of units, dense layers as columns of nodes, a
dense layer with more than :data:`DENSE_SHOWN` units subsampled); pointing at a
unit (or tapping it) lights up its incoming connections with the real weights and
fills a box with its receptive field, its filter, its weighted sum with the
largest terms, the bias, the activation and the output. All of that is computed
in the browser (``components/network_view.js``) from two hand-overs:

- :func:`network_weights`, once per *model*: the filters and the incoming weights
  of the dense units shown, the biases, the activation. It is drawn by the page's
  full run (outside the drawing's fragment), so a drawing never sends it again;
  when a full run repeats it unchanged, Streamlit sends a reference to the copy the
  browser already holds (messages over 10 kB are cached by hash);
- :func:`network_activations`, once per *drawing*: every layer's activations and
  the logits, one zlib-compressed float32 array (about 35 KB of JSON for a drawn
  digit with the shipped model: after ReLU most values are zero).

Both are plain dicts of exact float32 numbers (base64), so the browser's sums are
the model's own to float32 rounding; the tests rebuild every shown unit's
pre-activation from them and compare it with torch.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from pathlib import Path

import numpy as np
import streamlit as st

from app.digits.layer_view import colour_table
from app.html_view import own_component

_HERE = Path(__file__).parent / "components"
DENSE_SHOWN = 32
"""The most nodes a dense layer's column shows (evenly spaced); the output's 10 are always all shown."""
ORDER = ("input", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "logits")
"""The layers in the activations array, in this order (``output`` is the softmax of ``logits``)."""
WEIGHTS_KEY, VIEW_KEY = "digits_network_weights", "digits_network_view"


def shown_units(n: int, cap: int = DENSE_SHOWN) -> list[int]:
    """Indices of the units a dense layer of ``n`` shows: all when ``n <= cap``, else ``cap`` evenly spaced."""
    if n <= cap:
        return list(range(n))
    return [int(i) for i in np.unique(np.rint(np.linspace(0, n - 1, cap)).astype(int))]


def model_tag(model) -> str:
    """A short fingerprint of ``model``'s weights (the first filters, the output layer, every bias).

    Ties a drawing's activations to the weights the browser holds: two models with
    different numbers get different tags.
    """
    params = model.parameters_numpy()
    digest = hashlib.blake2b(repr(model.arch).encode(), digest_size=8)
    for name in ("conv1.weight", "out.weight", "conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias", "out.bias"):
        digest.update(np.ascontiguousarray(params[name], dtype="<f4").tobytes())
    return digest.hexdigest()


def _pack(array: np.ndarray) -> str:
    """Float32 little-endian bytes, base64."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def _pack_z(array: np.ndarray) -> str:
    """Float32 little-endian bytes, zlib-compressed (fast level), base64."""
    raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
    return base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


def unpack(text: str, compressed: bool = False) -> np.ndarray:
    """A packed array of this module as flat float32 (``compressed``: one of the zlib-compressed ones)."""
    raw = base64.b64decode(text)
    return np.frombuffer(zlib.decompress(raw) if compressed else raw, dtype="<f4")


def network_weights(model) -> dict:
    """What the browser needs of ``model`` to answer a pointer on any shown unit (once per model).

    Keys: ``tag`` (:func:`model_tag`); the sizes ``c1, c2, k, f1, f2`` and ``activation``;
    ``fc1_shown`` and ``fc2_shown`` (:func:`shown_units`); packed float32 arrays:
    ``conv1_w (c1, 1, k, k)``, ``conv2_w (c2, c1, k, k)``, ``fc1_w (len(fc1_shown), c2·7·7)``
    (the shown units' rows only, inputs in ``pool2``'s flattened order: map, row, column),
    ``fc2_w (len(fc2_shown), f1)``, ``out_w (10, f2)``, and every bias (``conv1_b`` … ``out_b``).
    """
    params = model.parameters_numpy()
    arch = model.arch
    fc1_shown, fc2_shown = shown_units(arch.fc1_units), shown_units(arch.fc2_units)
    return dict(
        tag=model_tag(model), c1=arch.conv1_filters, c2=arch.conv2_filters, k=arch.kernel_size,
        f1=arch.fc1_units, f2=arch.fc2_units, activation=arch.activation, fc1_shown=fc1_shown, fc2_shown=fc2_shown,
        conv1_w=_pack(params["conv1.weight"]), conv2_w=_pack(params["conv2.weight"]),
        fc1_w=_pack(params["fc1.weight"][fc1_shown]), fc2_w=_pack(params["fc2.weight"][fc2_shown]),
        out_w=_pack(params["out.weight"]),
        **{f"{layer}_b": _pack(params[f"{layer}.bias"]) for layer in ("conv1", "conv2", "fc1", "fc2", "out")},
    )


def network_activations(tag: str, features: dict[str, np.ndarray]) -> dict:
    """One drawing's activations for the browser: every layer of :data:`ORDER` flattened into one float32
    array (``values``, zlib-compressed), with each layer's ``shapes`` and its ``offsets`` in it; ``tag``
    names the model they came from (:func:`model_tag`)."""
    arrays = [np.asarray(features[name], dtype=np.float32).reshape(-1) for name in ORDER]
    offsets = np.cumsum([0] + [a.size for a in arrays])[:-1]
    shapes = {name: list(np.shape(features[name])) for name in ORDER}
    return dict(tag=tag, values=_pack_z(np.concatenate(arrays)), shapes=shapes,
                offsets={name: int(o) for name, o in zip(ORDER, offsets, strict=True)})


def layer_values(data: dict, name: str) -> np.ndarray:
    """Layer ``name`` of :func:`network_activations`' dict, read back in its shape (as the browser reads it)."""
    flat = unpack(data["values"], compressed=True)
    shape = data["shapes"][name]
    start = data["offsets"][name]
    return flat[start:start + int(np.prod(shape))].reshape(shape)


NOTE = ("Every unit of the network for your digit, left to right. **Point at any unit** (or tap it) to light up its "
        "incoming connections (red: positive weight, blue: negative; wider: larger) and to read its arithmetic "
        "in the box: where it looks on the input, its filter, the largest products w·x, the bias and the output.")


def network_weights_section(model) -> None:
    """The model's weights for the view (drawn by the page's full run, outside the drawing's fragment)."""
    own_component(_HERE, "network_weights")(key=WEIGHTS_KEY, data=network_weights(model))


def network_section(model, features: dict[str, np.ndarray] | None) -> None:
    """The view for this drawing (``features`` is ``None`` when there is no digit): inside the drawing's fragment."""
    if features is None:
        st.info("The network view lights up once there is a digit: draw one (or pick an example), then point at "
                "any unit to see its arithmetic.")
        return
    data = network_activations(model_tag(model), features)
    data["lut"] = colour_table()
    own_component(_HERE, "network_view")(key=VIEW_KEY, data=data)
