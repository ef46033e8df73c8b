"""Figures of the draw-a-digit page. Pure functions: data in, figure out.

Every Plotly figure is a :class:`app.figures.FigureSpec` (plain plotly.js JSON with
typed arrays): see :mod:`app.figures` for why. The probability chart, which changes
with every stroke, is a small SVG (:func:`probability_bars`).
"""

from __future__ import annotations

import numpy as np

from app.figures import ACTIVATION_SCALE, FigureSpec, minmax, typed, value_range
from app.svg_charts import line_chart

BLUES = [[0.0, "rgb(247,251,255)"], [0.125, "rgb(222,235,247)"], [0.25, "rgb(198,219,239)"],
         [0.375, "rgb(158,202,225)"], [0.5, "rgb(107,174,214)"], [0.625, "rgb(66,146,198)"],
         [0.75, "rgb(33,113,181)"], [0.875, "rgb(8,81,156)"], [1.0, "rgb(8,48,107)"]]


PROBA_SIZE = (280, 170)
"""Width and height of the probability chart's drawing, in SVG units (it scales to its column)."""


def probability_bars(proba: np.ndarray, highlight: int | None = None) -> str:
    """SVG bar chart of the ten class probabilities on a fixed 0-100 % axis.

    Each bar carries its digit and probability as a hover title and, from 1 %, as a
    label above it; the ``highlight`` digit (the first guess) is red, the rest blue.
    One small SVG instead of a Plotly chart: the chart changes with every stroke and
    every Clear, and Plotly's own redraw was the browser's largest piece of script
    per drawing.
    """
    width, height = PROBA_SIZE
    left, right, top, bottom = 32, width - 4, 14, height - 30
    slot = (right - left) / 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="probability of each digit" class="digits-proba" '
             f'style="font:11px sans-serif;max-width:{width * 1.3:.0f}px">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - tick * (bottom - top)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e6ea"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{tick:.0%}</text>')
    for digit, p in enumerate(float(v) for v in proba):
        p = min(max(p, 0.0), 1.0) if np.isfinite(p) else 0.0
        x, h = left + digit * slot + slot * 0.15, p * (bottom - top)
        colour = "#ff4b4b" if digit == highlight else "#8da0cb"
        parts.append(f'<g data-digit="{digit}" data-p="{p:.6f}"><title>digit {digit}: {p:.2%}</title>'
                     f'<rect x="{x:.1f}" y="{bottom - h:.2f}" width="{slot * 0.7:.1f}" height="{h:.2f}" '
                     f'fill="{colour}"/>'
                     f'<rect x="{left + digit * slot:.1f}" y="{top}" width="{slot:.1f}" height="{bottom - top}" '
                     f'fill="transparent"/></g>')
        if p >= 0.01:
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom - h - 3:.1f}" text-anchor="middle" '
                         f'fill="#333">{p:.0%}</text>')
        parts.append(f'<text x="{left + (digit + 0.5) * slot:.1f}" y="{bottom + 14}" text-anchor="middle" '
                     f'fill="#333">{digit}</text>')
    parts.append(f'<text x="{(left + right) / 2:.0f}" y="{height - 4}" text-anchor="middle" fill="#666">digit</text>'
                 '</svg>')
    return "".join(parts)


def normalise_maps(maps: np.ndarray, mode: str, global_range: tuple[float, float]) -> np.ndarray:
    """Scale feature maps ``(C, H, W)`` to [0, 1] for colour: per map, per layer or global range."""
    if mode == "per map":
        return minmax(maps, axis=(1, 2))
    if mode == "per layer":
        return minmax(maps)
    return minmax(maps, *global_range)


def map_ranges(maps: np.ndarray, mode: str, global_range: tuple[float, float]) -> list[tuple[float, float]]:
    """The colour range ``(low, high)`` of each map ``(C, H, W)``: its own, the layer's, or the global one.

    The same ranges :func:`normalise_maps` scales by.
    """
    if mode == "per map":
        flat = maps.reshape(len(maps), -1)
        return [value_range(lo, hi) for lo, hi in zip(np.nanmin(flat, axis=1), np.nanmax(flat, axis=1), strict=True)]
    low, high = (np.nanmin(maps), np.nanmax(maps)) if mode == "per layer" else global_range
    return [value_range(low, high)] * len(maps)


