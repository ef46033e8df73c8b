"""Figure helpers every page shares. Pure functions: data in, figure (or picture) out."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

INK = "Greys_r"



ACTIVATION_SCALE = "Viridis"



DIVERGING = "RdBu_r"



MARGIN = dict(l=10, r=10, t=30, b=10)



def image_figure(image: np.ndarray, title: str = "", height: int = 220, scale: str = INK,
                 zmin: float | None = 0.0, zmax: float | None = 1.0, hover: str = "value",
                 annotate: bool = False) -> go.Figure:
    """One 2-D array as a square heatmap with row/col/value on hover (and in each cell if ``annotate``)."""
    fig = go.Figure(go.Heatmap(
        z=image, colorscale=scale, zmin=zmin, zmax=zmax, showscale=False,
        hovertemplate=f"row %{{y}}, col %{{x}}<br>{hover} %{{z:.3f}}<extra></extra>",
        texttemplate="%{z:.2f}" if annotate else None, textfont=dict(size=11),
    ))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_layout(title=dict(text=title, font=dict(size=13)), height=height, margin=MARGIN)
    return fig



def diverging_figure(image: np.ndarray, title: str = "", height: int = 220, hover: str = "value",
                     annotate: bool = False) -> go.Figure:
    """A signed array (weights, saliency) centred on zero: red positive, blue negative."""
    bound = float(np.nanmax(np.abs(image))) if np.isfinite(image).any() else 1.0
    fig = image_figure(image, title, height, DIVERGING, -(bound or 1.0), bound or 1.0, hover, annotate)
    fig.update_traces(showscale=True, colorbar=dict(thickness=10, len=0.9))
    return fig



def outline(fig: go.Figure, top: int, left: int, height: int, width: int, color: str = "#e8553e") -> go.Figure:
    """Draw a rectangle around cells ``[top, top+height) x [left, left+width)`` of a heatmap."""
    fig.add_shape(type="rect", x0=left - 0.5, x1=left + width - 0.5, y0=top - 0.5, y1=top + height - 0.5,
                  line=dict(color=color, width=3))
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
