"""Render pen strokes (lists of points) the way a drawing canvas does.

A stroke is a sequence of ``(x, y)`` points in canvas pixels, y pointing down.
Strokes are drawn as white polylines on black with round joins and caps, so a
single point becomes a dot.
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
    strokes: Sequence[Stroke], size: int = CANVAS, width: float = PEN_WIDTH
) -> np.ndarray:
    """Draw ``strokes`` on a black ``(size, size)`` uint8 image with a white pen."""
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    radius = width / 2.0
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke if np.isfinite(x) and np.isfinite(y)]
        if not points:
            continue
        if len(points) > 1:
            draw.line(points, fill=255, width=max(1, round(width)), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(canvas, dtype=np.uint8)


def parse_strokes(payload: object, size: int = CANVAS, max_points: int = 20_000) -> list[list[tuple[float, float]]]:
    """Validate strokes sent by a browser: drop anything malformed, clamp to the canvas.

    Returns a list of strokes, each a list of ``(x, y)`` floats. Never raises.
    """
    strokes: list[list[tuple[float, float]]] = []
    if not isinstance(payload, (list, tuple)):
        return strokes
    budget = max_points
    for stroke in payload:
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
        if points:
            strokes.append(points)
        if budget <= 0:
            break
    return strokes
