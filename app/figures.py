"""Figure helpers every page shares. Pure functions: data in, figure (or picture) out.

Figures are built as the plain JSON that plotly.js reads (:class:`FigureSpec`),
not with Plotly's graph objects: building and validating graph objects cost
most of a drawing's server time (≈ 20 ms for one layer of feature maps, a few
ms for the smallest chart), and a plain spec costs well under a millisecond.
Arrays travel as plotly.js typed arrays (:func:`typed`), as Plotly itself sends
them, so a layer's values take kilobytes, not megabytes of JSON text.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import plotly.colors
import plotly.graph_objects as go

INK = plotly.colors.get_colorscale("Greys_r")
"""Black to white: ink on the network's input."""
ACTIVATION_SCALE = plotly.colors.get_colorscale("Viridis")
"""Dark (low) to yellow (high): activations."""
DIVERGING = plotly.colors.get_colorscale("RdBu_r")
"""Blue (negative), white (zero), red (positive): weights and saliency."""
MARGIN = dict(l=10, r=10, t=30, b=10)


class FigureSpec(go.Figure):
    """A Plotly figure held as the plain dict plotly.js reads (``{"data": [...], "layout": {...}}``).

    ``st.plotly_chart`` validates a dict by building a ``go.Figure`` from it,
    but trusts a ``go.Figure`` and only calls its ``to_dict()``. This subclass
    is a ``go.Figure`` in name only: it skips the graph-object machinery and
    hands its dict over as it is. Build it from JSON-ready values (numbers,
    strings, lists, :func:`typed` arrays); read or adjust it through ``spec``.
    """

    def __init__(self, data: list[dict], layout: dict) -> None:  # no super().__init__: no validation
        self._spec = {"data": data, "layout": layout}

    @property
    def spec(self) -> dict:
        """The figure as plotly.js reads it (mutable)."""
        return self._spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec

    def __repr__(self) -> str:
        kinds = [trace.get("type", "scatter") for trace in self._spec["data"]]
        return f"FigureSpec({len(kinds)} traces: {', '.join(sorted(set(kinds)))})"


_DTYPES = {np.dtype(np.float32): "f4", np.dtype(np.float64): "f8", np.dtype(np.int8): "i1",
           np.dtype(np.uint8): "u1", np.dtype(np.int16): "i2", np.dtype(np.uint16): "u2",
           np.dtype(np.int32): "i4", np.dtype(np.uint32): "u4"}


def typed(values, dtype=np.float32) -> dict:
    """An array as a plotly.js typed array: ``{"dtype", "bdata" (base64), "shape"}`` (1 to 3 dimensions)."""
    array = np.ascontiguousarray(values, dtype=dtype)
    spec = {"dtype": _DTYPES[array.dtype], "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ",".join(str(n) for n in array.shape)
    return spec


def value_range(low: float, high: float) -> tuple[float, float]:
    """``(zmin, zmax)`` for a colour scale; a constant input gets the low colour (as :func:`minmax` does)."""
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0
    return (low, high) if high - low > 1e-12 else (low, low + 1.0)


def image_axes(layout: dict) -> dict:
    """Square cells, row 0 on top, no ticks: the axes of every heatmap of an image or map."""
    layout["xaxis"] = dict(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    layout["yaxis"] = dict(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                           scaleanchor="x")
    return layout


def image_figure(image: np.ndarray, title: str = "", height: int = 220, scale=INK,
                 zmin: float | None = 0.0, zmax: float | None = 1.0, hover: str = "value",
                 annotate: bool = False) -> FigureSpec:
    """One 2-D array as a square heatmap with row/col/value on hover (and in each cell if ``annotate``).

    ``zmin``/``zmax`` of ``None`` use the array's own range. NaN cells are gaps.
    """
    trace = dict(
        type="heatmap", z=typed(image), colorscale=scale, showscale=False, hoverongaps=False,
        hovertemplate=f"row %{{y}}, col %{{x}}<br>{hover} %{{z:.3f}}<extra></extra>",
    )
    if zmin is not None:
        trace["zmin"] = zmin
    if zmax is not None:
        trace["zmax"] = zmax
    if annotate:
        trace.update(texttemplate="%{z:.2f}", textfont=dict(size=11))
    layout = image_axes(dict(title=dict(text=title, font=dict(size=13)), height=height, margin=MARGIN))
    return FigureSpec([trace], layout)


def diverging_figure(image: np.ndarray, title: str = "", height: int = 220, hover: str = "value",
                     annotate: bool = False) -> FigureSpec:
    """A signed array (weights, saliency) centred on zero: red positive, blue negative."""
    bound = float(np.nanmax(np.abs(image))) if np.isfinite(image).any() else 1.0
    fig = image_figure(image, title, height, DIVERGING, -(bound or 1.0), bound or 1.0, hover, annotate)
    fig.spec["data"][0].update(showscale=True, colorbar=dict(thickness=10, len=0.9))
    return fig


def outline(fig: FigureSpec, top: int, left: int, height: int, width: int, color: str = "#e8553e") -> FigureSpec:
    """Draw a rectangle around cells ``[top, top+height) x [left, left+width)`` of a heatmap."""
    fig.spec["layout"].setdefault("shapes", []).append(dict(
        type="rect", x0=left - 0.5, x1=left + width - 0.5, y0=top - 0.5, y1=top + height - 0.5,
        line=dict(color=color, width=3)))
    return fig


def enlarge(image: np.ndarray, side: int) -> np.ndarray:
    """A [0, 1] image as uint8, scaled up with square pixels so its longer side is about ``side``."""
    h, w = image.shape[:2]
    factor = max(1, side // max(h, w))
    if factor == 1 and max(h, w) > side:  # large (the raw canvas): subsample instead
        step = int(np.ceil(max(h, w) / side))
        return (np.clip(image[::step, ::step], 0, 1) * 255).astype(np.uint8)
    return np.kron((np.clip(image, 0, 1) * 255).astype(np.uint8), np.ones((factor, factor), dtype=np.uint8))


def tile_images(images: np.ndarray, columns: int = 8, scale: int = 3, pad: int = 2) -> np.ndarray:
    """Tile ``(N, H, W)`` images in [0, 1] into one uint8 picture (for st.image galleries)."""
    n, h, w = images.shape
    rows = max(1, math.ceil(n / columns))
    out = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad), 60, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = (
            np.clip(images[i], 0, 1) * 255
        ).astype(np.uint8)
    return np.kron(out, np.ones((scale, scale), dtype=np.uint8))


def minmax(values: np.ndarray, low=None, high=None, axis=None) -> np.ndarray:
    """Scale ``values`` to [0, 1] (float32), clipped: the one min-max scaling every view uses.

    ``low``/``high`` default to the minimum and maximum over ``axis`` (all values
    when ``None``; a tuple of axes scales each slice on its own). A constant
    input maps to 0 instead of dividing by zero. NaNs stay NaN.
    """
    values = np.asarray(values, dtype=np.float32)
    if low is None:
        low = np.nanmin(values, axis=axis, keepdims=axis is not None) if values.size else 0.0
    if high is None:
        high = np.nanmax(values, axis=axis, keepdims=axis is not None) if values.size else 1.0
    span = np.asarray(high, dtype=np.float32) - np.asarray(low, dtype=np.float32)
    span = np.where(span > 1e-12, span, 1.0)
    return np.clip((values - low) / span, 0.0, 1.0)
