"""The class code (``CLASS_CODE``), through the real entry script in AppTest.

A session without the code gets the gate's page and nothing else: no page of
the app registered, no page title, no sidebar; the right code (any case, any
spaces) opens the app. The browser-side checks (what is sent over the
websocket, a deep link with its query string) are in tests/e2e/test_class_mode.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import class_code
from app.class_code import ADMITTED, FIELD, FREE_TRIES, TITLE, WRONG_MESSAGE, code_matches, wait_seconds
from app.paths import ENTRY_SCRIPT, PAGES_DIR

ROOT = Path(__file__).resolve().parents[1]
CODE = "Maple 42"
APP_TITLES = ("Home", "Draw a digit", "Decision boundaries", "Gradient boosting", "Mixture of experts")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CLASS_CODE", CODE)
    return AppTest.from_file(str(ROOT / ENTRY_SCRIPT), default_timeout=60).run()


def submit(at: AppTest, code: str) -> AppTest:
    at.text_input(key=FIELD).input(code)
    return at.button[0].click().run()


def shown_text(at: AppTest) -> str:
    kinds = ("title", "subheader", "markdown", "caption", "error", "info")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def assert_gated(at: AppTest) -> None:
    assert not at.exception
    assert not (ADMITTED in at.session_state and at.session_state[ADMITTED] is True)
    pages = list(at._registered_pages.values())
    assert pages and {p["page_name"] for p in pages} == {TITLE}
    assert not any(str(PAGES_DIR) in str(p.get("script_path", "")) for p in pages)
    text = shown_text(at)
    assert not any(title in text for title in APP_TITLES), text
    assert not at.sidebar.caption, "the sidebar is shown before the code"


def test_without_a_code_the_app_opens_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLASS_CODE", raising=False)
    at = AppTest.from_file(str(ROOT / ENTRY_SCRIPT), default_timeout=60).run()
    assert not at.exception
    assert any("Draw a digit" in s.value for s in at.subheader)


def test_a_session_is_asked_for_the_code_before_anything_else(app: AppTest) -> None:
    assert_gated(app)
    assert app.text_input(key=FIELD).label == "Class code"
    assert not app.error


def test_a_wrong_code_is_refused_and_reveals_nothing(app: AppTest) -> None:
    submit(app, "maple 43")
    assert_gated(app)
    assert [e.value for e in app.error] == [WRONG_MESSAGE]


def test_the_right_code_in_any_case_and_spacing_opens_the_app(app: AppTest) -> None:
    submit(app, "  mAPLE42 ")
    assert not app.exception
    assert app.session_state[ADMITTED] is True
    assert any("Draw a digit" in s.value for s in app.subheader)
    registered = {Path(p["script_path"]).resolve() for p in app._registered_pages.values()}
    assert registered == {path.resolve() for path in PAGES_DIR.glob("*.py")}
    app.run()  # and it stays open on later runs
    assert any("Draw a digit" in s.value for s in app.subheader)


def test_after_a_few_wrong_codes_a_session_has_to_wait(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(class_code.time, "monotonic", lambda: clock[0])
    for _ in range(FREE_TRIES):
        submit(app, "wrong")
    assert [e.value for e in app.error] == [WRONG_MESSAGE]
    submit(app, CODE)  # right, but too soon
    assert_gated(app)
    assert "Too many wrong codes" in app.error[0].value
    clock[0] += wait_seconds(FREE_TRIES) + 0.1
    submit(app, CODE)
    assert app.session_state[ADMITTED] is True
    assert any("Draw a digit" in s.value for s in app.subheader)


def test_codes_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = class_code.hmac.compare_digest
    monkeypatch.setattr(class_code.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert code_matches("maple42", CODE)
    assert not code_matches("maple4", CODE)
    assert not code_matches("", "")  # no code set never admits by comparison
    assert calls == [(b"maple42", b"maple42"), (b"maple4", b"maple42")]


def test_the_wait_doubles_and_is_capped() -> None:
    waits = [wait_seconds(n) for n in range(FREE_TRIES + 8)]
    assert waits[:FREE_TRIES] == [0.0] * FREE_TRIES
    assert waits[FREE_TRIES + 1] == 2 * waits[FREE_TRIES] > 0
    assert max(waits) == class_code.MAX_WAIT_S
