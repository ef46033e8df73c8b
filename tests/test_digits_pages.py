"""Page tests with Streamlit's AppTest: controls, messages and the numbers shown, without a browser.

The canvas cannot be drawn on in AppTest, so these tests drive the page through
its other inputs (the example digits) and through session state. AppTest cannot
look at a chart, but it can read the figure each ``st.plotly_chart`` was given:
:func:`chart` returns it by the chart's key. Training on the page is tested in
``tests/test_digits_training_page.py``.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.digits import keys as K
from app.digits.layers import COLOR_RANGES, LAYER_NOTES
from app.paths import ENTRY_SCRIPT, page_file
from engine.digits import LAYERS, load_pretrained
from tests.test_digits_figures import layer_pictures, read_picture

ROOT = Path(__file__).resolve().parents[1]
DIGIT_PAGE = page_file("digits")
TIMEOUT = 120


LAYERS_TAB, UNIT_TAB, SALIENCY_TAB = "Layers", "Inspect a unit", "Saliency"
"""Tab labels (``pages/digits.py``): where only the open tab is built, a test opens the one it reads."""
TAB_KEY = getattr(K, "DIGITS_TAB", None)
"""The open tab's key; ``None`` while the page still builds every tab."""


def run_digit_page(tab: str = LAYERS_TAB, **state) -> AppTest:
    """The digit page after one run with ``tab`` open and ``state`` set beforehand."""
    if TAB_KEY is not None:
        state.setdefault(TAB_KEY, tab)
    at = AppTest.from_file(DIGIT_PAGE, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def chart_keys(at: AppTest) -> set[str]:
    """Keys of the Plotly charts on the page (an element's id ends in ``-<key>``)."""
    return {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}


def chart(at: AppTest, key: str) -> dict:
    """The figure (``{"data": [...], "layout": {...}}``) of the Plotly chart with ``key``."""
    for element in at.get("plotly_chart"):
        if element.proto.id.rsplit("-", 1)[-1] == key:
            return json.loads(element.proto.spec)
    raise KeyError(f"no chart {key!r} on the page; there are {sorted(chart_keys(at))}")


def array(value) -> np.ndarray:
    """A figure's array: a list, or a plotly.js typed array ``{"dtype", "bdata", "shape"}``."""
    if not isinstance(value, dict):
        return np.asarray(value, dtype=float)
    out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out


def percent(text: str) -> float:
    """``"91.7%"`` -> ``91.7``."""
    return float(text.strip().rstrip("%"))


def decimals(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"[-+]?\d+\.\d+", text)]


def test_entry_point_opens_home_with_a_link_to_the_digit_playground():
    at = AppTest.from_file(str(ROOT / ENTRY_SCRIPT), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "ML Playground" in at.title[0].value
    assert any("Draw a digit" in s.value for s in at.subheader)
    assert any("Training slots on this server" in c.value for c in at.sidebar.caption)


def test_switching_to_the_digit_page():
    at = AppTest.from_file(str(ROOT / ENTRY_SCRIPT), default_timeout=TIMEOUT).run()
    at.switch_page(page_file("digits")).run()
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
    first, second = metric(at, "First guess"), metric(at, "Second guess")
    assert first.value == str(digit)
    assert second.value in {str(d) for d in range(10)} - {str(digit)}
    p1, p2 = percent(first.delta), percent(second.delta)  # probabilities, in order, not scores
    assert p1 > 50 and 0 <= p2 <= p1 and p1 + p2 <= 100.1


def test_each_layer_toggle_hides_and_shows_its_own_layer():
    names = [name for name, _ in LAYERS]
    assert len(names) == 8

    def shown(at: AppTest) -> set[str]:
        pictures, notes = layer_pictures(at), " ".join(m.value for m in at.markdown)  # each heading holds its note
        with_chart = {n for n in names if n in pictures}
        assert with_chart == {n for n in names if LAYER_NOTES[n] in notes}  # a layer's chart and note go together
        return with_chart

    at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit"})
    assert shown(at) == set(names)
    hidden: set[str] = set()
    for order, visible in ((names, False), (names[::-1], True)):  # all off in order, back on in reverse
        for name in order:
            at.toggle(key=K.DIGITS_LAYER_TOGGLE.format(layer=name)).set_value(visible).run()
            assert not at.exception
            if visible:
                hidden.remove(name)
            else:
                hidden.add(name)
            assert shown(at) == set(names) - hidden, name
            assert any(f"Showing {8 - len(hidden)} of 8 layers" in c.value for c in at.caption), name
    assert not hidden


def colours(at: AppTest, layer: str) -> np.ndarray:
    """The colour positions in [0, 1] of every cell of ``layer``'s picture, sorted."""
    levels, _ = read_picture(layer_pictures(at)[layer])
    return np.sort(levels.ravel().astype(float) / 255)


def test_colour_range_modes_change_the_colours():
    shown = {}
    for mode in COLOR_RANGES:
        at = run_digit_page(**{K.DIGITS_SOURCE: "Example digit", K.DIGITS_COLOR_RANGE: mode})
        assert not at.exception
        shown[mode] = colours(at, "conv2")
        assert shown[mode].min() >= -1e-6 and shown[mode].max() <= 1 + 1e-6, mode
    assert shown["per layer"].min() == pytest.approx(0, abs=1e-6)  # the layer's own range, end to end
    assert shown["per layer"].max() == pytest.approx(1, abs=1e-6)
    assert not np.allclose(shown["per map"], shown["per layer"], atol=1e-3)  # each map stretched on its own
    assert not np.allclose(shown["per map"], shown["global"], atol=1e-3)


@pytest.mark.parametrize("layer", ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "output"])
def test_unit_inspector_shows_the_arithmetic(layer):
    at = run_digit_page(UNIT_TAB, **{K.DIGITS_SOURCE: "Example digit", K.DIGITS_UNIT_LAYER: layer})
    assert not at.exception
    shown = metric(at, "Activation")
    value, pre = float(shown.value), float(shown.delta.removeprefix("pre-activation "))
    (formula,) = [c.value for c in at.code]
    numbers = decimals(formula)
    if layer == "output":  # the probability of the first guess; its logit as pre-activation
        assert 0.5 < value <= 1.0 and pre != pytest.approx(value, abs=1e-3)
        assert numbers[2] == pytest.approx(pre, abs=1e-4)  # logit z = Σ w·x + (b) = z
        assert numbers[5] == pytest.approx(value, abs=1e-4)  # p = e^z / Σ e^zj = p
    else:  # the default unit is the layer's most active one: live, never a dead ReLU
        assert value > 0
        assert formula.endswith(f"= {shown.value}")
        if layer.startswith("pool"):
            assert pre == value == max(numbers[:4])
        else:
            assert numbers[0] + numbers[1] == pytest.approx(numbers[2], abs=2e-4) and numbers[2] == pre


