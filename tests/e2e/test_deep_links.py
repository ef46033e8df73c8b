"""A fresh server's very first request, straight to a playground's deep link.

With a ``pages/`` folder beside the entry script, Streamlit ran a server's first
run in its legacy multipage mode (until the first ``st.navigation`` call) and
covered a deep-linked page with a "Page not found" dialog. The entry script has a
folder of its own (``app/entry/``) for that reason. ``tests/e2e/test_digits.py``
checks ``/draw-digit`` the same way, and draws on it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import AppServer
from tests.e2e.helpers import no_exception, wait_idle

DEEP_LINKS = {
    "playground": ("playground?playground_dataset=Spiral", "Decision boundaries"),
    "boosting": ("boosting", "Gradient boosting"),
    "moe": ("moe", "Mixture of experts"),
}



@pytest.mark.parametrize("name", list(DEEP_LINKS))
def test_first_request_to_a_deep_link_opens_the_page(page: Page, fresh_app_server: AppServer, name: str) -> None:
    link, heading = DEEP_LINKS[name]
    page.goto(f"{fresh_app_server.url}/{link}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stDialog"]'), "a dialog covers the page").to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert page.url.startswith(f"{fresh_app_server.url}/{link.split('?')[0]}")
    if "?" in link:
        assert link.split("?")[1] in page.url, "the deep link's query string was dropped"
    no_exception(page)
