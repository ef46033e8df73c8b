"""The draw-a-digit page keeps its display settings in the URL (AppTest, no browser).

A shared link (``/draw-digit?digits_tab=Saliency&digits_show_naive=true``) opens
the page with those settings; defaults leave the URL clean; anything a link can
be tampered with (an unknown option, a number out of range, text where a number
goes, kilobytes of junk) is dropped or corrected, never an exception.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.digits import keys as K
from engine.digits import LAYERS
from engine.digits.data import load_training_digits
from engine.digits.strokes import PEN_WIDTH
from tests.test_digits_figures import layer_pictures

DIGIT_PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "digits.py")
TIMEOUT = 120
EXAMPLE = {K.DIGITS_SOURCE: "Example digit"}
"""An example digit: the page has a guess, layers and saliency without a canvas."""
DEFAULTS = {
    K.DIGITS_SOURCE: "Draw", K.DIGITS_PEN: PEN_WIDTH, K.DIGITS_EXAMPLE_CLASS: 0, K.DIGITS_EXAMPLE_INDEX: 0,
    K.DIGITS_NAIVE: False, K.DIGITS_TAB: "Layers", K.DIGITS_COLOR_RANGE: "per map", K.DIGITS_UNIT_LAYER: "conv1",
    K.DIGITS_SALIENCY: True,
    K.DIGITS_SALIENCY_TARGET: "first guess", **{K.DIGITS_LAYER_TOGGLE.format(layer=name): True for name, _ in LAYERS},
}
"""What every bound setting shows when the URL says nothing about it."""
SHARED = {
    K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: "7", K.DIGITS_EXAMPLE_INDEX: "12",
    K.DIGITS_NAIVE: "true", K.DIGITS_TAB: "Saliency", K.DIGITS_COLOR_RANGE: "global",
    K.DIGITS_UNIT_LAYER: "Convolution 2", K.DIGITS_SALIENCY_TARGET: "digit 3", K.DIGITS_STEPS: "true",
    K.DIGITS_LAYER_TOGGLE.format(layer="conv1"): "false", K.DIGITS_LAYER_TOGGLE.format(layer="fc2"): "false",
}
"""A link an instructor might share, as its query parameters."""
SHARED_VALUES = {
    K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: 7, K.DIGITS_EXAMPLE_INDEX: 12, K.DIGITS_NAIVE: True,
    K.DIGITS_TAB: "Saliency", K.DIGITS_COLOR_RANGE: "global", K.DIGITS_UNIT_LAYER: "conv2",
    K.DIGITS_SALIENCY_TARGET: 3, K.DIGITS_LAYER_TOGGLE.format(layer="conv1"): False,
    K.DIGITS_LAYER_TOGGLE.format(layer="fc2"): False,
}
"""What the page's widgets hold once that link is open."""
JUNK = "x%<>\"'&;" * 1250
"""10 kB of junk for one parameter."""


