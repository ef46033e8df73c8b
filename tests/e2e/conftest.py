"""End-to-end fixtures: one Streamlit server per test module, one Chromium per session.

The server's log is attached to the report of every failed test (and shown when
the server does not come up), as in Streamlit's own ``e2e_playwright`` suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.harness import AppServer, ServerError, launch_chromium
from tests.e2e.harness import app_server as start_app_server

VIEWPORT = {"width": 1400, "height": 1000}


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


def _serve() -> Iterator[AppServer]:
    try:
        with start_app_server() as server:
            yield server
    except ServerError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def app_server() -> Iterator[AppServer]:
    """``streamlit run app/entry/streamlit_app.py`` on a free port, ready once ``/_stcore/health`` answers ``ok``."""
    yield from _serve()


@pytest.fixture
def fresh_app_server() -> Iterator[AppServer]:
    """A server of its own, so that the test's page is the first request it ever gets (deep links)."""
    yield from _serve()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium shared by every test."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
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
