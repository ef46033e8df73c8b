"""Maps rendered as RGB pictures (NumPy, no Plotly): thumbnails, the live build-up and the compare strip.

A Plotly heatmap costs the browser a remount on every update; a picture is a few
milliseconds on the server and nothing in the browser. Colours: blue for class 0,
red for class 1, white where the ensemble is unsure (2p − 1 = 0).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from engine.boosting.data import N_TRAIN, TRAIN_SEED, make_dataset

BLUE = np.array([0.13, 0.40, 0.67])
RED = np.array([0.70, 0.09, 0.17])
WHITE = np.ones(3)
POINT_BLUE = np.array([0.03, 0.19, 0.42])
POINT_RED = np.array([0.40, 0.0, 0.05])
DEFAULT_PALETTE = "red-blue"
PALETTES: dict[str, dict[str, np.ndarray]] = {
    # class 0 (−1) · unsure (0) · class 1 (+1), and the points' darker colours
    "red-blue": dict(neg=BLUE, mid=WHITE, pos=RED, point_neg=POINT_BLUE, point_pos=POINT_RED),
    # the original's: orange for class 0, blue for class 1 on light grey (TensorFlow Playground's colours)
    "orange-blue": dict(neg=np.array([245, 147, 34]) / 255, mid=np.array([232, 234, 235]) / 255,
                        pos=np.array([8, 119, 189]) / 255, point_neg=np.array([176, 92, 0]) / 255,
                        point_pos=np.array([3, 66, 112]) / 255),
}
"""The page's two colour schemes (the second is the "original's colours" option)."""


def palette_of(name: object) -> str:
    """A valid palette name (anything else is the default)."""
    return name if name in PALETTES else DEFAULT_PALETTE


def diverging(values: np.ndarray, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """``values`` in [−1, 1] → RGB in [0, 1]: −1 class 0's colour, 0 neutral, +1 class 1's (NaN neutral)."""
    c = PALETTES[palette_of(palette)]
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), -1.0, 1.0)[..., None]
    return np.where(v < 0, c["mid"] + (-v) * (c["neg"] - c["mid"]),
                    c["mid"] + v * (c["pos"] - c["mid"])).astype(np.float32)


LEVELS = 255
_LUTS = {name: (diverging(np.linspace(-1.0, 1.0, LEVELS), name) * 255).round().astype(np.uint8)
         for name in PALETTES}
"""Each palette's colours at 255 evenly spaced values of [−1, 1], as uint8 RGB (lookup tables, read-only use)."""


def _upscale(values: np.ndarray, side: int, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """``(R, R)`` values in [−1, 1], row 0 at the bottom → uint8 RGB picture about ``side`` pixels, row 0 on top."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32))
    index = np.clip(np.rint((v + 1.0) * (0.5 * (LEVELS - 1))), 0, LEVELS - 1).astype(np.intp)
    picture = _LUTS[palette_of(palette)][np.flipud(index)]
    factor = max(1, side // picture.shape[0])
    return picture.repeat(factor, axis=0).repeat(factor, axis=1)


def _dots(image: np.ndarray, points: np.ndarray, labels: np.ndarray, bounds, size: int = 3,
          hollow: bool = False, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """Draw ``points`` (plane coordinates) onto ``image`` as small squares in their class's dark colour."""
    h, w = image.shape[:2]
    x0, x1, y0, y1 = bounds
    col = np.round((points[:, 0] - x0) / (x1 - x0) * (w - 1) - size / 2).astype(int)
    row = np.round((1.0 - (points[:, 1] - y0) / (y1 - y0)) * (h - 1) - size / 2).astype(int)
    c = PALETTES[palette_of(palette)]
    colours = (np.where(np.asarray(labels)[:, None] == 1, c["point_pos"], c["point_neg"]) * 255).astype(np.uint8)
    for dr in range(size):
        for dc in range(size):
            if hollow and 0 < dr < size - 1 and 0 < dc < size - 1:
                continue
            r, c = row + dr, col + dc
            keep = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            image[r[keep], c[keep]] = colours[keep]
    return image


def map_picture(values: np.ndarray, bounds, side: int = 240, points: np.ndarray | None = None,
                labels: np.ndarray | None = None, test: np.ndarray | None = None,
                test_labels: np.ndarray | None = None, dot: int = 3, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """A ``(R, R)`` map of values in [−1, 1] (row 0 at the bottom) as a picture, with optional points on it."""
    image = _upscale(values, side, palette)
    if points is not None and labels is not None:
        image = _dots(image, points, labels, bounds, size=dot, palette=palette)
    if test is not None and test_labels is not None:
        image = _dots(image, test, test_labels, bounds, size=dot + 2, hollow=True, palette=palette)
    return image


@st.cache_data(show_spinner=False)
def dataset_thumbnail_uri(name: str, side: int = 120, palette: str = DEFAULT_PALETTE) -> str:
    """The dataset's training points on a pale background, as a PNG data URI (its picker button's picture)."""
    x, y = make_dataset(name, N_TRAIN, TRAIN_SEED)
    image = np.full((side, side, 3), 246, dtype=np.uint8)
    dots = _dots(image, x, y, (0.0, 1.0, 0.0, 1.0), size=4, palette=palette)
    return "data:image/png;base64," + base64.b64encode(png(dots)).decode()


def png(image: np.ndarray) -> bytes:
    """A uint8 RGB picture as PNG bytes (lossless: the maps' sharp cell edges stay sharp)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def inline(image: np.ndarray, alt: str = "", width: str = "100%") -> str:
    """An ``<img>`` holding the picture as a PNG data URI, for ``st.markdown(..., unsafe_allow_html=True)``.

    ``st.image`` decodes and re-encodes a picture on every rerun; inline HTML costs nothing once built.
    """
    data = base64.b64encode(png(image)).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{alt}" '
            f'style="width:{width};image-rendering:pixelated;border-radius:4px">')


def cached_inline(store_key: str, owner, name: tuple, draw, alt: str = "", width: str = "100%") -> str:
    """:func:`inline` of ``draw()``, kept in the session under ``store_key`` while ``owner`` (a config) is shown.

    Pictures of one ensemble are drawn once, not on every rerun; switching to another ensemble drops them.
    """
    store = st.session_state.get(store_key)
    if not isinstance(store, dict) or store.get("owner") != owner:
        store = st.session_state[store_key] = {"owner": owner}
    if name not in store:
        store[name] = inline(draw(), alt, width)
    return store[name]