def open_link(query: dict[str, str | list[str]], **state) -> AppTest:
    """The page opened from a URL with ``query``, one run (``state`` set beforehand, as a session would)."""
    at = AppTest.from_file(DIGIT_PAGE, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def value(at: AppTest, key: str):
    return at.session_state[key]


def image_captions(at: AppTest) -> list[str]:
    return [image.caption for element in at.get("image") for image in element.proto.imgs]


def chart(at: AppTest, key: str) -> dict:
    (element,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(element.proto.spec)


def test_defaults_leave_the_url_clean():
    at = open_link({})
    assert not at.exception
    assert at.query_params == {}
    at = open_link(EXAMPLE)  # the one setting asked for, and nothing else
    assert not at.exception
    assert at.query_params == {K.DIGITS_SOURCE: "Example digit"}


def test_a_shared_link_opens_with_its_settings():
    at = open_link(SHARED)
    assert not at.exception
    for key, expected in SHARED_VALUES.items():
        assert value(at, key) == expected, key
    assert at.query_params == SHARED  # nothing dropped, nothing rewritten
    # What the settings show: the 12th 7 of the validation digits, the naive resize, saliency for 3.
    data = load_training_digits(val_fraction=0.1, seed=0)
    sevens = np.flatnonzero(data.y_val == 7)
    assert f"validation digit #{sevens[12]}" in image_captions(at)
    assert any("Naive 28×28 resize" in m.value for m in at.markdown)  # under what the network sees
    saliency = chart(at, "digits_saliency_chart")
    assert saliency["layout"]["title"]["text"] == "Saliency for 3"
    assert "conv2" not in layer_pictures(at)  # the Layers tab is closed: not built


def test_the_other_pen_width_and_source_in_a_link():
    at = open_link({K.DIGITS_PEN: "25"})
    assert not at.exception
    assert value(at, K.DIGITS_PEN) == 25
    assert at.query_params == {K.DIGITS_PEN: "25"}


def test_a_link_with_changed_settings_round_trips():
    """The page's own URL, opened again in a new session, shows the same settings.

    (A click changes the URL in the browser, which AppTest has not got: the
    end-to-end test checks that; here the URL is what a page run leaves.)
    """
    first = open_link(SHARED)
    again = open_link(dict(first.query_params))
    assert not again.exception
    for key, expected in SHARED_VALUES.items():
        assert value(again, key) == expected, key
    assert again.query_params == first.query_params


def test_another_example_changes_which_one_and_the_link_follows():
    at = open_link(EXAMPLE)
    before = image_captions(at)[0]
    at.button(key=K.DIGITS_EXAMPLE_NEXT).click().run()
    assert not at.exception
    pick = value(at, K.DIGITS_EXAMPLE_INDEX)
    assert pick != 0 and at.query_params[K.DIGITS_EXAMPLE_INDEX] == str(pick)
    assert image_captions(at)[0] != before


def test_settings_of_closed_tabs_stay_in_the_url_and_in_effect():
    query = {**EXAMPLE, K.DIGITS_SALIENCY_TARGET: "second guess", K.DIGITS_LAYER_TOGGLE.format(layer="conv2"): "false",
             K.DIGITS_UNIT_LAYER: "Output"}
    at = open_link(query)
    for tab in ("Train your own", "Saliency", "Inspect a unit", "Layers"):
        at.session_state[K.DIGITS_TAB] = tab
        at.run()
        assert not at.exception, tab
        assert value(at, K.DIGITS_SALIENCY_TARGET) == "second guess", tab
        assert value(at, K.DIGITS_LAYER_TOGGLE.format(layer="conv2")) is False, tab
        assert value(at, K.DIGITS_UNIT_LAYER) == "output", tab
        for key, param in query.items():
            assert at.query_params.get(key) == param, (tab, key)
    assert "conv2" not in layer_pictures(at) and "conv1" in layer_pictures(at)


TRAIN_LINK = {
    K.DIGITS_TRAIN_CONV1: "12", K.DIGITS_TRAIN_KERNEL: "3", K.DIGITS_TRAIN_ACTIVATION: "tanh",
    K.DIGITS_TRAIN_EPOCHS: "3", K.DIGITS_TRAIN_LR: "0.001", K.DIGITS_TRAIN_AUGMENT: "false",
    K.DIGITS_TRAIN_PEN_STYLE: "true", K.DIGITS_TRAIN_SPEED: "fast",
}
"""An instructor's link with Train-your-own settings, as its query parameters."""


def test_train_settings_in_a_link_stay_in_the_url_and_in_effect_whichever_tab_is_open():
    at = open_link({**EXAMPLE, **TRAIN_LINK})  # the Layers tab is open: Train your own is closed
    for tab in ("Layers", "Saliency", "Train your own", "Inspect a unit", "Layers"):
        at.session_state[K.DIGITS_TAB] = tab
        at.run()
        assert not at.exception, tab
        for key, param in TRAIN_LINK.items():
            assert at.query_params.get(key) == param, (tab, key)
        assert value(at, K.DIGITS_TRAIN_EPOCHS) == 3 and value(at, K.DIGITS_TRAIN_LR) == 0.001, tab
        assert value(at, K.DIGITS_TRAIN_ACTIVATION) == "tanh" and value(at, K.DIGITS_TRAIN_PEN_STYLE) is True, tab
        assert value(at, K.DIGITS_TRAIN_SPEED) == "fast", tab


TAMPERED = [
    (K.DIGITS_SOURCE, ["Webcam", "draw", "", JUNK, ["Draw", "Upload a picture"]]),
    (K.DIGITS_PEN, ["5", "41", "-1", "1e9", "inf", "nan", "thick", "16.5", "", JUNK]),
    (K.DIGITS_EXAMPLE_CLASS, ["10", "-1", "seven", "7.0", "inf", JUNK]),
    (K.DIGITS_EXAMPLE_INDEX, ["50", "-3", "1e400", "-inf", "nan", "one", JUNK]),
    (K.DIGITS_NAIVE, ["yes", "2", "", JUNK]),
    (K.DIGITS_STEPS, ["open", "", JUNK]),
    (K.DIGITS_TAB, ["Settings", "layers", "🧠 Layers", "", JUNK]),
    (K.DIGITS_LAYER_TOGGLE.format(layer="conv1"), ["off", "0.5", JUNK]),
    (K.DIGITS_COLOR_RANGE, ["per pixel", "Global", JUNK]),
    (K.DIGITS_UNIT_LAYER, ["conv1", "Convolution 9", "input", JUNK]),
    (K.DIGITS_SALIENCY, ["maybe", JUNK]),
    (K.DIGITS_SALIENCY_TARGET, ["digit 10", "3", "third guess", "digit -1", JUNK]),
]


CORRECTED = {(K.DIGITS_PEN, "16.5"): 16, (K.DIGITS_SOURCE, ""): None}
"""The tampered values the page keeps in a corrected form rather than dropping (every other one falls back to
its default): a fractional pen width is rounded down (and the URL then says 16), and an empty source clears
the segmented control (Streamlit 1.67), after which the page draws the default Draw input."""
FALLBACK = {**DEFAULTS, K.DIGITS_STEPS: False}
"""What a dropped value falls back to (the steps expander starts closed)."""


@pytest.mark.parametrize(("key", "values"), TAMPERED, ids=[key for key, _ in TAMPERED])
def test_tampered_links_are_dropped_or_corrected(key, values):
    """The page runs; the setting shows exactly its default, or the corrected value the URL then shows; a good
    setting beside the bad one is kept. (The digit page corrects links silently: it shows no note.)"""
    for bad in values:
        query = {key: bad}
        if key != K.DIGITS_PEN:
            query.setdefault(K.DIGITS_SOURCE, "Example digit")  # the example's widgets, and a digit to look at
        if key == K.DIGITS_SALIENCY_TARGET:
            query[K.DIGITS_TAB] = "Saliency"
        if key != K.DIGITS_COLOR_RANGE:
            query[K.DIGITS_COLOR_RANGE] = "global"  # a good setting beside the bad one
        at = open_link(query)
        label = (key, bad[:20] if isinstance(bad, str) else bad)
        assert not at.exception, label
        expected = CORRECTED.get((key, bad), FALLBACK[key]) if isinstance(bad, str) else FALLBACK[key]
        assert value(at, key) == expected, label
        if expected is not None and expected != FALLBACK[key]:
            assert at.query_params.get(key) == str(expected), label  # the URL says what the page shows
        else:
            assert at.query_params.get(key, "") == "", label
        if key != K.DIGITS_COLOR_RANGE:
            assert value(at, K.DIGITS_COLOR_RANGE) == "global", label
            assert at.query_params[K.DIGITS_COLOR_RANGE] == "global", label


def test_an_emptied_source_or_colour_range_draws_the_defaults():
    at = open_link({K.DIGITS_SOURCE: "", K.DIGITS_COLOR_RANGE: ""})
    assert not at.exception
    assert at.slider(key=K.DIGITS_PEN).value == PEN_WIDTH  # the Draw input is shown
    emptied, per_map = open_link({**EXAMPLE, K.DIGITS_COLOR_RANGE: ""}), open_link(EXAMPLE)
    assert not emptied.exception
    assert layer_pictures(emptied)["conv2"] == layer_pictures(per_map)["conv2"]


def test_junk_in_every_parameter_at_once_and_unknown_parameters():
    query = {key: JUNK for key in (*DEFAULTS, K.DIGITS_STEPS)}
    query["utm_source"] = "newsletter"
    at = open_link(query)
    assert not at.exception
    # The junk source falls back to Draw, so the example's widgets (and the steps, shown under a digit) are
    # not drawn at all; every other setting shows exactly its default.
    hidden = {K.DIGITS_EXAMPLE_CLASS, K.DIGITS_EXAMPLE_INDEX, K.DIGITS_STEPS}
    assert {key for key in FALLBACK if key not in at.session_state} == hidden
    for key in FALLBACK.keys() - hidden:
        assert value(at, key) == FALLBACK[key], key
    assert at.query_params.get("utm_source") == "newsletter"  # not ours: left alone
    assert not [k for k, v in at.query_params.items() if v == JUNK and k.startswith("digits_")
                and k in at.session_state], at.query_params.keys()
