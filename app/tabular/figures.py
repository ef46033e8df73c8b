"""The page's pictures: live metric curves (SVG, cheap to redraw ten times a second) and the
explanation charts (Plotly, drawn once per model): importance, SHAP beeswarm, dependence, one row.

Pure functions: numbers in, SVG text or a Plotly figure out.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from app.svg_charts import FONT, PAD, axes, frame, nice_step

METRIC_NAMES = {"logloss": "Log-loss", "mlogloss": "Log-loss", "auc": "AUC", "error": "Error",
                "merror": "Error", "rmse": "RMSE", "mae": "MAE"}
PERCENT = {"auc", "error", "merror"}
TRAIN, VALID = "#1f77b4", "#e8553e"
RED_BLUE = [[0.0, "#1f77b4"], [0.5, "#cccccc"], [1.0, "#e8553e"]]


def metric_label(name: str) -> str:
    return METRIC_NAMES.get(name, name)


def curve_svg(rounds: list[int], train: list[float | None], valid: list[float | None], metric: str,
              best_round: int | None = None, width: int = 300, height: int = 210) -> str:
    """Train (solid) and validation (dashed) ``metric`` per round, with the best round as a vertical line."""
    percent = metric in PERCENT
    values = [v for v in (*train, *valid) if v is not None and math.isfinite(v)]
    if percent:
        y_max, y_step = 1.0, 0.25
    else:
        top = max(values, default=1.0) or 1.0
        y_step = nice_step(top / 4)
        y_max = y_step * max(1, math.ceil(top / y_step - 1e-9))
    legend_h = 34
    left, right, top_px, bottom = PAD["left"], width - PAD["right"], PAD["top"] + 14, height - legend_h - PAD["bottom"]
    x_max = max(float(rounds[-1]) if rounds else 1.0, 1.0)

    def x_of(r: float) -> float:
        return left + r / x_max * (right - left)

    def y_of(v: float) -> float:
        return bottom - min(max(v / y_max, 0.0), 1.0) * (bottom - top_px)

    title = metric_label(metric)
    body = [f'<text x="{left}" y="12" font-family="sans-serif" font-size="12" font-weight="bold" fill="#333">'
            f'{escape(title)}</text>']
    count = round(y_max / y_step)
    ticks = [(k / count, f"{k * y_step:.0%}" if percent else f"{k * y_step:.3g}") for k in range(count + 1)]
    body += axes((left, right, top_px, bottom), x_max, ticks, "round")
    if best_round is not None and rounds:
        bx = x_of(best_round)
        body.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{top_px}" y2="{bottom}" stroke="#2ca02c" '
                    f'stroke-width="1.5" stroke-dasharray="2 2" class="best-round"><title>best round '
                    f'{best_round}</title></line>')
        body.append(f'<text x="{min(bx + 3, right - 60):.1f}" y="{top_px + 10}" {FONT}>best {best_round}</text>')
    for i, (name, series, colour, dash) in enumerate((("train", train, TRAIN, ""), ("validation", valid, VALID,
                                                                                      "5 3"))):
        points = [f"{x_of(r):.1f},{y_of(v):.1f}" for r, v in zip(rounds, series, strict=False)
                  if v is not None and math.isfinite(v)]
        last = next((v for v in reversed(series) if v is not None and math.isfinite(v)), None)
        tip = name if last is None else f"{name}: {last:.2%}" if percent else f"{name}: {last:.4f}"
        if points:
            body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2" '
                        f'stroke-dasharray="{dash}"><title>{escape(tip)}</title></polyline>')
        ly = height - legend_h + 8 + 15 * i
        body.append(f'<line x1="8" x2="30" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2" '
                    f'stroke-dasharray="{dash}"/>')
        body.append(f'<text x="36" y="{ly + 4}" {FONT}>{escape(tip)}</text>')
    return frame(width, height, body, f"{title} per round")


def best_so_far_svg(values: list[float], higher_is_better: bool, metric: str, width: int = 600,
                    height: int = 200) -> str:
    """Each trial's validation score (dots) and the best so far (a step line)."""
    n = len(values)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if high - low < 1e-12:
        low, high = low - 0.5 * abs(low or 1) * 0.01, high + 0.5 * abs(high or 1) * 0.01
    left, right, top, bottom = 54, width - 10, 24, height - 26
    x_max = max(n, 1)

    def x_of(i: float) -> float:
        return left + i / x_max * (right - left)

    def y_of(v: float) -> float:
        return bottom - (v - low) / (high - low) * (bottom - top)

    title = f"Validation {metric_label(metric)} per trial, best so far"
    body = [f'<text x="{left}" y="12" font-family="sans-serif" font-size="12" font-weight="bold" fill="#333">'
            f'{escape(title)}</text>']
    ticks = [(k / 4, f"{low + (high - low) * k / 4:.4g}") for k in range(5)]
    body += axes((left, right, top, bottom), x_max, ticks, "trial")
    best, steps = None, []
    for i, v in enumerate(values, start=1):
        if v is None or not math.isfinite(v):
            continue
        body.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="#999"><title>trial {i}: '
                    f'{v:.4f}</title></circle>')
        if best is None or (v > best if higher_is_better else v < best):
            best = v
        steps.append(f"{x_of(i):.1f},{y_of(best):.1f}")
    if steps:
        body.append(f'<polyline points="{" ".join(steps)}" fill="none" stroke="{VALID}" stroke-width="2" '
                    f'class="best-so-far"><title>best so far: {best:.4f}</title></polyline>')
    return frame(width, height, body, title)


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height, margin=dict(l=10, r=10, t=40, b=10),
                      template="plotly_white", showlegend=False)
    return fig


