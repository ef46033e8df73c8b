"""Plotly figure builders shared by the pages. Pure functions: data in, figure out."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

INK = "Greys_r"
ACTIVATION_SCALE = "Viridis"
DIVERGING = "RdBu_r"
_MARGIN = dict(l=10, r=10, t=30, b=10)


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
    fig.update_layout(title=dict(text=title, font=dict(size=13)), height=height, margin=_MARGIN)
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


def probability_bars(proba: np.ndarray, highlight: int | None = None) -> go.Figure:
    """Bar chart of the ten class probabilities."""
    colors = ["#ff4b4b" if d == highlight else "#8da0cb" for d in range(10)]
    fig = go.Figure(go.Bar(
        x=[str(d) for d in range(10)], y=proba, marker_color=colors,
        text=[f"{p:.0%}" if p >= 0.01 else "" for p in proba], textposition="outside",
        hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
    ))
    fig.update_layout(height=230, margin=dict(l=10, r=10, t=10, b=30), yaxis=dict(range=[0, 1.12], tickformat=".0%"),
                      xaxis=dict(title="digit", type="category"), showlegend=False)
    return fig


def normalise_maps(maps: np.ndarray, mode: str, global_range: tuple[float, float]) -> np.ndarray:
    """Scale feature maps ``(C, H, W)`` to [0, 1] for colour: per map, per layer or global range."""
    maps = maps.astype(np.float32)
    if mode == "per map":
        low = maps.min(axis=(1, 2), keepdims=True)
        high = maps.max(axis=(1, 2), keepdims=True)
    elif mode == "per layer":
        low, high = maps.min(), maps.max()
    else:
        low, high = global_range
    span = np.where((high - low) > 1e-12, high - low, 1.0)
    return np.clip((maps - low) / span, 0.0, 1.0)


def feature_maps_figure(maps: np.ndarray, title: str, mode: str, global_range: tuple[float, float],
                        columns: int | None = None, tile_px: int = 56) -> go.Figure:
    """All feature maps of a layer ``(C, H, W)`` tiled in one heatmap.

    Colour is the normalised value (``mode``); hover shows the map number, the
    position and the raw activation.
    """
    count, height, width = maps.shape
    columns = columns or min(count, 8 if count > 8 else count)
    rows = math.ceil(count / columns)
    gap = 1
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan, dtype=np.float32)
    raw = np.full_like(grid, np.nan)
    ids = np.full(grid.shape, -1, dtype=np.int32)
    cells = np.full(grid.shape + (2,), -1, dtype=np.int32)
    scaled = normalise_maps(maps, mode, global_range)
    yy, xx = np.mgrid[0:height, 0:width]
    for c in range(count):
        r0, c0 = (c // columns) * (height + gap), (c % columns) * (width + gap)
        grid[r0 : r0 + height, c0 : c0 + width] = scaled[c]
        raw[r0 : r0 + height, c0 : c0 + width] = maps[c]
        ids[r0 : r0 + height, c0 : c0 + width] = c
        cells[r0 : r0 + height, c0 : c0 + width, 0] = yy
        cells[r0 : r0 + height, c0 : c0 + width, 1] = xx
    custom = np.dstack([ids, cells[..., 0], cells[..., 1], raw])
    fig = go.Figure(go.Heatmap(
        z=grid, customdata=custom, colorscale=ACTIVATION_SCALE, zmin=0, zmax=1, showscale=False,
        hovertemplate="map %{customdata[0]}, row %{customdata[1]}, col %{customdata[2]}"
                      "<br>activation %{customdata[3]:.4f}<extra></extra>",
        hoverongaps=False, xgap=0, ygap=0,
    ))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", visible=False)
    fig.update_xaxes(visible=False, constrain="domain")
    px_per_cell = tile_px / max(height, 8)
    fig.update_layout(
        title=dict(text=title, font=dict(size=14)), margin={**_MARGIN, "t": 30 if title else 8},
        plot_bgcolor="rgba(0,0,0,0)",
        height=int(min(900, max(160, rows * (height + gap) * px_per_cell + 50))),
    )
    return fig


def unit_picker_figure(values: np.ndarray, selected: tuple[int, ...], px_per_cell: int | None = None) -> go.Figure:
    """Every unit of a layer as a clickable square (selection returns ``customdata`` = the unit's index).

    ``values`` is ``(C, H, W)`` (maps tiled 8 to a row, each scaled to its own range)
    or ``(N,)`` (wrapped 32 to a row). The ``selected`` unit gets a red outline.
    """
    if values.ndim == 3:
        count, height, width = values.shape
        columns = min(count, 8)
        scaled = normalise_maps(values, "per map", (0.0, 1.0))
        c, r, q = np.meshgrid(np.arange(count), np.arange(height), np.arange(width), indexing="ij")
        x = (c % columns) * (width + 1) + q
        y = (c // columns) * (height + 1) + r
        index = np.stack([c, r, q], axis=-1).reshape(-1, 3)
        label = "map %{customdata[0]}, row %{customdata[1]}, col %{customdata[2]}"
        cells_x, cells_y = columns * (width + 1), (count // columns + (count % columns > 0)) * (height + 1)
    else:
        count = values.shape[0]
        columns = min(count, 32) if count > 10 else count
        span = float(values.max() - values.min()) or 1.0
        scaled = (values - values.min()) / span
        units = np.arange(count)
        x, y = units % columns, units // columns
        index = units[:, None]
        label = "unit %{customdata[0]}"
        cells_x, cells_y = columns, int(y.max()) + 1
    px_per_cell = px_per_cell or int(np.clip(640 // max(cells_x, 1), 3, 44))
    raw = values.reshape(-1)
    fig = go.Figure(go.Scattergl(
        x=x.reshape(-1), y=y.reshape(-1), mode="markers", customdata=np.column_stack([index, raw]),
        marker=dict(symbol="square", size=px_per_cell, color=scaled.reshape(-1), line=dict(width=0),
                    colorscale=ACTIVATION_SCALE, cmin=0, cmax=1),
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
        hovertemplate=label + f"<br>activation %{{customdata[{index.shape[1]}]:.4f}}<extra></extra>",
    ))
    pick = np.flatnonzero((index == np.asarray(selected)).all(axis=1))
    if len(pick):
        # WebGL traces sit above SVG ones, so the outline must be WebGL too.
        fig.add_scattergl(x=[x.reshape(-1)[pick[0]]], y=[y.reshape(-1)[pick[0]]], mode="markers", hoverinfo="skip",
                        marker=dict(symbol="square-open", size=px_per_cell + 6, color="#e8553e",
                                    line=dict(width=3, color="#e8553e")),
                        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)))
    fig.update_xaxes(visible=False, range=[-1, cells_x], fixedrange=True)
    fig.update_yaxes(visible=False, range=[cells_y, -1], fixedrange=True)
    fig.update_layout(width=cells_x * px_per_cell + 40, height=cells_y * px_per_cell + 40, showlegend=False,
                      margin=dict(l=20, r=20, t=20, b=20), plot_bgcolor="rgba(0,0,0,0)", clickmode="event+select",
                      dragmode=False)
    return fig


def unit_strip_figure(values: np.ndarray, title: str, mode: str, global_range: tuple[float, float],
                      labels: list[str] | None = None, per_row: int = 64) -> go.Figure:
    """A fully-connected layer ``(N,)`` as a strip of coloured cells (wrapped every ``per_row``)."""
    n = len(values)
    rows = math.ceil(n / per_row)
    cols = min(n, per_row)
    grid = np.full((rows, cols), np.nan, dtype=np.float32)
    raw = np.full_like(grid, np.nan)
    idx = np.full(grid.shape, -1, dtype=np.int32)
    if mode == "global":
        low, high = global_range
    else:
        low, high = float(values.min()), float(values.max())
    scaled = np.clip((values - low) / ((high - low) or 1.0), 0, 1)
    for i in range(n):
        grid[i // cols, i % cols] = scaled[i]
        raw[i // cols, i % cols] = values[i]
        idx[i // cols, i % cols] = i
    text = None
    if labels is not None:
        text = np.full(grid.shape, "", dtype=object)
        for i, lab in enumerate(labels):
            text[i // cols, i % cols] = lab
    fig = go.Figure(go.Heatmap(
        z=grid, customdata=np.dstack([idx, raw]), colorscale=ACTIVATION_SCALE, zmin=0, zmax=1, showscale=False,
        text=text, texttemplate="%{text}" if labels else None, xgap=1, ygap=1, hoverongaps=False,
        hovertemplate="unit %{customdata[0]}<br>activation %{customdata[1]:.4f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", visible=False)
    fig.update_xaxes(visible=False)
    fig.update_layout(title=dict(text=title, font=dict(size=14)), margin={**_MARGIN, "t": 30 if title else 8},
                      height=60 + 26 * rows if labels is None else 110)
    return fig


def training_curves(history: list, metric: str) -> go.Figure:
    """Loss or accuracy per epoch, training vs validation."""
    epochs = [r.epoch for r in history]
    fig = go.Figure()
    if metric == "loss":
        fig.add_scatter(x=epochs, y=[r.train_loss for r in history], name="training loss", mode="lines+markers")
        fig.add_scatter(x=epochs, y=[r.val_loss for r in history], name="validation loss", mode="lines+markers")
        fig.update_yaxes(title="cross-entropy", rangemode="tozero")
    else:
        fig.add_scatter(x=epochs, y=[r.train_accuracy for r in history], name="training", mode="lines+markers")
        fig.add_scatter(x=epochs, y=[r.val_accuracy for r in history], name="validation", mode="lines+markers")
        fig.update_yaxes(title="accuracy", tickformat=".0%")
    fig.update_xaxes(title="epoch", dtick=1 if len(epochs) <= 20 else None)
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.15))
    return fig


def confusion_figure(confusion: np.ndarray) -> go.Figure:
    """Confusion matrix heatmap, counts written in each cell."""
    labels = [str(d) for d in range(10)]
    fig = go.Figure(go.Heatmap(
        z=confusion, x=labels, y=labels, colorscale="Blues", text=confusion, texttemplate="%{text}",
        hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>", showscale=False,
    ))
    fig.update_yaxes(autorange="reversed", title="true digit", type="category")
    fig.update_xaxes(title="predicted digit", type="category", side="top")
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10))
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
