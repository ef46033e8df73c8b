"""Pictures and charts of the mixture-of-experts page. Pure functions: data in, picture or figure out.

Maps over the plane are rendered here as RGB arrays for ``st.image`` (a few
milliseconds, no Plotly): the page redraws them about ten times a second while
training plays, and a Plotly heatmap remounting that often flickers and costs the
browser most of its time. The charts are SVG (:mod:`app.moe.svg`) for the same reason.
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
from PIL import Image

EXPERT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#393b79", "#ad494a", "#637939", "#e7ba52", "#843c39", "#5254a3", "#7f7f7f")
"""One colour per expert (16 at most), the same in every view."""
CLASS_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                "#1f78b4", "#b15928")
"""One colour per class (10 at most)."""
MAP_PIXELS = 240
"""Side of a rendered map in pixels."""


def rgb(hex_colors) -> np.ndarray:
    """``(n, 3)`` float array in [0, 1] from ``#rrggbb`` strings."""
    return np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in hex_colors], dtype=np.float32)


_EXPERT_RGB, _CLASS_RGB = rgb(EXPERT_COLORS), rgb(CLASS_COLORS)


def _paint(index: np.ndarray, strength: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """``(R, R, 3)`` colours ``palette[index]`` mixed with white by ``strength`` in [0, 1] (1 = full colour)."""
    strength = np.clip(np.nan_to_num(strength, nan=0.0), 0.0, 1.0)[..., None]
    colour = palette[np.clip(index, 0, len(palette) - 1)]
    return 1.0 - strength * (1.0 - colour)


def _to_image(picture: np.ndarray, side: int) -> np.ndarray:
    """``(R, R, 3)`` in [0, 1], grid row 0 at the bottom (y up) -> uint8 image about ``side`` pixels, row 0 on top."""
    picture = np.flipud(picture)
    factor = max(1, side // picture.shape[0])
    picture = picture.repeat(factor, axis=0).repeat(factor, axis=1)
    return (np.clip(picture, 0.0, 1.0) * 255).astype(np.uint8)


def _dots(image: np.ndarray, points: np.ndarray, bounds, colours: np.ndarray, size: int = 2) -> np.ndarray:
    """Draw ``points`` (N, 2) in plane coordinates onto ``image`` (H, W, 3) uint8 as ``size``-pixel squares."""
    if points is None or len(points) == 0:
        return image
    h, w = image.shape[:2]
    x0, x1, y0, y1 = bounds
    col = ((points[:, 0] - x0) / (x1 - x0) * (w - size)).astype(int)
    row = ((1.0 - (points[:, 1] - y0) / (y1 - y0)) * (h - size)).astype(int)
    keep = (col >= 0) & (col < w - size + 1) & (row >= 0) & (row < h - size + 1)
    col, row, colours = col[keep], row[keep], (np.clip(colours[keep], 0, 1) * 255).astype(np.uint8)
    for dr in range(size):
        for dc in range(size):
            image[row + dr, col + dc] = colours
    return image


def routing_picture(routing: dict, n_experts: int, points=None, bounds=None, side: int = MAP_PIXELS) -> np.ndarray:
    """The routing map: each place coloured by its top-1 expert, pale where the router is unsure.

    ``routing`` is :func:`engine.moe.views.routing_map`'s dict. Intensity goes from
    pale (confidence 1/E: the router cannot tell experts apart) to full colour
    (confidence 1). ``points`` (N, 2) are drawn as small dark dots to show where the data are.
    """
    floor = 1.0 / max(n_experts, 1)
    confidence = routing["confidence"]
    strength = np.ones_like(confidence) if n_experts == 1 else (confidence - floor) / (1.0 - floor)
    image = _to_image(_paint(routing["expert"], 0.12 + 0.88 * strength, _EXPERT_RGB), side)
    if points is not None:
        _dots(image, points, bounds, np.full((len(points), 3), 0.15, dtype=np.float32))
    return image


def decision_picture(label: np.ndarray, confidence: np.ndarray, n_classes: int, points=None, labels=None,
                     bounds=None, owned: np.ndarray | None = None, side: int = MAP_PIXELS) -> np.ndarray:
    """A decision map: each place coloured by its predicted class, paler where the model is unsure.

    ``label``, ``confidence`` : (R, R). ``owned`` (R, R) bool, for one expert's map:
    places the router does not send to that expert are faded, since there its answer
    is never used. ``points`` (N, 2) with their ``labels`` (N,) are drawn in full colour.
    """
    floor = 1.0 / max(n_classes, 2)
    strength = 0.08 + 0.5 * np.clip((confidence - floor) / (1.0 - floor), 0.0, 1.0)
    if owned is not None:
        strength = np.where(owned, 0.25 + strength, 0.12 * strength)
    image = _to_image(_paint(label, strength, _CLASS_RGB), side)
    if points is not None and labels is not None:
        _dots(image, points, bounds, _CLASS_RGB[np.clip(labels, 0, len(_CLASS_RGB) - 1)])
    return image


def mean_images(x: np.ndarray, experts: np.ndarray, n_experts: int, side: int = 28) -> np.ndarray:
    """``(E, side, side)`` in [0, 1]: the average input each expert gets (blank for an expert with none)."""
    out = np.zeros((n_experts, side, side), dtype=np.float32)
    for e in range(n_experts):
        chosen = x[experts == e]
        if len(chosen):
            mean = chosen.mean(0).reshape(side, side)
            out[e] = mean / max(float(mean.max()), 1e-6)
    return out


def png_uri(image: np.ndarray) -> str:
    """``data:`` URI of ``image`` (H, W) or (H, W, 3) uint8 as a PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def inline_png(image: np.ndarray, caption: str = "", alt: str = "") -> str:
    """``<figure>`` HTML holding ``image`` (H, W, 3) uint8 as an inline PNG, for ``st.markdown(unsafe_allow_html)``.

    ``st.image`` serves each picture as a media file that the next update deletes: at
    several updates a second the browser often asked for one already gone (broken
    pictures, 404s in the console). Inline, the picture travels with the update itself.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG", compress_level=1)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    text = f'<figcaption style="text-align:center;font-size:0.8rem;color:#777">{escape(caption)}</figcaption>' \
        if caption else ""
    height, width = image.shape[:2]  # the size before the picture decodes: its box is right at once
    return (f'<figure style="margin:0"><img src="data:image/png;base64,{data}" alt="{escape(alt or caption)}" '
            f'width="{width}" height="{height}" '
            f'style="width:100%;height:auto;image-rendering:pixelated;border-radius:4px">{text}</figure>')
