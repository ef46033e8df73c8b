"""Preprocessing invariants: what MNIST's preparation promises."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from engine.digits.preprocess import naive_resize, preprocess, preprocess_steps
from tests.helpers import one, seven, zero


def _similar(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_output_is_28x28_float_in_unit_range():
    x = preprocess(seven())
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5


@pytest.mark.parametrize("offset", [(-60, -40), (50, 30), (0, 35)])
def test_shifted_digit_gives_nearly_the_same_image(offset):
    assert _similar(preprocess(seven()), preprocess(seven(offset=offset))) > 0.97


@pytest.mark.parametrize("scale", [0.5, 0.7, 1.2])
def test_scaled_digit_gives_nearly_the_same_image(scale):
    assert _similar(preprocess(zero()), preprocess(zero(scale=scale))) > 0.9


def test_blank_in_blank_out():
    steps = preprocess_steps(np.zeros((280, 280), dtype=np.uint8))
    assert steps.blank and steps.box is None
    assert not preprocess(np.zeros((280, 280, 4), dtype=np.uint8)).any()


def test_rgba_and_grayscale_agree():
    gray = seven()
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = gray  # a white pen on a transparent canvas
    opaque = np.dstack([gray, gray, gray, np.full_like(gray, 255)])  # white on opaque black
    np.testing.assert_allclose(preprocess(rgba), preprocess(gray), atol=1e-5)
    np.testing.assert_allclose(preprocess(opaque), preprocess(gray), atol=1e-5)


def test_dark_ink_on_light_paper_is_inverted():
    np.testing.assert_allclose(preprocess(255 - seven()), preprocess(seven()), atol=1e-5)


def test_ink_fits_20x20_and_centre_of_mass_is_centred():
    for image in (seven(), zero(), one()):
        steps = preprocess_steps(image)
        assert max(steps.fitted.shape) == 20
        cy, cx = ndimage.center_of_mass(steps.centred)
        assert abs(cy - 13.5) < 0.6 and abs(cx - 13.5) < 0.6


def test_aspect_ratio_is_kept():
    fitted = preprocess_steps(one()).fitted
    assert fitted.shape[0] == 20 and fitted.shape[1] < 6


@pytest.mark.parametrize(
    "image",
    [
        np.full((1, 1), 255, dtype=np.uint8),
        np.full((280, 280), 255, dtype=np.uint8),
        np.full((50, 50), np.nan, dtype=np.float32),
        np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8),
    ],
    ids=["1x1", "all-white", "nan", "noise-rgb"],
)
def test_odd_inputs_do_not_crash(image):
    x = preprocess(image)
    assert x.shape == (28, 28) and np.isfinite(x).all()


def test_bad_shape_raises_value_error():
    with pytest.raises(ValueError):
        preprocess(np.zeros((4, 4, 2)))


def test_naive_resize_differs_from_preprocessing_for_a_small_offset_digit():
    small = seven(offset=(-70, -70), scale=0.4)
    assert naive_resize(small).shape == (28, 28)
    assert _similar(naive_resize(small), preprocess(seven())) < 0.5 < _similar(preprocess(small), preprocess(seven()))
