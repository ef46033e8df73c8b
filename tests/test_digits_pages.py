"""Page tests with Streamlit's AppTest: controls, messages and training, without a browser.

The canvas cannot be drawn on in AppTest, so these tests drive the page through
its other inputs (the example digits) and through session state.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.digits import keys as K

ROOT = Path(__file__).resolve().parents[1]
DIGIT_PAGE = str(ROOT / "pages" / "digits.py")
TIMEOUT = 120


def run_digit_page(**state) -> AppTest:
    at = AppTest.from_file(DIGIT_PAGE, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def test_entry_point_opens_home_with_a_link_to_the_digit_playground():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "ML Playground" in at.title[0].value
    assert any("Draw a digit" in s.value for s in at.subheader)
    assert any("Compute" in c.value for c in at.sidebar.caption)


def test_switching_to_the_digit_page():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/digits.py").run()
    assert not at.exception
    assert "Draw a digit" in at.title[0].value


def test_blank_canvas_asks_for_a_digit_and_predicts_nothing():
    at = run_digit_page()
    assert not at.exception
    assert any("Draw a digit" in i.value for i in at.info)
    assert not [m for m in at.metric if m.label == "First guess"]


@pytest.mark.parametrize("digit", [0, 1, 7])
def test_example_digit_is_recognised(digit):
    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: digit})
    assert not at.exception
    assert metric(at, "First guess").value == str(digit)
    assert metric(at, "Second guess").value != str(digit)


def test_layer_toggles_hide_and_show_layers():
    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit"})
    assert any("Showing 8 of 8 layers" in c.value for c in at.caption)
    at.toggle(key=K.DIGITS_LAYER_TOGGLE.format(layer="conv1")).set_value(False).run()
    at.toggle(key=K.DIGITS_LAYER_TOGGLE.format(layer="fc2")).set_value(False).run()
    assert any("Showing 6 of 8 layers" in c.value for c in at.caption)
    at.toggle(key=K.DIGITS_LAYER_TOGGLE.format(layer="conv1")).set_value(True).run()
    assert any("Showing 7 of 8 layers" in c.value for c in at.caption)
    assert not at.exception


@pytest.mark.parametrize("mode", ["per map", "per layer", "global"])
def test_colour_range_modes(mode):
    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit", K.DIGITS_COLOR_RANGE: mode})
    assert not at.exception


@pytest.mark.parametrize("layer", ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "output"])
def test_unit_inspector_shows_the_arithmetic(layer):
    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit", K.DIGITS_UNIT_LAYER: layer})
    assert not at.exception
    assert metric(at, "Activation").value
    assert any("=" in c.value for c in at.code)


def test_switching_layers_after_picking_a_high_unit():
    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit", K.DIGITS_UNIT_LAYER: "fc1"})
    at.number_input(key=f"{K.DIGITS_UNIT_INDEX}_fc1").set_value(200).run()
    at.selectbox(key=K.DIGITS_UNIT_LAYER).set_value("output").run()  # only 10 units here
    assert not at.exception
    assert metric(at, "Activation").value


def test_naive_resize_toggle_and_saliency_target():
    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit", K.DIGITS_NAIVE: True, K.DIGITS_SALIENCY_TARGET: 3})
    assert not at.exception
    at.toggle(key=K.DIGITS_SALIENCY).set_value(False).run()
    assert not at.exception


def test_upload_mode_without_a_file_explains_what_to_do():
    at = run_digit_page(**{K.DIGITS_SOURCE: "Upload a picture"})
    assert not at.exception
    assert any("PNG or JPEG" in i.value for i in at.info)
