"""Synthetic pen-style digits and device selection."""

from __future__ import annotations

import numpy as np
import torch

from engine.digits.synth import TEMPLATES, make_synthetic_digits
from engine.runtime import DEVICE_ENV, resolve_device


def test_synthetic_digits_are_balanced_prepared_images():
    images, labels = make_synthetic_digits(60, seed=0)
    assert images.shape == (60, 28, 28) and images.dtype == np.float32
    assert np.bincount(labels).tolist() == [6] * 10
    assert (images.reshape(60, -1).max(1) > 0.5).all()
    again, _ = make_synthetic_digits(60, seed=0)
    np.testing.assert_array_equal(images, again)


def test_every_digit_has_templates():
    assert sorted(TEMPLATES) == list(range(10))


def test_device_can_be_forced_to_cpu(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert resolve_device() == torch.device("cpu")


def test_unavailable_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    if not torch.cuda.is_available():
        assert resolve_device("cuda") == torch.device("cpu")
    assert resolve_device("nonsense") == torch.device("cpu")
    assert torch.get_num_threads() == 1  # engine's thread policy is applied
