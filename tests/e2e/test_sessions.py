"""Several browser sessions on one server: each keeps its own run, model and guesses."""

from __future__ import annotations

import math
import re

from playwright.sync_api import Browser, expect

from app.digits import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, clear_canvas, draw, first_guess, no_exception, open_digit_page

TRAIN_TIMEOUT = 180_000
"""Both sessions share two CPU cores: allow for slow training."""
GUESS_TIMEOUT = 30_000
ONE = [[(140, 50), (140, 230)]]
ZERO = [[(140 + 55 * math.cos(2 * math.pi * i / 24), 140 + 85 * math.sin(2 * math.pi * i / 24)) for i in range(25)]]


def _train_tab(page) -> None:
    page.get_by_role("tab", name=re.compile("Train your own")).click()
    expect(by_key(page, K.DIGITS_TRAIN_PLAY).get_by_role("button")).to_be_visible(timeout=30_000)


def _play(page) -> None:
    _train_tab(page)
    by_key(page, K.DIGITS_TRAIN_PLAY).get_by_role("button").click()
    expect(by_key(page, K.DIGITS_TRAIN_BOX).get_by_text(re.compile(r"Epoch \d+ of \d+"))).to_be_visible(
        timeout=60_000)


def _batches(page) -> int:
    metric = by_key(page, K.DIGITS_TRAIN_BOX).locator('[data-testid="stMetric"]').filter(has_text="Batches trained")
    return int(metric.locator('[data-testid="stMetricValue"]').inner_text())


def test_one_session_trains_while_another_keeps_getting_guesses(browser: Browser, app_server: AppServer) -> None:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        trainer, drawer = (context.new_page() for context in contexts)
        open_digit_page(trainer, app_server.url)
        open_digit_page(drawer, app_server.url)
        _play(trainer)
        for strokes, digit in ((ONE, "1"), (ZERO, "0"), (ONE, "1")):
            clear_canvas(drawer)
            draw(drawer, strokes)
            expect(first_guess(drawer)).to_have_text(digit, timeout=GUESS_TIMEOUT)
        # Training went on meanwhile, and pausing it frees the server's slot.
        assert _batches(trainer) > 0
        by_key(trainer, K.DIGITS_TRAIN_PAUSE).get_by_role("button").click()
        expect(by_key(trainer, K.DIGITS_TRAIN_PLAY).get_by_role("button")).to_be_enabled(timeout=30_000)
        paused = _batches(trainer)
        trainer.wait_for_timeout(1500)
        assert _batches(trainer) == paused
        for page in (trainer, drawer):
            no_exception(page)
    finally:
        for context in contexts:
            context.close()


def test_two_sessions_train_independently(browser: Browser, app_server: AppServer) -> None:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page in (first, second):
            open_digit_page(page, app_server.url)
        _play(first)
        _play(second)

        # The first session finishes early once an epoch is done; the second trains to the end.
        done = by_key(first, K.DIGITS_TRAIN_BOX).locator('[data-testid="stMetric"]').filter(has_text="Epochs done")
        expect(done.locator('[data-testid="stMetricValue"]')).not_to_have_text("0", timeout=TRAIN_TIMEOUT)
        by_key(first, K.DIGITS_TRAIN_FINISH).get_by_role("button").click()
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