def importance_figure(values: pd.Series, kind: str, top: int = 20) -> go.Figure:
    """Horizontal bars of the ``top`` features by XGBoost's importance ``kind``."""
    shown = values.sort_values(ascending=False).head(top)[::-1]
    fig = go.Figure(go.Bar(x=shown.to_numpy(), y=[str(i) for i in shown.index], orientation="h",
                           marker_color=VALID))
    return _layout(fig, f"Importance by {kind}", 120 + 22 * len(shown))


def _colour_values(column: pd.Series) -> np.ndarray:
    """A feature's values as 0..1 for colouring (categories by code; missing as NaN)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        values = codes
    else:
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full(len(values), np.nan)
    lo, hi = np.percentile(finite, [5, 95])
    if hi <= lo:
        hi = lo + 1.0
    return np.clip((values - lo) / (hi - lo), 0.0, 1.0)


def beeswarm_figure(contribs: np.ndarray, X: pd.DataFrame, top: int = 12, seed: int = 0,
                    max_points: int = 2_000) -> go.Figure:
    """The SHAP summary: one row per feature (largest mean |SHAP| on top), a dot per example, coloured by the
    feature's value (blue low, red high, grey missing)."""
    order = np.argsort(-np.abs(contribs).mean(axis=0))[:top][::-1]
    rng = np.random.default_rng(seed)
    rows = np.arange(len(X)) if len(X) <= max_points else np.sort(rng.choice(len(X), max_points, replace=False))
    fig = go.Figure()
    for position, j in enumerate(order):
        phi = contribs[rows, j]
        colour = _colour_values(X.iloc[rows, j])
        jitter = rng.uniform(-0.3, 0.3, len(rows))
        fig.add_trace(go.Scattergl(
            x=phi, y=position + jitter, mode="markers", name=str(X.columns[j]),
            marker=dict(size=4, color=np.nan_to_num(colour, nan=0.5), colorscale=RED_BLUE, cmin=0, cmax=1,
                        showscale=position == len(order) - 1,
                        colorbar=dict(title="value", tickvals=[0, 1], ticktext=["low", "high"], len=0.5)),
            hovertemplate=f"{X.columns[j]}: SHAP %{{x:.3f}}<extra></extra>"))
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=[str(X.columns[j]) for j in order])
    fig.update_xaxes(title="SHAP value (push on the margin, log-odds)", zeroline=True, zerolinecolor="#999")
    return _layout(fig, "Every feature's push, every validation row", 140 + 32 * len(order))


def dependence_figure(contribs: np.ndarray, X: pd.DataFrame, feature: str, max_points: int = 3_000) -> go.Figure:
    """A feature's value against its SHAP value (categories as a strip per category; missing apart)."""
    j = list(X.columns).index(feature)
    column = X[feature]
    rows = np.arange(min(len(X), max_points))
    phi = contribs[rows, j]
    values = column.iloc[rows]
    missing = values.isna().to_numpy()
    if isinstance(column.dtype, pd.CategoricalDtype):
        x = values.astype(str).where(~missing, "(missing)")
    else:
        x = pd.to_numeric(values, errors="coerce")
    fig = go.Figure(go.Scattergl(x=np.asarray(x)[~missing], y=phi[~missing], mode="markers",
                                 marker=dict(size=4, color=VALID, opacity=0.5), name=feature))
    if missing.any():
        fig.add_trace(go.Scattergl(x=["(missing)"] * int(missing.sum()) if isinstance(
            column.dtype, pd.CategoricalDtype) else np.full(int(missing.sum()), np.nan), y=phi[missing],
            mode="markers", marker=dict(size=4, color="#777"), name="missing"))
    fig.update_xaxes(title=feature)
    fig.update_yaxes(title=f"SHAP value of {feature}", zeroline=True, zerolinecolor="#999")
    return _layout(fig, f"How {feature} pushes the prediction", 360)


def row_figure(contribs_row: np.ndarray, values_row: pd.Series, bias: float, top: int = 10) -> go.Figure:
    """One row's biggest pushes as bars (red up, blue down), labelled with the row's values."""
    order = np.argsort(-np.abs(contribs_row))[:top][::-1]
    labels = []
    for j in order:
        value = values_row.iloc[j]
        shown = "missing" if pd.isna(value) else (f"{value:.4g}" if isinstance(value, float) else str(value))
        labels.append(f"{values_row.index[j]} = {shown}")
    phi = contribs_row[order]
    fig = go.Figure(go.Bar(x=phi, y=labels, orientation="h",
                           marker_color=[VALID if p > 0 else TRAIN for p in phi],
                           hovertemplate="%{y}: %{x:+.3f}<extra></extra>"))
    fig.update_xaxes(title=f"push on the margin (base value {bias:+.3f})", zeroline=True, zerolinecolor="#999")
    return _layout(fig, "Why this prediction: the biggest pushes", 120 + 26 * len(order))
