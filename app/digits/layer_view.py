"""A layer's activations as a picture of our own: colour levels and values, drawn and hovered in the browser.

The Layers tab used to draw each layer as a Plotly heatmap: every stroke re-sent
the layer's colours, raw values and every cell's ``[map, row, col]`` (about
520 KiB for the eight layers) and had plotly.js rebuild eight charts, most of a
stroke's work in the browser. Here a layer travels as:

- ``levels``: each cell's colour level (0–255, one byte, maps in order, row by
  row), zlib-compressed: activations after ReLU are mostly zero;
- ``values``: the raw activations as little-endian float16, zlib-compressed (what
  hover reads);
- ``legend``: the colour range ``[low, high]`` of each map (one pair when every map
  shares it), the numbers the levels were scaled by: level 0 is ``low``, 255 is
  ``high``. The browser draws it as a scale bar under the picture;
- the geometry (``cols`` maps to a row, each cell ``cell`` pixels, ``gap`` pixels
  between maps, all drawn ``scale`` times larger) and the colour scale as a
  256-entry RGB table.

The browser (``components/layer_view.js``) inflates them, tiles and colours the
cells into a canvas with square pixels, and on hover works out map, row and column
from the mouse position. Pure functions (data in, plain dict out): the page hands
the dict to :func:`show_layer`, the tests read it back.
"""

from __future__ import annotations

import base64
import functools
import zlib
from pathlib import Path

import numpy as np
import plotly.colors

from app.digits.figures import map_ranges
from app.figures import ACTIVATION_SCALE, value_range
from app.html_view import own_component

_HERE = Path(__file__).parent / "components"
FLOAT16_MAX = 65504.0


@functools.lru_cache(maxsize=4)
def colour_table(scale: tuple = tuple(map(tuple, ACTIVATION_SCALE))) -> str:
    """A Plotly colour scale as 256 RGB triples (768 bytes, base64): level ``i`` is position ``i / 255``."""
    positions = [p for p, _ in scale]
    colours = [plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(c, "rgb")[0][0]) for _, c in scale]
    levels = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(levels, positions, [c[k] for c in colours]) for k in range(3)], axis=1)
    return base64.b64encode(np.rint(table).astype(np.uint8).tobytes()).decode("ascii")


def _packed(array: np.ndarray) -> str:
    """Bytes of ``array`` zlib-compressed (fast level) and base64-encoded."""
    return base64.b64encode(zlib.compress(np.ascontiguousarray(array).tobytes(), 1)).decode("ascii")


def _float16(values: np.ndarray) -> str:
    clipped = np.clip(np.nan_to_num(values, nan=0.0), -FLOAT16_MAX, FLOAT16_MAX)
    return _packed(clipped.astype("<f2"))


def levels_of(values: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Values ``(C, H, W)`` as colour levels 0–255, map ``m`` spanning ``ranges[m] = (low, high)``."""
    low, high = ranges[:, :1, None], ranges[:, 1:, None]
    scaled = np.clip((np.nan_to_num(values, nan=0.0) - low) / (high - low), 0.0, 1.0)
    return np.rint(scaled * 255).astype(np.uint8)


def legend_of(ranges: np.ndarray) -> list[list[float]]:
    """The scale bar's numbers: each map's ``[low, high]`` (level 0 and level 255), or one pair when all agree."""
    ranges = np.asarray(ranges, dtype=np.float64).reshape(-1, 2)
    if len(ranges) and np.all(ranges == ranges[0]):
        ranges = ranges[:1]
    return [[float(low), float(high)] for low, high in ranges]


def maps_picture(maps: np.ndarray, mode: str, global_range: tuple[float, float], columns: int | None = None,
                 tile_px: int = 56) -> dict:
    """Feature maps ``(C, H, W)`` tiled (8 to a row), each coloured by its colour range (``mode``)."""
    count, height, width = maps.shape
    cols = columns or min(count, 8)
    ranges = np.asarray(map_ranges(maps, mode, global_range), dtype=np.float64)
    return dict(kind="map", levels=_packed(levels_of(maps, ranges)), values=_float16(maps), count=count, h=height,
                w=width, cols=cols, cell=1, gap=1, scale=max(1, round(tile_px / max(height, 8))), lut=colour_table(),
                legend=legend_of(ranges))


def units_picture(values: np.ndarray, mode: str, global_range: tuple[float, float],
                  labels: list[str] | None = None, per_row: int = 64) -> dict:
    """A fully-connected layer ``(N,)`` as a strip of cells (wrapped every ``per_row``), the layer's own range
    (``mode`` "global": the global one). With ``labels`` (the output layer) the cells are large and labelled."""
    n = len(values)
    low, high = global_range if mode == "global" else (np.nanmin(values), np.nanmax(values))
    ranges = np.tile(np.asarray(value_range(low, high), dtype=np.float64), (n, 1))
    cell, gap = (46, 3) if labels is not None else (10, 1)
    cols = min(n, per_row)
    levels = _packed(levels_of(values.reshape(n, 1, 1), ranges))
    return dict(kind="digit" if labels is not None else "unit", levels=levels,
                values=_float16(values), count=n, h=1, w=1, cols=cols, cell=cell, gap=gap, scale=1,
                lut=colour_table(), labels=list(labels or []), legend=legend_of(ranges))


def show_layer(picture: dict, key: str) -> None:
    """Draw a picture from :func:`maps_picture` or :func:`units_picture` (``key`` names it in the page)."""
    own_component(_HERE, "layer_view")(key=key, data=picture)
