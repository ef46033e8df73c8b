"""Class mode: what ``scripts/run_app.sh`` serves when it listens beyond this machine.

Every server here is started through ``scripts/run_app.sh`` (``CLASS_MODE=1``, on
127.0.0.1), as an instructor starts it, and checked from a real Chromium: the
settings in effect even when ``STREAMLIT_*`` variables try to undo them, a page
exception that shows no details (the server log has them), an oversized upload
refused by the server, XSRF protection on, and the class code: a wrong one
reveals no page (checked in every websocket message the browser received), the
right one opens the deep-linked page with its query string.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from app.class_code import WRONG_MESSAGE
from tests.e2e.harness import REPO, AppServer, ServerError
from tests.e2e.harness import app_server as start_app_server
from tests.e2e.helpers import by_key, canvas, wait_idle

PROBE = "tests/e2e/class_mode_probe.py"
SECRET = "secret-detail-4711"
CODE = "maple 42"
UPLOAD_CAP_MB = 10
APP_TITLES = ("Draw a digit", "Decision boundaries", "Gradient boosting", "Mixture of experts")
OTHER_URL_PATHS = ("playground", "boosting", "moe")


def serve(extra_env: dict[str, str]) -> Iterator[AppServer]:
    try:
        with start_app_server(run_app=True, extra_env={"CLASS_MODE": "1", **extra_env}) as server:
            yield server
    except ServerError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def probe_server() -> Iterator[AppServer]:
    """The probe app in class mode, with the environment trying to turn the protections off."""
    yield from serve({"APP_ENTRY": PROBE, "CLASS_CODE": "",
                      "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "full",
                      "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION": "false",
                      "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "200"})


@pytest.fixture(scope="module")
def class_server() -> Iterator[AppServer]:
    """The real app in class mode with a class code."""
    yield from serve({"CLASS_CODE": CODE})


class Recorder:
    """A browser page whose received websocket messages are kept, decoded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.raw: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._keep))

    def _keep(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            self.raw.append(payload)

    def messages(self) -> list[ForwardMsg]:
        out = []
        for data in self.raw:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            out.append(msg)
        return out

    def text(self) -> str:
        return "\n".join(str(msg) for msg in self.messages())


@pytest.fixture
def recorded(page: Page) -> Recorder:
    return Recorder(page)


def test_run_app_turns_class_mode_on_when_serving_beyond_this_machine() -> None:
    def command(**env: str) -> str:
        result = subprocess.run(["bash", "scripts/run_app.sh"], cwd=REPO, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PRINT_COMMAND": "1", **env})
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    for address in ("0.0.0.0", "192.168.1.20"):
        assert "--client.showErrorDetails none" in command(ADDRESS=address, CLASS_MODE="auto")
    assert "--client.showErrorDetails" not in command(ADDRESS="localhost", CLASS_MODE="auto")
    assert "--client.showErrorDetails none" in command(ADDRESS="127.0.0.1", CLASS_MODE="1")  # behind a balancer
    assert "--server.enableXsrfProtection true" in command(ADDRESS="localhost", CLASS_MODE="0")
    # uploads: the XGBoost page's 200 MB CSV on one's own machine, 10 MB a student on a class server
    assert "--server.maxUploadSize 200" in command(ADDRESS="localhost", CLASS_MODE="auto")
    assert f"--server.maxUploadSize {UPLOAD_CAP_MB} " in command(ADDRESS="0.0.0.0", CLASS_MODE="auto")


def test_the_server_runs_with_two_malloc_arenas(probe_server: AppServer) -> None:
    """run_app.sh caps glibc's arenas (the web process grew 592 -> 810 MB in 6 minutes without it)."""
    environ = Path(f"/proc/{probe_server.process.pid}/environ").read_bytes().split(b"\0")
    assert b"MALLOC_ARENA_MAX=2" in environ


def test_class_mode_settings_are_in_effect(page: Page, probe_server: AppServer) -> None:
    page.goto(probe_server.url)
    wait_idle(page)
    shown = json.loads(page.locator('[data-testid="stCode"]').inner_text())
    assert shown == {"client.showErrorDetails": "none", "server.maxUploadSize": UPLOAD_CAP_MB,
                     "server.maxMessageSize": 16, "server.enableXsrfProtection": True, "server.enableCORS": True}


def test_a_page_exception_shows_no_details_and_is_logged(page: Page, recorded: Recorder,
                                                          probe_server: AppServer) -> None:
    page.goto(probe_server.url)
    wait_idle(page)
    page.get_by_role("button", name="Raise").click()
    error = page.locator('[data-testid="stException"]')
    expect(error).to_be_visible()
    wait_idle(page)
    for where, text in (("page", page.locator("body").inner_text()), ("websocket", recorded.text())):
        for detail in (SECRET, "RuntimeError", "Traceback", 'File "'):
            assert detail not in text, f"{detail!r} reached the browser ({where})"
    shown = [m.delta.new_element.exception for m in recorded.messages()
             if m.HasField("delta") and m.delta.new_element.HasField("exception")]
    assert len(shown) == 1 and not shown[0].stack_trace and not shown[0].type
    log = probe_server.log_tail(400)
    assert SECRET in log and "Traceback" in log, "the server log lost the traceback"


def _upload(page: Page, url: str, session_id: str, size: int, token: str | None) -> int:
    headers = {"X-Xsrftoken": token} if token is not None else {}
    response = page.request.put(
        f"{url}/_stcore/upload_file/{session_id}/{uuid.uuid4().hex}", headers=headers,
        multipart={"file": {"name": "data.csv", "mimeType": "text/csv", "buffer": b"1" * size}})
    return response.status


def test_an_oversized_upload_is_refused_and_xsrf_is_checked(page: Page, recorded: Recorder,
                                                            probe_server: AppServer) -> None:
    page.goto(probe_server.url)
    wait_idle(page)
    session_id = next(m.new_session.initialize.session_id for m in recorded.messages()
                      if m.HasField("new_session") and m.new_session.initialize.session_id)
    token = next((c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf"), None)
    assert token, "no XSRF cookie: XSRF protection is off"
    mb = 1024 * 1024
    assert _upload(page, probe_server.url, session_id, mb, token) in (200, 204)
    assert _upload(page, probe_server.url, session_id, UPLOAD_CAP_MB * mb + mb // 2, token) == 413
    assert _upload(page, probe_server.url, session_id, mb, None) == 403


def _enter_code(page: Page, code: str) -> None:
    field = page.get_by_label("Class code")
    field.fill(code)
    field.press("Enter")
    wait_idle(page)


def test_a_wrong_code_reveals_no_page(page: Page, recorded: Recorder, class_server: AppServer) -> None:
    page.goto(f"{class_server.url}/draw-digit?digits_pen_width=20")
    wait_idle(page)
    _enter_code(page, "maple 43")
    expect(page.get_by_text(WRONG_MESSAGE)).to_be_visible()
    expect(canvas(page)).to_have_count(0)
    assert page.url == f"{class_server.url}/draw-digit?digits_pen_width=20"
    sent = recorded.text()
    assert "Class code" in sent  # the messages were read
    for name in APP_TITLES:
        assert name not in sent, f"the page title {name!r} was sent before the code"
    for path in OTHER_URL_PATHS:
        assert not re.search(rf'url_pathname: "{path}"', sent), f"the page /{path} was named before the code"
    assert "pages/" not in sent
    navigation = [m.navigation for m in recorded.messages() if m.HasField("navigation")]
    assert navigation and all({p.page_name for p in n.app_pages} == {"Class code"} for n in navigation)
    body = page.locator("body").inner_text()
    assert not any(name in body for name in APP_TITLES)


def test_the_right_code_opens_the_deep_linked_page_with_its_settings(page: Page, class_server: AppServer) -> None:
    page.goto(f"{class_server.url}/draw-digit?digits_pen_width=20")
    wait_idle(page)
    expect(canvas(page)).to_have_count(0)
    _enter_code(page, "MAPLE42")
    expect(canvas(page)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("Draw a digit"))).to_be_visible()
    assert page.url.startswith(f"{class_server.url}/draw-digit?")
    assert "digits_pen_width=20" in page.url
    expect(by_key(page, "digits_pen_width")).to_contain_text("20")
    expect(page.locator('[data-testid="stDialog"]')).to_have_count(0)


def test_a_new_session_is_asked_again(browser: Browser, class_server: AppServer) -> None:
    context = browser.new_context()
    try:
        other = context.new_page()
        other.goto(f"{class_server.url}/moe")
        wait_idle(other)
        expect(other.get_by_label("Class code")).to_be_visible()
        assert Path(PROBE).name not in other.locator("body").inner_text()
        assert "Mixture of experts" not in other.locator("body").inner_text()
    finally:
        context.close()
