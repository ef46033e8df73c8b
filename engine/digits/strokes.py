"""Render pen strokes (lists of points) the way a drawing canvas does.

A stroke is a sequence of ``(x, y)`` points in canvas pixels, y pointing down.
Strokes are drawn as white polylines on black with round joins and caps, so a
single point becomes a dot. An eraser stroke is drawn the same way in black, over
whatever was drawn before it (and only that: ink drawn later covers it again).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

Stroke = Sequence[Sequence[float]]

CANVAS = 280
"""Side of the drawing canvas in pixels (10x the model input)."""
PEN_WIDTH = 18
"""Default pen width in canvas pixels."""


def render_strokes(
    strokes: Sequence[Stroke],
    size: int = CANVAS,
    width: float = PEN_WIDTH,
    widths: Sequence[float] | None = None,
    erase: Sequence[bool] | None = None,
) -> np.ndarray:
    """Draw ``strokes`` on a black ``(size, size)`` uint8 image with a white pen.

    ``widths`` gives each stroke its own pen width; otherwise all use ``width``.
    ``erase[k]`` true makes stroke ``k`` an eraser stroke (drawn in black).
    """
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    for k, stroke in enumerate(strokes):
        pen = float(widths[k]) if widths is not None else width
        radius = pen / 2.0
        ink = 0 if erase is not None and erase[k] else 255
        points = [(float(x), float(y)) for x, y in stroke if np.isfinite(x) and np.isfinite(y)]
        if not points:
            continue
        if len(points) > 1:
            draw.line(points, fill=ink, width=max(1, round(pen)), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
    return np.asarray(canvas, dtype=np.uint8)


def parse_strokes(
    payload: object, size: int = CANVAS, max_points: int = 20_000
) -> tuple[list[list[tuple[float, float]]], list[float]]:
    """Validate strokes sent by a browser: drop anything malformed, clamp to the canvas.

    ``payload`` is a list of strokes, each either a list of ``[x, y]`` points or
    a dict ``{"points": [[x, y], ...], "width": w}``. Returns ``(strokes, widths)``:
    each stroke a list of ``(x, y)`` floats, each width clamped to 1-80 px.
    Never raises. Eraser strokes are read like any other; :func:`parse_marks` also says which they are.
    """
    strokes, widths, _ = parse_marks(payload, size, max_points)
    return strokes, widths


def parse_marks(
    payload: object, size: int = CANVAS, max_points: int = 20_000
) -> tuple[list[list[tuple[float, float]]], list[float], list[bool]]:
    """:func:`parse_strokes`, and which strokes are eraser strokes (a dict with ``"erase": true``).

    Eraser strokes before the first ink stroke have nothing to remove and are dropped, so an
    eraser used on an empty canvas leaves no strokes at all. Never raises.
    """
    strokes: list[list[tuple[float, float]]] = []
    widths: list[float] = []
    erases: list[bool] = []
    if not isinstance(payload, (list, tuple)):
        return strokes, widths, erases
    budget = max_points
    for stroke in payload:
        width = PEN_WIDTH
        erase = False
        if isinstance(stroke, dict):
            erase = stroke.get("erase") is True
            try:
                width = float(stroke.get("width", PEN_WIDTH))
            except (TypeError, ValueError):
                width = PEN_WIDTH
            width = min(max(width, 1.0), 80.0) if np.isfinite(width) else PEN_WIDTH
            stroke = stroke.get("points")
        if not isinstance(stroke, (list, tuple)):
            continue
        points = []
        for point in stroke[:budget]:
            try:
                x, y = float(point[0]), float(point[1])
            except (TypeError, ValueError, IndexError, KeyError):
                continue
            if np.isfinite(x) and np.isfinite(y):
                points.append((min(max(x, 0.0), size), min(max(y, 0.0), size)))
        budget -= len(points)
        if points and (not erase or False in erases):  # an eraser needs ink drawn before it
            strokes.append(points)
            widths.append(width)
            erases.append(erase)
        if budget <= 0:
            break
    return strokes, widths, erases
