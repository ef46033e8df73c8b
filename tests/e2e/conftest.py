"""End-to-end fixtures: one Streamlit server per test module, one Chromium per session.

The server's log is attached to the report of every failed test (and shown when
the server does not come up), as in Streamlit's own ``e2e_playwright`` suite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ENV = "ML_PLAYGROUND_CHROMIUM"
"""Environment variable that overrides the Chromium executable."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HEALTH_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 100
VIEWPORT = {"width": 1400, "height": 1000}


@dataclass
class AppServer:
    """A running ``streamlit run`` process and where to reach it."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failed test, attach the server log tail and the browser console errors to its report."""
    report = yield
    if report.failed:
        server = getattr(item, "funcargs", {}).get("app_server")
        if isinstance(server, AppServer):
            report.sections.append(("streamlit server log (tail)", server.log_tail()))
        errors = getattr(item, "console_errors", None)
        if errors:
            report.sections.append(("browser console errors", "\n".join(errors)))
    return report


@pytest.fixture(scope="module")
def app_server() -> Iterator[AppServer]:
    """``streamlit run streamlit_app.py`` on a free port, ready once ``/_stcore/health`` answers ``ok``."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_fd, log_name = tempfile.mkstemp(prefix="ml-playground-e2e-", suffix=".log")
    log_file = os.fdopen(log_fd, "w")
    command = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = AppServer(url=url, process=process, log_path=Path(log_name))
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
                pytest.fail(f"Streamlit server {state} before it was healthy. Log tail:\n{server.log_tail()}")
            time.sleep(0.25)  # polling interval for the health endpoint
        yield server
    finally:
        _stop(process)
        log_file.close()
        server.log_path.unlink(missing_ok=True)


def _chromium_path() -> str | None:
    """The Chromium to launch: the override, else the system one, else Playwright's own (None)."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override
    if Path(SYSTEM_CHROMIUM).exists():
        return SYSTEM_CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium shared by every test."""
    with sync_playwright() as playwright:
        executable = _chromium_path()
        if executable:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        else:
            browser = playwright.chromium.launch()
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (so a fresh Streamlit session) with a 1400×1000 viewport.

    Console errors are collected for failure reports but never fail a test: deep
    links log harmless 404s.
    """
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    request.node.console_errors = errors
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
