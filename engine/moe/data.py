"""Datasets for the mixture-of-experts explorer: 2-D tasks with many regions, and digits.

Every task is a :class:`MoETask` of read-only arrays split into training,
validation and test parts. Tasks are cached (one copy per distinct argument set,
shared by every trainer and session), so a trainer only ever gathers batches
from them by index and never copies or writes them.

The 2-D tasks are chosen so that experts can specialise by region:

- ``spiral``: five interleaved spiral arms, one class per arm (where top-1
  routing collapses most visibly and balancing helps accuracy most);
- ``checkerboard``: a 4 x 4 board of two classes;
- ``blobs``: twelve gaussian blobs on a jittered 4 x 3 grid, four classes.

Shapes: ``x_*`` ``(N, d)`` float32 (``d = 2`` for the plane, 784 for digits),
``y_*`` ``(N,)`` int64.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

SPLIT = (0.6, 0.2, 0.2)
"""Training, validation and test fractions of a generated 2-D task."""

TITLES = {
    "spiral": "Five-arm spiral",
    "checkerboard": "Checkerboard (4 x 4)",
    "blobs": "Twelve blobs, four classes",
    "digits": "Handwritten digits (MNIST)",
}


@dataclass(frozen=True)
class MoETask:
    """A classification task split three ways.

    Attributes
    ----------
    name, title : str
    x_train, x_val, x_test : (N, d) float32, read-only
    y_train, y_val, y_test : (N,) int64, read-only
    n_classes : int
    bounds : (x_min, x_max, y_min, y_max) of the plane to draw maps on, or ``None`` (digits)
    source : str
        Where the data came from, for display.
    """

    name: str
    title: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    bounds: tuple[float, float, float, float] | None
    source: str

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of ``"train"``, ``"val"`` or ``"test"``."""
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test; got {name!r}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")


def load_task(name: str, n_samples: int = 3000, noise: float = 0.0, seed: int = 0) -> MoETask:
    """The task ``name`` (one of :data:`engine.moe.config.TASKS`), cached.

    ``n_samples``, ``noise`` (extra positional jitter, in units of the plane's
    half-width) and ``seed`` shape the generated 2-D tasks; digits ignore them.
    """
    if name == "digits":
        return digits_task()
    return _point_task(name, int(n_samples), float(noise), int(seed))


@functools.lru_cache(maxsize=32)
def _point_task(name: str, n_samples: int, noise: float, seed: int) -> MoETask:
    makers = {"spiral": make_spiral, "checkerboard": make_checkerboard, "blobs": make_blobs}
    if name not in makers:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join([*makers, 'digits'])}")
    rng = np.random.default_rng(seed)
    x, y, n_classes = makers[name](n_samples, rng)
    if noise > 0:
        x = x + rng.normal(0.0, noise, x.shape)
    order = rng.permutation(len(y))
    cut1, cut2 = int(SPLIT[0] * len(y)), int((SPLIT[0] + SPLIT[1]) * len(y))
    parts = [order[:cut1], order[cut1:cut2], order[cut2:]]
    arrays = [(_read_only(x[p], np.float32), _read_only(y[p], np.int64)) for p in parts]
    return MoETask(name, TITLES[name], *arrays[0], *arrays[1], *arrays[2], n_classes, (-1.2, 1.2, -1.2, 1.2),
                   f"{n_samples:,} generated points (seed {seed})")


def make_spiral(n: int, rng: np.random.Generator, arms: int = 5, turns: float = 0.75):
    """``n`` points on ``arms`` spiral arms in the unit disc, class = arm; returns ``(x (n, 2), y (n,), arms)``."""
    y = np.arange(n) % arms
    r = np.sqrt(rng.uniform(0.0025, 1.0, n))  # even density over the disc
    angle = 2 * np.pi * (y / arms + turns * r) + rng.normal(0.0, 0.12, n)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return x, y, arms


def make_checkerboard(n: int, rng: np.random.Generator, cells: int = 4):
    """``n`` uniform points in ``[-1, 1]^2`` coloured by a ``cells x cells`` board; returns ``(x, y, 2)``."""
    x = rng.uniform(-1.0, 1.0, (n, 2))
    ij = np.clip(np.floor((x + 1.0) / 2.0 * cells).astype(int), 0, cells - 1)
    return x, (ij[:, 0] + ij[:, 1]) % 2, 2


def make_blobs(n: int, rng: np.random.Generator, grid: tuple[int, int] = (4, 3), classes: int = 4):
    """``n`` points from ``4 x 3`` jittered-grid gaussian blobs with shuffled classes; returns ``(x, y, classes)``."""
    gx, gy = np.meshgrid(np.linspace(-0.75, 0.75, grid[0]), np.linspace(-0.7, 0.7, grid[1]))
    centres = np.stack([gx.ravel(), gy.ravel()], axis=1) + rng.uniform(-0.08, 0.08, (gx.size, 2))
    blob_class = rng.permutation(np.arange(gx.size) % classes)
    which = rng.integers(0, gx.size, n)
    x = centres[which] + rng.normal(0.0, 0.11, (n, 2))
    return x, blob_class[which], classes


@functools.lru_cache(maxsize=1)
def digits_task() -> MoETask:
    """The bundled MNIST digits (or full MNIST, see :mod:`engine.digits.data`) as flat 784-pixel vectors.

    Training 80 % of the digits; the remaining 20 % (stratified) are split
    alternately into validation and test. Loaded once per process.
    """
    from engine.digits.data import load_training_digits

    data = load_training_digits(val_fraction=0.2, seed=0)
    flat = lambda a: _read_only(a.reshape(len(a), -1), np.float32)  # noqa: E731
    x_rest, y_rest = data.x_val, data.y_val
    return MoETask("digits", TITLES["digits"], flat(data.x_train), _read_only(data.y_train, np.int64),
                   flat(x_rest[0::2]), _read_only(y_rest[0::2], np.int64),
                   flat(x_rest[1::2]), _read_only(y_rest[1::2], np.int64), 10, None, data.source)


def _read_only(array: np.ndarray, dtype) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=dtype)
    array.flags.writeable = False
    return array
