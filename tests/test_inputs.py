"""Uploads and odd drawings get a clear verdict instead of a crash or a fake answer."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from engine.digits.assess import assess_input, assess_prediction
from engine.digits.images import MAX_BYTES, ImageError, load_image
from engine.digits.preprocess import preprocess_steps
from engine.digits.strokes import parse_strokes, render_strokes
from tests.helpers import seven


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_load_image_reads_a_png():
    image = load_image(png_bytes(seven()))
    assert image.shape == (280, 280) and image.dtype == np.uint8


def test_transparent_png_keeps_its_alpha():
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)
    rgba[20:80, 45:55] = (0, 0, 0, 255)  # black ink on a transparent background
    image = load_image(png_bytes(rgba, "RGBA"))
    assert image.shape == (100, 100, 4)
    steps = preprocess_steps(image)
    assert not steps.blank and steps.box == (20, 45, 80, 55)


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "empty"),
        (b"this is not an image at all", "not an image"),
        (png_bytes(np.zeros((1, 1), dtype=np.uint8)), "too small"),
        (b"\0" * (MAX_BYTES + 1), "limit"),
    ],
    ids=["empty", "text", "1x1", "huge"],
)
def test_bad_uploads_raise_a_clear_message(data, words):
    with pytest.raises(ImageError, match=words):
        load_image(data)


def test_huge_dimensions_are_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("L", (9000, 9000)).save(buffer, format="PNG")  # compresses to a few kB
    with pytest.raises(ImageError, match="megapixels"):
        load_image(buffer.getvalue())


def test_blank_canvas_is_not_predicted():
    verdict = assess_input(preprocess_steps(np.zeros((280, 280), dtype=np.uint8)))
    assert not verdict.ok_to_predict and "Draw a digit" in verdict.message


def test_single_dot_is_flagged():
    verdict = assess_input(preprocess_steps(render_strokes([[(140, 140)]], width=10)))
    assert verdict.ok_to_predict and verdict.level == "warning" and "small" in verdict.message


def test_painted_canvas_is_flagged():
    painted = np.full((280, 280), 255, dtype=np.uint8)
    verdict = assess_input(preprocess_steps(painted), painted)
    assert not verdict.ok_to_predict and verdict.level == "warning" and "whole canvas is ink" in verdict.message
    mostly = render_strokes([[(20, y), (260, y)] for y in range(20, 261, 12)], width=30)
    verdict = assess_input(preprocess_steps(mostly), mostly)
    assert verdict.level == "warning"


def test_two_digits_side_by_side_are_flagged():
    pair = render_strokes([[(50, 80), (50, 200)], [(170, 80), (230, 80), (190, 200)]])
    verdict = assess_input(preprocess_steps(pair))
    assert verdict.level == "warning" and "more than one digit" in verdict.message


def test_a_normal_digit_passes():
    assert assess_input(preprocess_steps(seven())).level == "ok"


def test_low_confidence_is_reported():
    assert assess_prediction(np.full(10, 0.1)).level == "warning"
    assert assess_prediction(np.eye(10)[3] * 0.97 + 0.003).level == "ok"


def test_parse_strokes_survives_garbage():
    strokes, widths = parse_strokes([[[1, 2], ["x", 3], [float("nan"), 1], [5, 900]], "junk",
                                     {"points": [[10, 10]], "width": "wide"}, {"points": None}])
    assert strokes == [[(1.0, 2.0), (5.0, 280.0)], [(10.0, 10.0)]]
    assert widths == [18, 18]
    assert parse_strokes(None) == ([], [])
