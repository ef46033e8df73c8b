"""The six two-class datasets of the playground, on the unit square.

Every dataset is a rule that labels points drawn uniformly on ``[0, 1]²``: the
rule draws the class boundary, and the points only sample it. Points closer
than :data:`GAP` to the boundary are not drawn (an empty margin of 2·GAP along
it, as in hand-drawn teaching sets), and labels carry no noise, so a perfect,
confident classifier exists: a test loss near zero is reachable, and only an
ensemble that places its boundary badly (or too confidently in the gaps
between training points) loses much. What changes between datasets is which
shape of boundary a sum of axis-aligned trees can follow (a stripe needs one
feature, a disc needs both at once, xor needs an interaction).

``make_dataset(name, n, seed)`` is reproducible (a ``np.random.Generator`` seeded
from ``seed`` and the dataset's name, never a global RNG). ``rotate_deg`` turns
the points about the square's centre after labelling, so a rotated dataset's
points may leave the unit square.
"""

from __future__ import annotations

import zlib

import numpy as np

CENTRE = np.array([0.5, 0.5])
DATASETS = ("circles", "xor", "spiral", "ying-yang", "stripes", "embedded circles")
"""Dataset names, in the order the page shows them."""
DEFAULT_DATASET = "spiral"
TITLES = {
    "circles": "Circles",
    "xor": "XOR",
    "spiral": "Spiral",
    "ying-yang": "Ying-yang",
    "stripes": "Stripes",
    "embedded circles": "Embedded circles",
}
DESCRIPTIONS = {
    "circles": "A disc inside a square: the boundary needs both coordinates at once.",
    "xor": "Opposite quadrants share a class: neither coordinate alone says anything.",
    "spiral": "Two arms winding about the centre: the hardest boundary for axis-aligned cuts.",
    "ying-yang": "A sine wave splits the square, and a disc of each class sits on the wrong side.",
    "stripes": "Eight horizontal bands: the class depends on the height alone.",
    "embedded circles": "Five nested rings alternating in class.",
}
GAP = 0.02
"""Half-width of the empty margin along every class boundary."""
_PROBES = np.array([[np.cos(a), np.sin(a)] for a in np.arange(8) * np.pi / 4])
TRAIN_SEED = 0
TEST_SEED = 1
N_TRAIN = 300
N_TEST = 300


def _circles(x: np.ndarray) -> np.ndarray:
    return np.linalg.norm(x - CENTRE, axis=1) < 0.4


def _xor(x: np.ndarray) -> np.ndarray:
    return (x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)


def _spiral(x: np.ndarray) -> np.ndarray:
    d = x - CENTRE
    r = np.hypot(d[:, 0], d[:, 1])
    theta = np.arctan2(d[:, 1], d[:, 0])
    return np.sin(theta - 12.0 * r) > 0


def _ying_yang(x: np.ndarray) -> np.ndarray:
    above = x[:, 1] > 0.5 + 0.25 * np.sin(2 * np.pi * x[:, 0])
    disc_low = np.linalg.norm(x - np.array([0.25, 0.45]), axis=1) < 0.12  # below the wave: made class 1
    disc_high = np.linalg.norm(x - np.array([0.75, 0.55]), axis=1) < 0.12  # above the wave: made class 0
    return (above | disc_low) & ~disc_high


def _stripes(x: np.ndarray) -> np.ndarray:
    return np.floor(8 * x[:, 1]).astype(int) % 2 == 1


def _embedded_circles(x: np.ndarray) -> np.ndarray:
    r = np.linalg.norm(x - CENTRE, axis=1)
    return np.floor(np.minimum(r, 0.5) / 0.1).astype(int) % 2 == 1


RULES = {
    "circles": _circles,
    "xor": _xor,
    "spiral": _spiral,
    "ying-yang": _ying_yang,
    "stripes": _stripes,
    "embedded circles": _embedded_circles,
}


def label(name: str, x: np.ndarray) -> np.ndarray:
    """The class (0 or 1, ``int``) the dataset ``name`` gives each unrotated point of ``x : (n, 2)``."""
    return RULES[name](np.asarray(x, dtype=float)).astype(np.int64)


def rotate(x: np.ndarray, radians: float, centre: np.ndarray = CENTRE) -> np.ndarray:
    """Points ``x : (n, 2)`` turned anticlockwise by ``radians`` about ``centre``."""
    c, s = np.cos(radians), np.sin(radians)
    d = np.asarray(x, dtype=float) - centre
    return np.column_stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]]) + centre


def make_dataset(name: str, n: int, seed: int, rotate_deg: float = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labelled points of dataset ``name``.

    Returns
    -------
    X : (n, 2) float64
        On the unit square, then turned by ``rotate_deg`` degrees about its centre.
    y : (n,) int64
        Classes 0 and 1.
    """
    if name not in RULES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    rng = np.random.default_rng([int(seed), zlib.crc32(name.encode())])
    n = int(n)
    kept = np.zeros((0, 2))
    while len(kept) < n:  # draw in batches, keep the points at least GAP from the boundary, in order
        x = rng.random((2 * n + 16, 2))
        y = label(name, x)
        near = np.zeros(len(x), dtype=bool)
        for probe in _PROBES:
            near |= label(name, x + GAP * probe) != y
        kept = np.vstack([kept, x[~near]])
    x = kept[:n]
    y = label(name, x)
    if rotate_deg:
        x = rotate(x, np.deg2rad(rotate_deg))
    return x, y


def train_test(name: str, rotate_deg: float = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The page's fixed split: 300 training and 300 test points (seeds :data:`TRAIN_SEED`, :data:`TEST_SEED`)."""
    x_train, y_train = make_dataset(name, N_TRAIN, TRAIN_SEED, rotate_deg)
    x_test, y_test = make_dataset(name, N_TEST, TEST_SEED, rotate_deg)
    return x_train, y_train, x_test, y_test


def view_bounds(*points: np.ndarray, pad: float = 0.04) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)`` covering the unit square and every point given (a rotated set leaves it)."""
    lo = np.minimum(np.zeros(2), np.min([p.min(axis=0) for p in points], axis=0)) - pad
    hi = np.maximum(np.ones(2), np.max([p.max(axis=0) for p in points], axis=0)) + pad
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
