"""A convolution you can watch: one filter sliding over its input, position by position, with each product sum.

CNN Explainer's lesson on the student's own digit. The page hands the browser,
once per drawing, the filter's input maps (zero-padded), its weights and bias and
the activation; ``components/conv_watch.js`` then slides the window itself (play,
pause, step, back, or a click on the output map), multiplies and adds in the
browser and fills the output map as it goes: no server round trip per frame.

:func:`conv_watch_data` is pure (numbers in, plain dict out) so the tests can
check what the browser is given against torch's own convolution.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np

from app.html_view import own_component

_HERE = Path(__file__).parent / "components"
SOURCES = {"conv1": ("input", "the input image"), "conv2": ("pool1", "the maps of Downsampling 1")}


def conv_watch_data(model, features: dict[str, np.ndarray], layer: str, channel: int) -> dict:
    """What the browser needs to slide filter ``channel`` of ``layer`` (``"conv1"`` or ``"conv2"``) over its input.

    ``input``: the input maps ``(C, H + 2p, W + 2p)`` zero-padded by ``p = k // 2`` (as the network pads),
    map by map, row by row; ``kernel``: the filter ``(C, k, k)`` in the same order; both as little-endian
    float32 bytes in base64 (the model's own numbers, exactly; for Convolution 2 about 60 KB of JSON instead
    of 92 KB as JSON numbers, measured on a drawn 7); ``bias``; ``activation`` (the network's: relu, tanh,
    sigmoid or gelu); the sizes. Read them back with :func:`unpack`.
    """
    if layer not in SOURCES:
        raise ValueError(f"no convolution to watch in layer {layer!r}")
    source, source_title = SOURCES[layer]
    params = model.parameters_numpy()
    weights = np.asarray(params[f"{layer}.weight"][int(channel)], dtype=np.float32)
    maps = np.asarray(features[source], dtype=np.float32)
    maps = maps[None] if maps.ndim == 2 else maps
    k = weights.shape[-1]
    pad = k // 2
    padded = np.pad(maps, ((0, 0), (pad, pad), (pad, pad)))
    return dict(layer=layer, channel=int(channel), source=source_title, channels=int(maps.shape[0]),
                h=int(maps.shape[1]), w=int(maps.shape[2]), k=int(k), pad=int(pad),
                input=_pack(padded), kernel=_pack(weights),
                bias=float(params[f"{layer}.bias"][int(channel)]), activation=model.arch.activation)


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    """A packed array of :func:`conv_watch_data` (``input`` or ``kernel``) as flat float32."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def product_sums(data: dict) -> np.ndarray:
    """The pre-activation at every position, computed from ``data`` alone as the browser does (float64)."""
    c, h, w, k, pad = data["channels"], data["h"], data["w"], data["k"], data["pad"]
    padded = unpack(data["input"]).astype(np.float64).reshape(c, h + 2 * pad, w + 2 * pad)
    kernel = unpack(data["kernel"]).astype(np.float64).reshape(c, k, k)
    out = np.empty((h, w))
    for row in range(h):
        for col in range(w):
            out[row, col] = float((padded[:, row:row + k, col:col + k] * kernel).sum()) + data["bias"]
    return out


def show_conv_watch(data: dict, key: str = "digits_conv_watch") -> None:
    """Draw the watchable convolution for ``data`` from :func:`conv_watch_data`."""
    own_component(_HERE, "conv_watch")(key=key, data=data)
