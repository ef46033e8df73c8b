"""Synthetic pen-style digits: how people write digits with a mouse, a finger or a pen.

MNIST's 5,000 bundled digits were written with a pen on paper, mostly by US
writers. Students drawing on a canvas produce uniform-width strokes, often with
few, straight segments, and use styles MNIST rarely shows: a 1 with a flag and a
base, a 7 with a crossbar, a 9 with a straight stem, a flat-topped 3, an open 4.
This module draws such digits from hand-written templates (a few strokes of
control points per style, in a unit box with y pointing down), perturbed at random
and rendered exactly like the canvas (:func:`engine.digits.strokes.render_strokes`),
then prepared with :func:`engine.digits.preprocess.preprocess`.

No data set is involved: the templates below are the whole source.
"""

from __future__ import annotations

import math

import numpy as np

from engine.digits.preprocess import preprocess
from engine.digits.strokes import CANVAS, render_strokes


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 8) -> list[tuple[float, float]]:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, 0 = right, 90 = down)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, n)
    ]


# Each style is a list of strokes; each stroke a list of (x, y) in [0, 1], y down.
TEMPLATES: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [
        [_arc(0.5, 0.5, 0.38, 0.5, -90, -450, 12)],
        [_arc(0.5, 0.5, 0.3, 0.5, -100, -440, 10)],
        [_arc(0.5, 0.5, 0.42, 0.48, -60, -420, 10)],
    ],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.2, 0.25), (0.55, 0.0), (0.55, 1.0)]],
        [[(0.25, 0.2), (0.55, 0.0), (0.55, 1.0)], [(0.2, 1.0), (0.85, 1.0)]],
        [[(0.35, 0.12), (0.55, 0.0), (0.5, 1.0)]],
    ],
    2: [
        [_arc(0.5, 0.3, 0.35, 0.3, 200, 360, 6) + [(0.6, 0.62), (0.1, 1.0), (0.92, 1.0)]],
        [_arc(0.5, 0.28, 0.38, 0.28, 180, 380, 7) + [(0.1, 1.0), (0.9, 0.98)]],
        [_arc(0.5, 0.3, 0.35, 0.3, 210, 370, 6) + [(0.3, 0.85), (0.12, 0.98), (0.25, 0.82), (0.5, 0.9), (0.9, 1.0)]],
    ],
    3: [
        [_arc(0.48, 0.25, 0.32, 0.25, 200, 450, 7) + _arc(0.48, 0.74, 0.36, 0.26, -90, 150, 8)],
        [[(0.12, 0.0), (0.85, 0.0), (0.4, 0.42)] + _arc(0.45, 0.7, 0.38, 0.3, -80, 150, 8)],
        [_arc(0.45, 0.25, 0.35, 0.25, 190, 440, 7) + [(0.35, 0.5)] + _arc(0.45, 0.74, 0.38, 0.26, -80, 160, 7)],
    ],
    4: [
        [[(0.55, 0.0), (0.08, 0.65), (0.92, 0.65)], [(0.68, 0.25), (0.68, 1.0)]],
        [[(0.2, 0.0), (0.15, 0.55), (0.85, 0.55)], [(0.72, 0.0), (0.72, 1.0)]],
        [[(0.2, 0.0), (0.12, 0.55), (0.8, 0.55), (0.78, 0.0), (0.78, 1.0)]],
        [[(0.6, 0.0), (0.1, 0.7), (0.95, 0.7)], [(0.6, 0.0), (0.62, 1.0)]],
    ],
    5: [
        [[(0.82, 0.0), (0.25, 0.0), (0.2, 0.42)] + _arc(0.48, 0.68, 0.36, 0.3, -120, 140, 8)],
        [[(0.25, 0.0), (0.2, 0.42)] + _arc(0.48, 0.68, 0.36, 0.3, -120, 150, 8), [(0.25, 0.0), (0.85, 0.0)]],
        [[(0.85, 0.02), (0.3, 0.0), (0.22, 0.45), (0.6, 0.4), (0.85, 0.62), (0.75, 0.92), (0.4, 1.0), (0.12, 0.88)]],
    ],
    6: [
        [[(0.75, 0.0), (0.4, 0.2), (0.18, 0.55)] + _arc(0.5, 0.72, 0.32, 0.28, 180, 530, 9)],
        [[(0.65, 0.0), (0.25, 0.4), (0.18, 0.75)] + _arc(0.48, 0.75, 0.3, 0.25, 160, 510, 9)],
    ],
    7: [
        [[(0.08, 0.0), (0.92, 0.0), (0.4, 1.0)]],
        [[(0.08, 0.0), (0.92, 0.0), (0.45, 1.0)], [(0.3, 0.5), (0.85, 0.5)]],
        [[(0.1, 0.18), (0.1, 0.0), (0.9, 0.0), (0.45, 1.0)]],
        [[(0.1, 0.05), (0.92, 0.0), (0.6, 0.5), (0.5, 1.0)], [(0.35, 0.5), (0.85, 0.48)]],
        [[(0.1, 0.0), (0.9, 0.0), (0.55, 0.5), (0.5, 1.0)]],
    ],
    8: [
        [_arc(0.5, 0.25, 0.32, 0.25, -30, -270, 7) + _arc(0.5, 0.73, 0.38, 0.27, -90, 270, 10)[1:]
         + [(0.75, 0.2), (0.72, 0.1)]],
        [_arc(0.5, 0.26, 0.3, 0.26, 0, 360, 9), _arc(0.5, 0.74, 0.36, 0.26, 0, 360, 9)],
        [[(0.8, 0.1), (0.5, 0.0), (0.2, 0.15), (0.3, 0.38), (0.7, 0.62), (0.8, 0.85), (0.5, 1.0),
          (0.2, 0.85), (0.3, 0.62), (0.7, 0.38), (0.8, 0.15), (0.55, 0.0)]],
    ],
    9: [
        [_arc(0.45, 0.27, 0.35, 0.27, 0, -360, 9) + [(0.8, 1.0)]],
        [_arc(0.45, 0.27, 0.33, 0.27, -20, -370, 9) + [(0.78, 0.6), (0.6, 1.0)]],
        [_arc(0.45, 0.25, 0.33, 0.25, 10, -350, 9), [(0.78, 0.05), (0.76, 1.0)]],
        [[(0.8, 0.15), (0.45, 0.0), (0.15, 0.2), (0.3, 0.48), (0.78, 0.35), (0.8, 0.05), (0.75, 1.0)]],
    ],
}


