"""A small class without browsers: 5 students drawing and 1 training on one server, for about 20 s.

The students are ``bench/students.py`` (Streamlit's websocket protocol, spoken as the browser
speaks it, on Locust). Locust patches its process with gevent, so they run in a subprocess of
their own against a server from ``tests/e2e/harness.py``. Timings stay out of the assertions:
no errors, every guess right, and the trainer's screen gets training progress.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.students import DIGIT_STROKES, canvas_value, percentile, progress_of, widget_key
from engine.digits.strokes import CANVAS, parse_strokes
from tests.e2e.harness import ServerError, app_server

ROOT = Path(__file__).resolve().parents[1]
DRAWING, TRAINING, SECONDS = 5, 1, 20
MIN_TRAINING_UPDATES = 2 * SECONDS
"""Distinct training progress values ("Batches trained") the trainer must receive in the window: two a second.
With training in the web process each Train-your-own tick was cut short by the next auto-rerun and 0.3 a
second reached the screen (issue 13); with training workers one trainer gets 6-9 a second on a quiet machine.
Two a second leaves room for a loaded CI machine and still fails if updates are thrown away again."""
CLASS_TIMEOUT_S = 420


def test_canvas_value_is_what_the_page_reads():
    """The strokes message the students send parses as the page parses the canvas' own (app/digits/canvas.py)."""
    state = json.loads(canvas_value(DIGIT_STROKES["1"], version=3))
    assert state["strokes"]["version"] == 3
    strokes, widths = parse_strokes(state["strokes"]["strokes"], size=CANVAS)
    assert len(strokes) == 1 and widths == [18.0] and len(strokes[0]) > 20
    assert parse_strokes(json.loads(canvas_value([], 4))["strokes"]["strokes"]) == ([], [])


def test_protocol_helpers():
    from streamlit.proto.Element_pb2 import Element

    assert widget_key("$$ID-2ab3ef84ca391f6a1bd00037dca49186-digits_pen_width") == "digits_pen_width"
    assert widget_key("$$ID-2ab3ef84ca391f6a1bd00037dca49186") is None
    metric = Element()
    metric.metric.label, metric.metric.body = "Batches trained", "318"
    assert progress_of(metric) == "Batches trained=318"
    metric.metric.label = "First guess"
    assert progress_of(metric) is None
    bar = Element()
    bar.progress.text = "4 experts · Step 1,200 of 3,000"
    assert progress_of(bar) == "Step=1,200"
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_a_small_class_without_browsers(tmp_path):
    out = tmp_path / "class.json"
    try:
        with app_server() as server:
            command = [sys.executable, str(ROOT / "bench" / "students.py"), "--url", server.url,
                       "--draw", str(DRAWING), "--train", str(TRAINING), "--pace", "1", "--seconds", str(SECONDS),
                       "--server-pid", str(server.process.pid), "--json", str(out)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=CLASS_TIMEOUT_S)
            log = server.log_tail(60)
    except ServerError as err:
        pytest.fail(str(err))
    context = f"students' output:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}\nserver log:\n{log}"
    assert done.returncode == 0, context
    report = json.loads(out.read_text())

    assert report["errors"] == {}, context  # exceptions, wrong guesses, timeouts, disconnects, setup
    guesses = report["interactions"].get("mouse-up -> guess", {"n": 0})
    assert guesses["n"] == report["counts"].get("drawings") and guesses["n"] >= DRAWING, context

    training = report["live"]["draw-digit (train your own)"]
    assert training["sessions"] == TRAINING, context
    assert training["updates"] >= MIN_TRAINING_UPDATES, context
