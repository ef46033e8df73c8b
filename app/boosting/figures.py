"""Plotly figures of the boosting page, as plain plotly.js specs (:class:`app.figures.FigureSpec`)."""

from __future__ import annotations

import numpy as np

from app.figures import FigureSpec, typed
from engine.boosting import EnsembleViews

COLORSCALE = [[0.0, "#2166ac"], [0.5, "#ffffff"], [1.0, "#b2182b"]]
"""2p − 1 from −1 (class 0, blue) through 0 (unsure, white) to +1 (class 1, red)."""
CLASS_COLOURS = ("#08306b", "#67000d")
COLORSCALES = {"red-blue": COLORSCALE,
               "orange-blue": [[0.0, "#f59322"], [0.5, "#e8eaeb"], [1.0, "#0877bd"]]}
"""Per palette (:data:`app.boosting.pictures.PALETTES`): the original's orange (class 0) and blue (class 1)."""
POINT_COLOURS = {"red-blue": CLASS_COLOURS, "orange-blue": ("#b05c00", "#034270")}
COLOUR_WORDS = {"red-blue": ("blue", "red", "white"), "orange-blue": ("orange", "blue", "grey")}
"""What the captions call class 0's colour, class 1's and the unsure middle."""
MARGIN = dict(l=40, r=10, t=30, b=35)
MIN_SIZE, MAX_SIZE = 2.0, 16.0


def _axes(bounds) -> dict:
    x0, x1, y0, y1 = bounds
    return dict(
        xaxis=dict(range=[x0, x1], title=dict(text="x₁", standoff=4), zeroline=False, showgrid=False,
                   constrain="domain"),
        yaxis=dict(range=[y0, y1], title=dict(text="x₂", standoff=4), zeroline=False, showgrid=False,
                   scaleanchor="x", constrain="domain"))


def heatmap_trace(values: np.ndarray, bounds, name: str = "2p − 1", hover: str = "2p − 1",
                  palette: str = "red-blue") -> dict:
    """A ``(R, R)`` grid (row 0 at the bottom) over ``bounds`` in the page's colours, −1 to 1."""
    x0, x1, y0, y1 = bounds
    r = values.shape[0]
    return dict(type="heatmap", z=typed(values), x0=x0 + (x1 - x0) / (2 * r), dx=(x1 - x0) / r,
                y0=y0 + (y1 - y0) / (2 * r), dy=(y1 - y0) / r, zmin=-1, zmax=1,
                colorscale=COLORSCALES.get(palette, COLORSCALE),
                showscale=False, name=name,
                hovertemplate=f"x₁ %{{x:.2f}}, x₂ %{{y:.2f}}<br>{hover} %{{z:.2f}}<extra></extra>")


def point_traces(x: np.ndarray, y: np.ndarray, name: str, sizes: np.ndarray | None = None, hollow: bool = False,
                 extra: np.ndarray | None = None, extra_label: str = "", palette: str = "red-blue") -> list[dict]:
    """One scatter trace per class (dark blue 0, dark red 1; or the palette's); ``sizes`` per point, hollow
    rings for test."""
    colours = POINT_COLOURS.get(palette, CLASS_COLOURS)
    traces = []
    for cls in (0, 1):
        mask = y == cls
        if not mask.any():
            continue
        size = typed(sizes[mask]) if sizes is not None else (7 if hollow else 6)
        marker = dict(size=size, color=colours[cls], line=dict(width=1.2, color=colours[cls]
                                                                     if hollow else "white"))
        if hollow:
            marker.update(symbol="circle-open")
        trace = dict(type="scattergl" if len(x) > 1000 else "scatter", mode="markers", x=typed(x[mask, 0]),
                     y=typed(x[mask, 1]), name=f"{name}, class {cls}", marker=marker,
                     hovertemplate=f"{name}, class {cls}<br>x₁ %{{x:.2f}}, x₂ %{{y:.2f}}"
                                   + (f"<br>{extra_label} %{{customdata:.3f}}" if extra is not None else "")
                                   + "<extra></extra>")
        if extra is not None:
            trace["customdata"] = typed(extra[mask])
        traces.append(trace)
    return traces