def _smooth(points: np.ndarray, samples: int = 6) -> np.ndarray:
    """Catmull-Rom spline through ``points`` (K, 2): a curvy pen path."""
    if len(points) < 3:
        return points
    padded = np.vstack([points[0], points, points[-1]])
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for t in np.linspace(0, 1, samples, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                              + (-p0 + 3 * p1 - 3 * p2 + p3) * t3))
    out.append(points[-1])
    return np.asarray(out)


def _resample(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points equally spaced along the polyline ``points`` (K, 2)."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    if dist[-1] <= 0:
        return points[:1]
    targets = np.linspace(0.0, dist[-1], n)
    return np.stack([np.interp(targets, dist, points[:, 0]), np.interp(targets, dist, points[:, 1])], axis=1)


def draw_strokes(label: int, rng: np.random.Generator, size: int = CANVAS) -> tuple[list[np.ndarray], float]:
    """A random pen-style trajectory for ``label``: strokes in canvas pixels and a pen width.

    Besides shape noise (slant, rotation, jitter, smooth or angular strokes) it
    models how pen input is captured:

    - the writer does not lift the pen between strokes (strokes joined into one);
    - a tablet keeps only a few samples, so the path becomes a coarse polyline;
    - the drawing is stretched to fill its box, so narrow digits come out wide.
    """
    style = TEMPLATES[label][rng.integers(len(TEMPLATES[label]))]
    height = rng.uniform(0.55, 0.75) * size
    width = height * rng.uniform(0.5, 0.85)
    if label == 1:
        width *= rng.uniform(0.4, 0.8)
    angle = math.radians(rng.normal(0, 8))
    shear = rng.normal(0.08, 0.12)  # handwriting leans right more often than left
    jitter = rng.uniform(0.01, 0.05)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    strokes = [np.asarray(stroke, dtype=np.float64) for stroke in style]
    strokes = [pts + rng.normal(0, jitter, pts.shape) for pts in strokes]
    if len(strokes) > 1 and rng.random() < 0.5:
        strokes = [np.vstack(strokes)]
    if rng.random() < 0.5:
        strokes = [_resample(pts, int(rng.integers(6, 11))) for pts in strokes]
    elif rng.random() < 0.6:
        strokes = [_smooth(pts) for pts in strokes]
    placed = []
    for pts in strokes:
        pts = (pts - 0.5) * [width, height]
        pts[:, 0] -= shear * pts[:, 1]
        placed.append(pts @ rotation.T)
    if rng.random() < 0.4:
        # Fill the box on both axes, as a tablet's normalisation does.
        every = np.vstack(placed)
        low, high = every.min(axis=0), every.max(axis=0)
        span = np.maximum(high - low, 1e-6)
        target = height * rng.uniform(0.85, 1.0)
        placed = [(pts - low) / span * target - target / 2 for pts in placed]
    centre = np.array([size / 2, size / 2]) + rng.normal(0, 0.06 * size, 2)
    pen = rng.uniform(0.055, 0.11) * size
    return [pts + centre for pts in placed], pen


def draw_digit(label: int, rng: np.random.Generator, size: int = CANVAS) -> np.ndarray:
    """One random pen-style drawing of ``label`` as a ``(size, size)`` uint8 canvas image."""
    strokes, pen = draw_strokes(label, rng, size)
    return render_strokes([pts.tolist() for pts in strokes], size=size, width=pen)


def make_synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pen-style digits, balanced over classes, prepared like a canvas drawing.

    Returns
    -------
    images : (n, 28, 28) float32 in [0, 1]
    labels : (n,) int64
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.int64) % 10
    rng.shuffle(labels)
    images = np.stack([preprocess(draw_digit(int(lab), rng)) for lab in labels]) if n else np.zeros((0, 28, 28))
    return images.astype(np.float32), labels


def read_only_synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`make_synthetic_digits` as read-only arrays, for sharing between sessions and processes."""
    images, labels = make_synthetic_digits(n, seed)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels
