"""Plotly figures of the draw-a-digit page. Pure functions: data in, figure out."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from app.figures import ACTIVATION_SCALE, MARGIN, minmax


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
    if mode == "per map":
        return minmax(maps, axis=(1, 2))
    if mode == "per layer":
        return minmax(maps)
    return minmax(maps, *global_range)



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
        title=dict(text=title, font=dict(size=14)), margin={**MARGIN, "t": 30 if title else 8},
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
        scaled = minmax(values)
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
    scaled = minmax(values, *global_range) if mode == "global" else minmax(values)
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
    fig.update_layout(title=dict(text=title, font=dict(size=14)), margin={**MARGIN, "t": 30 if title else 8},
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