def gradient_sizes(gradients: np.ndarray) -> np.ndarray:
    """Marker sizes proportional to |gradient| on a fixed scale: |g| = 1 (log-loss's largest, a point
    certainly wrong) gets :data:`MAX_SIZE`; larger gradients (exponential loss) scale to the largest."""
    g = np.abs(np.nan_to_num(gradients))
    top = max(1.0, float(g.max()) if g.size else 0.0)
    return MIN_SIZE + (MAX_SIZE - MIN_SIZE) * g / top


def map_figure(views: EnsembleViews, k: int, gradients: np.ndarray | None, show_test: bool,
               height: int = 470, palette: str = "red-blue") -> FigureSpec:
    """The ensemble after ``k`` trees: 2p − 1 over the plane, training points (sized by |gradient| if given)
    and test points (rings)."""
    p = views.probability_map(k)
    data = [heatmap_trace(2 * p - 1, views.bounds, palette=palette)]
    sizes = gradient_sizes(gradients) if gradients is not None else None
    data += point_traces(views.x_train, views.y_train, "train", sizes,
                         extra=gradients, extra_label="gradient g", palette=palette)
    if show_test:
        data += point_traces(views.x_test, views.y_test, "test", hollow=True, palette=palette)
    x0, x1, y0, y1 = views.bounds
    shapes = [dict(type="rect", x0=0, x1=1, y0=0, y1=1, line=dict(color="#999", width=1, dash="dot"))]
    layout = dict(height=height, margin=MARGIN, showlegend=True, shapes=shapes,
                  legend=dict(orientation="h", y=-0.08, x=0, font=dict(size=11)), **_axes(views.bounds),
                  title=dict(text=f"After {k} tree{'s' if k != 1 else ''}: 2σ(F) − 1", font=dict(size=14)))
    return FigureSpec(data, layout)


def curve_figure(views: EnsembleViews, k: int, height: int = 320) -> FigureSpec:
    """Train and test log-loss after each number of trees (the learning curve), with the stage marked."""
    n = np.arange(views.n_trees + 1)
    data = [
        dict(type="scatter", mode="lines", x=typed(n, np.int32), y=typed(views.train_loss), name="train loss",
             line=dict(color="#444", width=2), hovertemplate="%{x} trees: train %{y:.4f}<extra></extra>"),
        dict(type="scatter", mode="lines", x=typed(n, np.int32), y=typed(views.test_loss), name="test loss",
             line=dict(color="#e8553e", width=2), hovertemplate="%{x} trees: test %{y:.4f}<extra></extra>"),
    ]
    best = int(np.argmin(views.test_loss))
    data.append(dict(type="scatter", mode="markers", x=[best], y=[float(views.test_loss[best])],
                     name=f"lowest test loss ({best} trees)", marker=dict(color="#e8553e", size=9, symbol="star"),
                     hovertemplate="lowest test loss %{y:.4f} after %{x} trees<extra></extra>"))
    top = float(np.nanmax(np.concatenate([views.train_loss, views.test_loss])))
    top = min(top, 3.0) if np.isfinite(top) else 1.0
    layout = dict(height=height, margin=dict(l=45, r=10, t=30, b=30),
                  title=dict(text="Learning curve", font=dict(size=14)),
                  xaxis=dict(title=dict(text="trees", standoff=0), range=[0, views.n_trees]),
                  yaxis=dict(title=dict(text="log-loss", standoff=2), range=[0, top * 1.05], rangemode="tozero"),
                  legend=dict(orientation="h", x=0, y=-0.22, xanchor="left", yanchor="top", font=dict(size=10)),
                  shapes=[dict(type="line", x0=k, x1=k, y0=0, y1=1, yref="paper",
                               line=dict(color="#1f77b4", width=2, dash="dot"))])
    return FigureSpec(data, layout)


def contribution_figure(values: np.ndarray, bounds, title: str, scale: float, height: int = 300) -> FigureSpec:
    """One SHAP map (a feature's push on the margin), coloured on a shared symmetric scale."""
    z = np.clip(values / (scale or 1.0), -1, 1)
    trace = heatmap_trace(z, bounds, hover="push / max")
    trace["customdata"] = typed(values)
    trace["hovertemplate"] = "x₁ %{x:.2f}, x₂ %{y:.2f}<br>push on F %{customdata:.3f}<extra></extra>"
    layout = dict(height=height, margin=dict(l=35, r=5, t=30, b=30), showlegend=False, **_axes(bounds),
                  title=dict(text=title, font=dict(size=13)))
    return FigureSpec([trace], layout)
