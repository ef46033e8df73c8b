"""TensorFlow Playground's six data sets and seven input features, drawn from our own generator.

Each generator follows ``src/dataset.ts`` of tensorflow/playground: the same shapes,
sizes and — importantly for teaching — the same meaning of *noise*, which differs
per data set:

- ``circle`` and ``xor``: the points stay where they are; the label is read at a
  jittered position, so noise flips labels near the boundary.
- ``gauss``: the two blobs get wider (variance 0.5 at noise 0 → 4 at noise 50).
- ``spiral``: every point is moved by up to ``noise`` in x and y.
- ``reg-plane`` and ``reg-gauss``: the target is read at a jittered position.

``noise`` is given as on the page and in the link: a percentage, 0–50 (the
original divides it by 100 before calling the generator). Randomness comes only
from the ``np.random.Generator`` built from ``seed``, so a seed reproduces the data;
it cannot reproduce the original's numbers (that one uses seedrandom in JavaScript).

Shapes: ``X : (n_samples, 2)`` raw points in roughly [-6, 6]²; ``y : (n_samples,)``,
±1 for classification, in [-1, 1] for regression.
"""

from __future__ import annotations

import numpy as np

CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral")
REGRESSION_SETS = ("reg-plane", "reg-gauss")
DATASETS = CLASSIFICATION_SETS + REGRESSION_SETS
N_CLASSIFY = 500
N_REGRESS = 1200
DOMAIN = 6.0
"""The plots and the grid cover [-DOMAIN, DOMAIN]² (the original's xDomain)."""

FEATURES = ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")
"""Input feature ids, as the original names them in its links (its ``INPUTS``)."""
FEATURE_LABELS = {"x": "X₁", "y": "X₂", "xSquared": "X₁²", "ySquared": "X₂²", "xTimesY": "X₁X₂",
                  "sinX": "sin(X₁)", "sinY": "sin(X₂)"}


def _uniform(rng: np.random.Generator, a: float, b: float, n: int) -> np.ndarray:
    return rng.random(n) * (b - a) + a


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    parts, labels = [], []
    for r_lo, r_hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        m = n // 2
        r = _uniform(rng, r_lo, r_hi, m)
        angle = _uniform(rng, 0.0, 2 * np.pi, m)
        x, y = r * np.sin(angle), r * np.cos(angle)
        nx, ny = _uniform(rng, -radius, radius, m) * noise, _uniform(rng, -radius, radius, m) * noise
        inside = np.hypot(x + nx, y + ny) < radius * 0.5
        parts.append(np.column_stack([x, y]))
        labels.append(np.where(inside, 1.0, -1.0))
    return np.concatenate(parts), np.concatenate(labels)


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    padding = 0.3
    x = _uniform(rng, -5, 5, n)
    x += np.where(x > 0, padding, -padding)
    y = _uniform(rng, -5, 5, n)
    y += np.where(y > 0, padding, -padding)
    nx, ny = _uniform(rng, -5, 5, n) * noise, _uniform(rng, -5, 5, n) * noise
    label = np.where((x + nx) * (y + ny) >= 0, 1.0, -1.0)
    return np.column_stack([x, y]), label


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + (4.0 - 0.5) * noise / 0.5  # d3.scale.linear().domain([0, .5]).range([0.5, 4])
    m = n // 2
    pos = rng.normal(2.0, np.sqrt(variance), size=(m, 2))
    neg = rng.normal(-2.0, np.sqrt(variance), size=(m, 2))
    return np.concatenate([pos, neg]), np.concatenate([np.ones(m), -np.ones(m)])


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    m = n // 2
    parts, labels = [], []
    for delta_t, label in ((0.0, 1.0), (np.pi, -1.0)):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * np.pi + delta_t
        x = r * np.sin(t) + _uniform(rng, -1, 1, m) * noise
        y = r * np.cos(t) + _uniform(rng, -1, 1, m) * noise
        parts.append(np.column_stack([x, y]))
        labels.append(np.full(m, label))
    return np.concatenate(parts), np.concatenate(labels)


def _plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = _uniform(rng, -DOMAIN, DOMAIN, n), _uniform(rng, -DOMAIN, DOMAIN, n)
    nx, ny = _uniform(rng, -DOMAIN, DOMAIN, n) * noise, _uniform(rng, -DOMAIN, DOMAIN, n) * noise
    label = (x + nx + y + ny) / 10.0  # d3 linear [-10, 10] -> [-1, 1], not clamped
    return np.column_stack([x, y]), label


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _reg_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = _uniform(rng, -DOMAIN, DOMAIN, n), _uniform(rng, -DOMAIN, DOMAIN, n)
    nx, ny = _uniform(rng, -DOMAIN, DOMAIN, n) * noise, _uniform(rng, -DOMAIN, DOMAIN, n) * noise
    px, py = x + nx, y + ny
    label = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:  # the one largest in absolute value wins (first one on ties)
        scaled = sign * np.clip(1.0 - np.hypot(px - cx, py - cy) / 2.0, 0.0, 1.0)
        label = np.where(np.abs(scaled) > np.abs(label), scaled, label)
    return np.column_stack([x, y]), label


_GENERATORS = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
               "reg-plane": _plane, "reg-gauss": _reg_gauss}


def default_size(name: str) -> int:
    """The original's number of points: 500 for classification, 1,200 for regression."""
    return N_REGRESS if name in REGRESSION_SETS else N_CLASSIFY


def make_dataset(name: str, n_samples: int | None = None, noise: float = 0, seed: int = 0,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Points ``X : (n, 2)`` and labels ``y : (n,)`` of data set ``name`` (see the module docstring).

    ``noise`` is in percent (0–50); ``n_samples`` defaults to the original's size.
    The points come in the generator's order (classes in blocks); :func:`split`
    shuffles them.
    """
    if name not in _GENERATORS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    n = default_size(name) if n_samples is None else int(n_samples)
    rng = np.random.default_rng(seed)
    X, y = _GENERATORS[name](n, float(noise) / 100.0, rng)
    return X.astype(np.float64), y.astype(np.float64)


def split(X: np.ndarray, y: np.ndarray, perc_train: int, seed: int,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle once and cut as the original does: the first ``floor(n · perc / 100)`` points train.

    Returns ``(X_train, y_train, X_test, y_test)`` of raw points.
    """
    order = np.random.default_rng([seed, 1]).permutation(len(X))
    X, y = X[order], y[order]
    cut = int(np.floor(len(X) * perc_train / 100))
    return X[:cut], y[:cut], X[cut:], y[cut:]


def features(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The network's input columns ``(n, len(names))`` for raw ``points : (n, 2)``."""
    x, y = points[:, 0], points[:, 1]
    columns = {"x": lambda: x, "y": lambda: y, "xSquared": lambda: x * x, "ySquared": lambda: y * y,
               "xTimesY": lambda: x * y, "sinX": lambda: np.sin(x), "sinY": lambda: np.sin(y)}
    return np.ascontiguousarray(np.column_stack([columns[n]() for n in names]) if names
                                else np.zeros((len(points), 0)), dtype=np.float64)


def grid_points(resolution: int) -> np.ndarray:
    """Cell centres of a ``resolution``² grid over the domain, row 0 at the *top* (y = +6), as an image.

    Shape ``(resolution², 2)``, row-major: point ``r * resolution + c`` is row r, column c.
    """
    step = 2 * DOMAIN / resolution
    centres = -DOMAIN + step * (np.arange(resolution) + 0.5)
    xs, ys = np.meshgrid(centres, centres[::-1])
    return np.column_stack([xs.ravel(), ys.ravel()])
