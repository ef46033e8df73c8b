"""The MoE page's small SVG charts (and the figure cards) for the views that change on every live update.

Built on the shared pieces of :mod:`app.svg_charts` (axes, frame, line charts; see
there why live charts are SVG and not Plotly), with a ``<title>`` tooltip on every
band and cell. Pure functions: data in, SVG or HTML text out.
"""

from __future__ import annotations

from html import escape

import numpy as np

from app.svg_charts import FONT, PAD, axes, frame, line_chart

__all__ = ["batch_bars", "batch_plane", "bias_chart", "heat_grid", "line_chart", "metric_cards", "spark_row",
           "stacked_area"]

def stacked_area(steps, shares: np.ndarray, colors, width: int = 430, height: int = 210) -> str:
    """Shares ``(T, E)`` over ``steps`` ``(T,)`` stacked to 1, expert 0 at the bottom, one colour per expert."""
    steps = np.asarray(steps, dtype=np.float64)
    shares = np.nan_to_num(np.asarray(shares, dtype=np.float64))
    left, right, top, bottom = PAD["left"], width - PAD["right"], PAD["top"], height - PAD["bottom"]
    x_max = max(float(steps[-1]), 1.0)
    xs = left + steps / x_max * (right - left)
    cum = np.concatenate([np.zeros((len(steps), 1)), np.cumsum(shares, axis=1)], axis=1)
    cum = np.clip(cum / np.maximum(cum[:, -1:], 1e-12), 0, 1)
    ys = bottom - cum * (bottom - top)
    body = []
    for e in range(shares.shape[1]):
        upper = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys[:, e + 1], strict=True))
        lower = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs[::-1], ys[::-1, e], strict=True))
        tip = f"Expert {e}: {shares[-1, e]:.1%} of the inputs at step {steps[-1]:,.0f}"
        body.append(f'<polygon points="{upper} {lower}" fill="{colors[e % len(colors)]}" fill-opacity="0.85" '
                    f'stroke="white" stroke-width="0.5"><title>{escape(tip)}</title></polygon>')
    body += axes((left, right, top, bottom), x_max, [(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)], "step")
    return frame(width, height, body, "Share of the inputs each expert processed over training")


def heat_grid(matrix: np.ndarray, row_label: str, col_prefix: str = "E", width: int = 250) -> str:
    """Counts ``(C, E)`` as a grid of cells shaded by each row's share (rows sum to 100 %), counts in tooltips."""
    matrix = np.asarray(matrix, dtype=np.float64)
    rows = matrix / np.maximum(matrix.sum(1, keepdims=True), 1.0)
    n_rows, n_cols = matrix.shape
    left, top = 26, 18
    cell_w = (width - left - 4) / max(n_cols, 1)
    cell_h = min(24.0, cell_w)
    height = int(top + n_rows * cell_h + 4)
    body = []
    for j in range(n_cols):
        label = f"{col_prefix}{j}" if cell_w >= 24 else str(j)
        body.append(f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="12" text-anchor="middle" {FONT}>'
                    f'{label}</text>')
    for i in range(n_rows):
        y = top + i * cell_h
        body.append(f'<text x="{left - 6}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" {FONT}>{i}</text>')
        for j in range(n_cols):
            v = rows[i, j]
            shade = int(255 - v * (255 - 60))
            fill = f"rgb({shade},{int(255 - v * (255 - 110))},{int(255 - v * (255 - 180))})"
            tip = f"{row_label} {i} → expert {j}: {v:.0%} ({int(matrix[i, j])} inputs)"
            body.append(f'<rect x="{left + j * cell_w:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}" '
                        f'height="{cell_h - 1:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>')
            if cell_w >= 25 and v >= 0.005:
                colour = "white" if v > 0.55 else "#333"
                body.append(f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="{y + cell_h / 2 + 4:.1f}" '
                            f'text-anchor="middle" font-family="sans-serif" font-size="10" fill="{colour}">'
                            f'{v:.0%}</text>')
    return frame(width, height, body, f"Where each {row_label}'s inputs go")


