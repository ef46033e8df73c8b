"""Small SVG charts shared by the pages' live views: axes, a frame, line charts.

A Plotly chart that a page redraws on every live update costs the browser most of
its time (it remounts on each update): measured on the 2-core development machine,
one Plotly load chart in the MoE page's training fragment cut the updates from about
8 a second to 1.5. These charts are a few kilobytes of SVG text that the browser draws
natively, through the page's picture element (:mod:`app.html_view`; ``st.html`` strips
SVG), with a ``<title>`` tooltip on every line. Pure functions: data in, SVG text out.
Page-specific charts build on them (``app/moe/svg.py``).
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

FONT = 'font-family="sans-serif" font-size="11" fill="#555"'
PAD = dict(left=44, right=10, top=10, bottom=26)


def frame(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{escape(label)}" style="max-width:{width * 1.6:.0f}px">' + "".join(body)
            + "</svg>")


def axes(box: tuple[float, float, float, float], x_max: float, y_ticks: list[tuple[float, str]],
         x_label: str, x_min: float = 0.0) -> list[str]:
    """Gridlines and tick labels for the plot area ``box = (left, right, top, bottom)`` in pixels,
    x from ``x_min`` to ``x_max``; ``y_ticks`` are ``(fraction of the height, text)``."""
    left, right, top, bottom = box
    label_y = bottom + 18
    out = []
    for value, text in y_ticks:
        y = bottom - value * (bottom - top)
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{escape(text)}</text>')
    for frac in (0.0, 0.5, 1.0):
        x = left + frac * (right - left)
        anchor = "start" if frac == 0 else "end" if frac == 1 else "middle"
        value = x_min + (x_max - x_min) * frac
        text = f"{value:,.0f}"
        if frac == 0.5:  # the middle names the axis; its value only where it is a whole number
            text = f"{x_label} {text}" if value == round(value) else x_label
        out.append(f'<text x="{x:.1f}" y="{label_y:.1f}" text-anchor="{anchor}" {FONT}>{escape(text)}</text>')
    return out


def nice_step(rough: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``rough`` (> 0): a round tick step."""
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= rough * (1 - 1e-9))


def line_chart(steps, series: dict[str, tuple[list, str, str]], percent: bool, title: str,
               width: int = 260, height: int = 250, x_label: str = "step", x_min: float = 0.0,
               markers: bool = False) -> str:
    """Lines over ``steps``; ``series`` maps a name to ``(values, colour, dash)`` (None values leave gaps).

    The x axis runs from ``x_min`` to the last step and is labelled ``x_label``; the y axis
    from 0 to 100 % (``percent``) or to a little above the largest value. With ``markers``
    every point is also a dot with its own tooltip (few points, such as epochs).
    """
    steps = np.asarray(steps, dtype=np.float64)
    finite = [v for values, _, _ in series.values() for v in values if v is not None and math.isfinite(v)]
    if percent:
        y_max, y_step = 1.0, 0.25
    else:
        top = max(finite, default=1.0)
        top = top if top > 0 else 1.0  # nothing above zero: a plain 0-1 axis
        y_step = nice_step(top / 4)  # about four round steps up to the largest value
        y_max = y_step * max(1, math.ceil(top / y_step - 1e-9))
    legend_h = 15 * len(series) + 4
    plot_h = height - legend_h
    left, right, top, bottom = PAD["left"], width - PAD["right"], PAD["top"] + 14, plot_h - PAD["bottom"]
    x_max = max(float(steps[-1]), x_min + 1.0) if len(steps) else x_min + 1.0
    body = [f'<text x="{left}" y="12" font-family="sans-serif" font-size="12" font-weight="bold" fill="#333">'
            f'{escape(title)}</text>']
    count = round(y_max / y_step)
    ticks = [(k / count, f"{k * y_step:.0%}" if percent else f"{k * y_step:.4g}") for k in range(count + 1)]
    body += axes((left, right, top, bottom), x_max, ticks, x_label, x_min)
    for i, (name, (values, colour, dash)) in enumerate(series.items()):
        points, segments, dots = [], [], []
        for x, v in zip(steps, values, strict=True):
            if v is None or not math.isfinite(v):
                if points:
                    segments.append(points)
                points = []
                continue
            px = left + (x - x_min) / (x_max - x_min) * (right - left)
            py = bottom - min(max(v / y_max, 0.0), 1.0) * (bottom - top)
            points.append(f"{px:.1f},{py:.1f}")
            if markers:
                value = f"{v:.1%}" if percent else f"{v:.3f}"
                dots.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                            f'<title>{escape(f"{name}, {x_label} {x:g}: {value}")}</title></circle>')
        if points:
            segments.append(points)
        last = next((v for v in reversed(values) if v is not None and math.isfinite(v)), None)
        tip = name if last is None else f"{name}: {last:.1%}" if percent else f"{name}: {last:.3f}"
        for seg in segments:
            body.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="2" '
                        f'stroke-dasharray="{dash}"><title>{escape(tip)}</title></polyline>')
        body += dots
        lx, ly = 8, plot_h + 6 + 15 * i
        body.append(f'<line x1="{lx:.0f}" x2="{lx + 22:.0f}" y1="{ly:.0f}" y2="{ly:.0f}" stroke="{colour}" '
                    f'stroke-width="2" stroke-dasharray="{dash}"/>')
        body.append(f'<text x="{lx + 28:.0f}" y="{ly + 4:.0f}" {FONT}>{escape(tip)}</text>')
    return frame(width, height, body, title)


