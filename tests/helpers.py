"""Drawing helpers for engine tests: digits made of strokes, as a canvas would."""

from __future__ import annotations

import math

import numpy as np

from engine.digits.strokes import render_strokes


def seven(offset=(0.0, 0.0), scale: float = 1.0, size: int = 280, width: float = 18) -> np.ndarray:
    """A '7' on a black canvas, moved by ``offset`` and scaled about the centre."""
    base = [[(80, 60), (200, 60), (120, 230)]]
    return render_strokes(_move(base, offset, scale, size), size=size, width=width * scale)


def zero(offset=(0.0, 0.0), scale: float = 1.0, size: int = 280, width: float = 18) -> np.ndarray:
    """An elliptical '0'."""
    ring = [(140 + 55 * math.cos(t), 140 + 85 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 40)]
    return render_strokes(_move([ring], offset, scale, size), size=size, width=width * scale)


def one(size: int = 280, width: float = 18) -> np.ndarray:
    """A vertical stroke."""
    return render_strokes([[(140, 50), (140, 230)]], size=size, width=width)


def _move(strokes, offset, scale, size):
    c = size / 2
    return [[(c + (x - c) * scale + offset[0], c + (y - c) * scale + offset[1]) for x, y in s] for s in strokes]
