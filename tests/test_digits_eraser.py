"""The canvas' eraser (issue 14): eraser strokes render in black over the ink before them, the page's guess
follows them, and an eraser on an empty canvas is harmless.

The canvas itself cannot be drawn on in AppTest; the page starts from the strokes it keeps in the session
(``<canvas key>_kept_strokes``, handed to the canvas and used as its value), so a test sets those.
The browser's side is ``tests/e2e/test_digits.py::test_eraser_removes_ink_and_changes_the_guess``.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.digits import keys as K
from app.digits.canvas import kept_strokes
from app.paths import page_file
from engine.digits.strokes import parse_marks, parse_strokes, render_strokes

SEVEN = [(70, 50), (210, 50), (140, 235)]
TOP_BAR = [(50, 50), (185, 50)]
"""An eraser stroke along the 7's bar: what is left is its stem, a 1."""
KEPT = f"{K.DIGITS_CANVAS}_kept_strokes"


def test_an_eraser_stroke_removes_the_ink_under_it_and_only_that():
    ink = render_strokes([[(40, 140), (240, 140)]], widths=[20])
    erased = render_strokes([[(40, 140), (240, 140)], [(140, 100), (140, 180)]], widths=[20, 30],
                            erase=[False, True])
    assert ink[140, 140] == 255 and erased[140, 140] == 0          # under the eraser: gone
    assert erased[140, 60] == 255 and erased[140, 220] == 255     # beside it: still there
    # Ink drawn after an eraser stroke covers it again.
    again = render_strokes([[(40, 140), (240, 140)], [(140, 100), (140, 180)], [(130, 140), (150, 140)]],
                           widths=[20, 30, 20], erase=[False, True, False])
    assert again[140, 140] == 255


def test_parse_marks_reads_eraser_strokes_and_drops_those_with_nothing_to_erase():
    payload = [{"points": [[5, 5]], "erase": True},               # before any ink: nothing to erase
               {"points": [[10, 10], [20, 20]], "width": 18},
               {"points": [[15, 15]], "width": 36, "erase": True},
               {"points": [[1, 1]], "erase": "yes"}]               # only a real true makes an eraser
    strokes, widths, erases = parse_marks(payload)
    assert strokes == [[(10.0, 10.0), (20.0, 20.0)], [(15.0, 15.0)], [(1.0, 1.0)]]
    assert widths == [18.0, 36.0, 18.0] and erases == [False, True, False]
    assert parse_strokes(payload) == (strokes, widths)
    assert parse_marks([{"points": [[5, 5], [9, 9]], "erase": True}]) == ([], [], [])
    assert kept_strokes(strokes, widths, erases)[1] == {"width": 36.0, "points": [[15.0, 15.0]], "erase": True}


def _page(strokes: list[dict]) -> AppTest:
    at = AppTest.from_file(page_file("digits"), default_timeout=120)
    at.session_state[KEPT] = strokes
    return at.run()


def _first_guess(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "First guess")


def test_the_page_guesses_what_is_left_after_erasing():
    seven = _page([{"width": 18, "points": [list(p) for p in SEVEN]}])
    assert not seven.exception
    assert _first_guess(seven) == "7"
    erased = _page([{"width": 18, "points": [list(p) for p in SEVEN]},
                    {"width": 36, "points": [list(p) for p in TOP_BAR], "erase": True}])
    assert not erased.exception
    assert _first_guess(erased) == "1"
    assert erased.session_state[KEPT][1]["erase"] is True  # kept for the canvas' next mount


def test_erasing_an_empty_canvas_asks_for_a_digit():
    at = _page([{"width": 36, "points": [[100, 100], [180, 180]], "erase": True}])
    assert not at.exception
    assert any("Draw a digit" in i.value for i in at.info)
    assert not [m for m in at.metric if m.label == "First guess"]
    assert at.session_state[KEPT] == []


def test_erasing_everything_asks_for_a_digit_again():
    at = _page([{"width": 18, "points": [list(p) for p in SEVEN]},
                {"width": 80, "points": [[x, y] for y in range(0, 281, 30) for x in (0, 280)], "erase": True}])
    assert not at.exception
    assert not [m for m in at.metric if m.label == "First guess"]
