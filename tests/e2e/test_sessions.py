"""Two browser sessions training at once each see only their own run and model."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from app.digits import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, no_exception, open_digit_page

TRAIN_TIMEOUT = 180_000
"""Both sessions share two CPU cores: allow for slow training."""


def _start_training(page) -> None:
    page.get_by_role("tab", name=re.compile("Train your own")).click()
    by_key(page, K.DIGITS_TRAIN_START).get_by_role("button").click()
    expect(by_key(page, K.DIGITS_TRAIN_BOX).get_by_text(re.compile(r"Epoch \d+ of \d+"))).to_be_visible(
        timeout=60_000)


def test_two_sessions_train_independently(browser: Browser, app_server: AppServer) -> None:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page in (first, second):
            open_digit_page(page, app_server.url)
        _start_training(first)
        _start_training(second)

        # The first session stops once an epoch is done; the second trains to the end.
        done = by_key(first, K.DIGITS_TRAIN_BOX).locator('[data-testid="stMetric"]').filter(has_text="Epochs done")
        expect(done.locator('[data-testid="stMetricValue"]')).not_to_have_text("0", timeout=TRAIN_TIMEOUT)
        by_key(first, K.DIGITS_TRAIN_STOP).get_by_role("button").click()
        expect(by_key(first, K.DIGITS_TRAIN_BOX).get_by_text("Stopped by the user").first).to_be_visible(
            timeout=60_000)
        expect(by_key(second, K.DIGITS_TRAIN_BOX).get_by_text(re.compile("Finished 10 epochs"))).to_be_visible(
            timeout=TRAIN_TIMEOUT)

        # Each sees its own outcome only.
        expect(by_key(first, K.DIGITS_TRAIN_BOX)).not_to_contain_text("Finished 10 epochs")
        expect(by_key(second, K.DIGITS_TRAIN_BOX)).not_to_contain_text("Stopped by the user")
        for page in (first, second):
            expect(page.get_by_text("Your trained model")).to_be_visible()
            no_exception(page)

        # A third, new session still starts on the shipped model.
        third_context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(third_context)
        third = third_context.new_page()
        open_digit_page(third, app_server.url)
        expect(third.locator('[data-testid="stSidebar"]')).to_contain_text("shipped CNN")
        expect(third.get_by_text("Your trained model")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()