def test_switching_layers_after_picking_a_high_unit():
    at = run_digit_page(UNIT_TAB, **{K.DIGITS_SOURCE: "Example digit", K.DIGITS_UNIT_LAYER: "fc1"})
    at.number_input(key=f"{K.DIGITS_UNIT_INDEX}_fc1").set_value(200).run()
    assert not at.exception and metric(at, "Activation").value
    at.selectbox(key=K.DIGITS_UNIT_LAYER).set_value("output").run()  # only 10 units here
    assert not at.exception
    assert 0 <= at.number_input(key=f"{K.DIGITS_UNIT_INDEX}_output").value <= 9
    assert 0.0 <= float(metric(at, "Activation").value) <= 1.0


def saliency_shown(at: AppTest) -> tuple[str, np.ndarray, np.ndarray]:
    """The saliency chart's title, its values ``(28, 28)`` and the input beside it ``(28, 28)``."""
    sal, x = chart(at, "digits_saliency_chart"), chart(at, "digits_saliency_input")
    return sal["layout"]["title"]["text"], array(sal["data"][0]["z"]), array(x["data"][0]["z"])


def test_saliency_is_gradient_times_input_for_the_chosen_class():
    at = run_digit_page(SALIENCY_TAB, **{K.DIGITS_SOURCE: "Example digit", K.DIGITS_SALIENCY_TARGET: 3})
    assert not at.exception
    title, sal, x = saliency_shown(at)
    assert title == "Saliency for 3"
    reference = load_pretrained("cpu").saliency(x, 3)  # the page shows the shipped model's own map for digit 3
    scale = np.abs(reference).max()
    assert scale > 0
    np.testing.assert_allclose(sal, reference, rtol=1e-3, atol=1e-3 * scale)
    assert not sal[x == 0].any() and np.abs(sal[x > 0]).max() > 0

    at.selectbox(key=K.DIGITS_SALIENCY_TARGET).set_value("second guess").run()
    assert saliency_shown(at)[0] == f"Saliency for {metric(at, 'Second guess').value}"
    at.toggle(key=K.DIGITS_SALIENCY).set_value(False).run()
    assert not at.exception
    assert "digits_saliency_chart" not in chart_keys(at)
    assert K.DIGITS_SALIENCY_TARGET not in {s.key for s in at.selectbox}


def test_naive_resize_changes_what_the_network_gets():
    centred = run_digit_page(SALIENCY_TAB, **{K.DIGITS_SOURCE: "Example digit"})
    naive = run_digit_page(SALIENCY_TAB, **{K.DIGITS_SOURCE: "Example digit", K.DIGITS_NAIVE: True})
    assert not centred.exception and not naive.exception
    assert naive.toggle(key=K.DIGITS_NAIVE).value and not centred.toggle(key=K.DIGITS_NAIVE).value
    x_centred, x_naive = saliency_shown(centred)[2], saliency_shown(naive)[2]
    assert x_centred.shape == x_naive.shape == (28, 28)
    assert np.abs(x_centred - x_naive).max() > 0.1  # the model is given the other image
    naive.toggle(key=K.DIGITS_NAIVE).set_value(False).run()
    np.testing.assert_array_equal(saliency_shown(naive)[2], x_centred)


def test_upload_mode_without_a_file_explains_what_to_do():
    at = run_digit_page(**{K.DIGITS_SOURCE: "Upload a picture"})
    assert not at.exception
    assert any("PNG or JPEG" in i.value for i in at.info)