def spark_row(panels: list[tuple[str, list[float] | None, str]], width: int = 640, height: int = 34,
              gap: float = 16.0) -> str:
    """One row of sparklines under a row of metrics: ``panels`` are ``(name, values or None, kind)`` side by
    side in equal columns, ``kind`` ``"line"``, ``"area"`` or ``"bar"``; each scaled to its own range.

    (``st.metric(chart_data=...)`` draws each sparkline as a Vega-Lite chart that the browser rebuilds
    on every live update: seven of them cost the page about a third of its update rate.)
    """
    n = max(len(panels), 1)
    panel_w = (width - gap * (n - 1)) / n
    body = []
    for i, (name, values, kind) in enumerate(panels):
        if not values or len(values) < 2:
            continue
        v = np.nan_to_num(np.asarray(values, dtype=np.float64))
        lo, hi = float(v.min()), float(v.max())
        lo = min(lo, 0.0) if kind in ("area", "bar") else lo
        span = hi - lo if hi > lo else 1.0
        x0, top, bottom = i * (panel_w + gap) + 4, 3.0, height - 3.0
        ys = bottom - (v - lo) / span * (bottom - top)
        tip = escape(f"{name}: the last {len(v)} records")
        if kind == "bar":
            slot = (panel_w - 8) / len(v)
            bars = "".join(f'<rect x="{x0 + k * slot + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                           f'height="{bottom - y:.1f}"/>' for k, y in enumerate(ys))
            body.append(f'<g fill="#e8553e" fill-opacity="0.6"><title>{tip}</title>{bars}</g>')
            continue
        xs = x0 + np.arange(len(v)) * (panel_w - 8) / (len(v) - 1)
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        if kind == "area":
            body.append(f'<polygon points="{xs[0]:.1f},{bottom:.1f} {line} {xs[-1]:.1f},{bottom:.1f}" '
                        f'fill="#e8553e" fill-opacity="0.18" stroke="none"/>')
        body.append(f'<polyline points="{line}" fill="none" stroke="#e8553e" stroke-width="1.5">'
                    f'<title>{tip}</title></polyline>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="Recent history of the figures above">'
            + "".join(body) + "</svg>")


CARD_STYLE = (
    "<style>"
    ".moe-panel{container-type:inline-size;font-family:inherit;color:rgb(49,51,63)}"
    ".moe-cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:1rem;margin-bottom:1rem}"
    "@container (max-width:34rem){.moe-cards{grid-template-columns:repeat(2,minmax(0,1fr))}}"
    ".moe-metric{border:1px solid rgba(49,51,63,0.2);border-radius:0.5rem;padding:0.75rem 0.9rem 0.4rem;"
    "min-width:0}"
    ".moe-label{font-size:0.875rem;line-height:1.4;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
    ".moe-help{display:inline-block;margin-left:0.3rem;width:0.95rem;height:0.95rem;line-height:0.95rem;"
    "border:1px solid rgba(49,51,63,0.5);border-radius:50%;text-align:center;font-size:0.65rem;cursor:help;"
    "color:rgba(49,51,63,0.7)}"
    ".moe-value{font-size:2.25rem;line-height:1.25;padding:0.25rem 0;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}"
    ".moe-spark{height:30px}.moe-spark svg{display:block;width:100%;height:30px}"
    ".moe-spark svg *{vector-effect:non-scaling-stroke}"
    ".moe-summary{margin:0;font-size:1rem;line-height:1.6}"
    "</style>")
"""The metric cards' look (after ``st.metric(border=True)``), once per panel; the element's shadow root keeps
it to the panel."""


def metric_cards(rows: list[list[tuple[str, str, str, list[float] | None, str]]], summary_html: str = "") -> str:
    """The page's figures as cards in rows of four, each with its recent history as a sparkline under the value,
    and an optional sentence (trusted HTML) under them: one piece of HTML for one live element.

    A card is ``(label, value, help, spark values or None, kind)``; ``kind`` as in :func:`spark_row`. Each card
    carries ``data-label`` and its value ``class="moe-value"``, so tests and benchmarks find them by name.

    Eight ``st.metric`` in two ``st.columns(4)`` rows were 20 messages of every live update and as many React
    components for the browser to rebuild; this is one.
    """
    out = [CARD_STYLE, '<div class="moe-panel">']
    for row in rows:
        out.append('<div class="moe-cards">')
        for label, value, help_text, values, kind in row:
            helper = (f'<span class="moe-help" title="{escape(help_text)}" aria-label="{escape(help_text)}">?</span>'
                      if help_text else "")
            spark = spark_row([(label, values, kind)], width=160, height=30, gap=0).replace(
                "<svg ", '<svg preserveAspectRatio="none" ', 1) if values else ""
            out.append(f'<div class="moe-metric" role="group" aria-label="{escape(label)}" '
                       f'data-label="{escape(label)}"><div class="moe-label">{escape(label)}{helper}</div>'
                       f'<div class="moe-value">{escape(value)}</div><div class="moe-spark">{spark}</div></div>')
        out.append("</div>")
    if summary_html:
        out.append(f'<p class="moe-summary">{summary_html}</p>')
    out.append("</div>")
    return "".join(out)


def bias_chart(steps, bias: np.ndarray, colors, width: int = 430, height: int = 190) -> str:
    """The loss-free balancing bias: a line per expert over ``steps`` (T,) from ``bias`` (T, E), and the
    current bias as bars (right, one per expert, from zero: up = favoured, down = held back)."""
    steps = np.asarray(steps, dtype=np.float64)
    bias = np.nan_to_num(np.asarray(bias, dtype=np.float64))
    n_e = bias.shape[1]
    bars_w = min(150, 14 * n_e + 30)
    left, right, top, bottom = PAD["left"], width - PAD["right"] - bars_w - 12, PAD["top"] + 4, height - PAD["bottom"]
    span = max(float(np.abs(bias).max()), 1e-3)
    zero = (top + bottom) / 2
    def y_of(v):
        return zero - v / span * (bottom - top) / 2
    x_max = max(float(steps[-1]), 1.0)
    xs = left + steps / x_max * (right - left)
    body = [f'<line x1="{left}" x2="{right}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999" stroke-width="1"/>']
    for value, text in ((span, f"+{span:.2g}"), (0.0, "0"), (-span, f"−{span:.2g}")):
        body.append(f'<text x="{left - 4}" y="{y_of(value) + 4:.1f}" text-anchor="end" {FONT}>{text}</text>')
    for e in range(n_e):
        line = " ".join(f"{x:.1f},{y_of(v):.1f}" for x, v in zip(xs, bias[:, e], strict=True))
        tip = f"Expert {e}: bias {bias[-1, e]:+.3f} at step {steps[-1]:,.0f}"
        body.append(f'<polyline points="{line}" fill="none" stroke="{colors[e % len(colors)]}" stroke-width="1.5">'
                    f"<title>{escape(tip)}</title></polyline>")
    label_y = bottom + 18
    body.append(f'<text x="{left}" y="{label_y}" {FONT}>0</text>')
    body.append(f'<text x="{right}" y="{label_y}" text-anchor="end" {FONT}>step {steps[-1]:,.0f}</text>')
    # the current bias, one bar per expert
    bx0 = width - PAD["right"] - bars_w
    slot = bars_w / n_e
    body.append(f'<line x1="{bx0}" x2="{width - PAD["right"]}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999"/>')
    for e in range(n_e):
        v = bias[-1, e]
        y0, y1 = sorted((zero, y_of(v)))
        x = bx0 + e * slot + slot * 0.15
        tip = f"Expert {e}: bias now {v:+.3f}"
        body.append(f'<rect class="moe-bias-bar" data-expert="{e}" data-bias="{v:.6g}" x="{x:.1f}" y="{y0:.1f}" '
                    f'width="{slot * 0.7:.1f}" height="{max(y1 - y0, 0.5):.1f}" fill="{colors[e % len(colors)]}">'
                    f"<title>{escape(tip)}</title></rect>")
        if slot >= 12:
            body.append(f'<text x="{x + slot * 0.35:.1f}" y="{label_y}" text-anchor="middle" {FONT}>{e}</text>')
    body.append(f'<text x="{bx0 + bars_w / 2:.1f}" y="10" text-anchor="middle" {FONT}>now</text>')
    return frame(width, height, body, "The loss-free balancing bias of every expert over training, and now")


def batch_plane(x: np.ndarray, first: np.ndarray, unserved: np.ndarray, partly: np.ndarray, bounds, colors,
                side: int = 300) -> str:
    """One routed batch on the plane: points ``x`` (B, 2) coloured by their first kept expert ``first`` (B,),
    ``unserved`` (B,) drawn as red crosses, ``partly`` (B,) (lost some chosen experts) with a red ring."""
    x0, x1, y0, y1 = bounds
    px = (np.asarray(x[:, 0]) - x0) / (x1 - x0) * (side - 8) + 4
    py = (1 - (np.asarray(x[:, 1]) - y0) / (y1 - y0)) * (side - 8) + 4
    body = [f'<rect x="0.5" y="0.5" width="{side - 1}" height="{side - 1}" fill="#fafafa" stroke="#ddd"/>']
    served = []
    for i in np.flatnonzero(~unserved):
        ring = ' stroke="#111" stroke-width="1.3" class="moe-partly"' if partly[i] else ""
        served.append(f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="3.2" fill="{colors[int(first[i]) % len(colors)]}"'
                      f'{ring}/>')
    body.append(f'<g fill-opacity="0.85">{"".join(served)}</g>')
    crosses = []
    for i in np.flatnonzero(unserved):
        a, b = px[i], py[i]
        crosses.append(f'<path class="moe-unserved" d="M{a - 4:.1f},{b - 4:.1f}L{a + 4:.1f},{b + 4:.1f}'
                       f'M{a - 4:.1f},{b + 4:.1f}L{a + 4:.1f},{b - 4:.1f}"/>')
    body.append(f'<g stroke="#111" stroke-width="2.4">{"".join(crosses)}</g>')
    return frame(side, side, body, "One training batch routed together: crosses got no expert, rings lost some")


def batch_bars(requested: np.ndarray, load: np.ndarray, capacity: int | None, colors, width: int = 300,
               height: int = 200) -> str:
    """Per expert: inputs that chose it (pale) and inputs it processed (full colour), with the capacity as a
    dashed line."""
    requested, load = np.asarray(requested, dtype=np.float64), np.asarray(load, dtype=np.float64)
    n_e = len(load)
    left, right, top, bottom = PAD["left"], width - PAD["right"], PAD["top"] + 4, height - PAD["bottom"]
    top_value = max(float(requested.max(initial=0)), float(load.max(initial=0)), float(capacity or 0), 1.0)
    def y_of(v):
        return bottom - v / top_value * (bottom - top)
    slot = (right - left) / n_e
    body = axes((left, right, top, bottom), 1.0, [(f, f"{f * top_value:.0f}") for f in (0, 0.5, 1.0)], "")[:6]
    for e in range(n_e):
        x = left + e * slot + slot * 0.15
        colour = colors[e % len(colors)]
        tip = f"Expert {e}: chosen by {requested[e]:.0f}, processed {load[e]:.0f}"
        body.append(f'<rect x="{x:.1f}" y="{y_of(requested[e]):.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{bottom - y_of(requested[e]):.1f}" fill="{colour}" fill-opacity="0.3">'
                    f"<title>{escape(tip)}</title></rect>")
        body.append(f'<rect x="{x:.1f}" y="{y_of(load[e]):.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{bottom - y_of(load[e]):.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>')
        if slot >= 12:
            body.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom + 14}" text-anchor="middle" {FONT}>{e}</text>')
    if capacity is not None:
        y = y_of(capacity)
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d62728" stroke-width="1.5" '
                    f'stroke-dasharray="5 3"><title>capacity {capacity}</title></line>')
        body.append(f'<text x="{right}" y="{y - 4:.1f}" text-anchor="end" {FONT}>capacity {capacity}</text>')
    return frame(width, height, body, "Inputs per expert in the batch: chosen (pale) and processed")