def unit_picker_figure(values: np.ndarray, selected: tuple[int, ...], px_per_cell: int | None = None) -> FigureSpec:
    """Every unit of a layer as a clickable square (selection returns ``customdata`` = the unit's index).

    ``values`` is ``(C, H, W)`` (maps tiled 8 to a row, each scaled to its own range)
    or ``(N,)`` (wrapped 32 to a row). The ``selected`` unit gets a red outline.
    ``customdata`` is ``[map, row, col]`` or ``[unit]``; hover reads the activation from
    ``text``. Positions, indices and colours (256 levels) travel as the smallest
    integers that hold them: a convolution's 25,088 units are most of a stroke's bytes here.
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
    x, y = x.reshape(-1), y.reshape(-1)
    opaque = dict(selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)))
    traces = [dict(
        type="scattergl", x=typed(x, _smallest(x)), y=typed(y, _smallest(y)), mode="markers",
        customdata=typed(index, _smallest(index)), text=typed(values.reshape(-1)),
        marker=dict(symbol="square", size=px_per_cell, color=typed(np.rint(scaled.reshape(-1) * 255), np.uint8),
                    line=dict(width=0), colorscale=ACTIVATION_SCALE, cmin=0, cmax=255),
        hovertemplate=label + "<br>activation %{text:.4f}<extra></extra>", **opaque,
    )]
    pick = np.flatnonzero((index == np.asarray(selected)).all(axis=1))
    if len(pick):
        # WebGL traces sit above SVG ones, so the outline must be WebGL too.
        traces.append(dict(
            type="scattergl", x=[int(x[pick[0]])], y=[int(y[pick[0]])], mode="markers", hoverinfo="skip",
            marker=dict(symbol="square-open", size=px_per_cell + 6, color="#e8553e",
                        line=dict(width=3, color="#e8553e")), **opaque,
        ))
    layout = dict(
        xaxis=dict(visible=False, range=[-1, cells_x], fixedrange=True),
        yaxis=dict(visible=False, range=[cells_y, -1], fixedrange=True),
        width=cells_x * px_per_cell + 40, height=cells_y * px_per_cell + 40, showlegend=False,
        margin=dict(l=20, r=20, t=20, b=20), plot_bgcolor="rgba(0,0,0,0)", clickmode="event+select", dragmode=False,
    )
    return FigureSpec(traces, layout)


def _smallest(values: np.ndarray):
    """The smallest unsigned integer type that holds ``values`` (all >= 0)."""
    return np.uint8 if values.max(initial=0) < 256 else np.uint16


def training_curves(history: list) -> str:
    """Loss and accuracy per epoch, training vs validation: two small SVG line charts side by side.

    Redrawn on every live update of a run (Plotly charts there cost the student's
    browser most of its time while training: see :mod:`app.svg_charts`).
    """
    epochs = [r.epoch for r in history]
    loss = {"training loss": ([float(r.train_loss) for r in history], "#1f77b4", "none"),
            "validation loss": ([float(r.val_loss) for r in history], "#ff7f0e", "none")}
    accuracy = {"training": ([float(r.train_accuracy) for r in history], "#1f77b4", "none"),
                "validation": ([float(r.val_accuracy) for r in history], "#ff7f0e", "none")}
    charts = [line_chart(epochs, loss, False, "Loss (cross-entropy)", width=330, height=230, x_label="epoch",
                         x_min=1.0, markers=True),
              line_chart(epochs, accuracy, True, "Accuracy", width=330, height=230, x_label="epoch", x_min=1.0,
                         markers=True)]
    return ('<div style="display:flex;gap:1.5rem;flex-wrap:wrap">'
            + "".join(f'<div style="flex:1 1 280px;min-width:0">{c}</div>' for c in charts) + "</div>")


def confusion_figure(confusion: np.ndarray) -> FigureSpec:
    """Confusion matrix heatmap, counts written in each cell."""
    labels = [str(d) for d in range(10)]
    counts = np.asarray(confusion).astype(int).tolist()
    trace = dict(type="heatmap", z=counts, x=labels, y=labels, colorscale=BLUES, text=counts, texttemplate="%{text}",
                 hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>", showscale=False)
    layout = dict(height=360, margin=dict(l=10, r=10, t=40, b=10),
                  yaxis=dict(autorange="reversed", title=dict(text="true digit"), type="category"),
                  xaxis=dict(title=dict(text="predicted digit"), type="category", side="top"))
    return FigureSpec([trace], layout)
