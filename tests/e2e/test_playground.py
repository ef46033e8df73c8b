"""End-to-end: the decision-boundary playground in Chromium — live training, shared links, compare mode.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Locator, Page, expect

from app.playground import keys as K
from tests.e2e.conftest import VIEWPORT
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, no_exception, wait_idle


def open_playground(page: Page, base_url: str, query: str = "") -> None:
    """Open the page by its deep link, ``/playground``, with an optional query string."""
    page.goto(f"{base_url}/playground" + (f"?{query}" if query else ""))
    wait_idle(page)
    expect(button(page, K.PLAY)).to_be_visible(timeout=60_000)


def button(page: Page, key: str) -> Locator:
    return by_key(page, key).get_by_role("button").first


def metric(page: Page, label: str) -> Locator:
    box = by_key(page, K.METRICS_BOX).locator('[data-testid="stMetric"]')
    return box.filter(has=page.get_by_text(label, exact=True)).locator('[data-testid="stMetricValue"]').first


def number(page: Page, label: str) -> float:
    try:
        return float(metric(page, label).inner_text(timeout=5_000).replace(",", "").rstrip("%"))
    except Exception:  # replaced mid-read by the next update  # noqa: BLE001
        return float("nan")


def wait_until(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"not true after {timeout} s: {what}")


def test_spiral_with_a_layer_more_trains_live_and_its_link_opens_the_same_setup(
        page: Page, app_server: AppServer, browser: Browser) -> None:
    open_playground(page, app_server.url)
    by_key(page, K.DATASET).get_by_text("Spiral", exact=True).click()
    wait_idle(page)
    button(page, K.ADD_LAYER).click()
    wait_idle(page)
    expect(by_key(page, K.SHAPE).get_by_role("textbox")).to_have_value("4,2,2")
    expect(metric(page, "Epoch")).to_have_text("0")
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "Epoch") > 0, what="the epoch counter moves")
    first = number(page, "Training loss")
    wait_until(lambda: number(page, "Training loss") < first - 0.01, what=f"the loss falls below {first}")
    wait_until(lambda: number(page, "Epoch") > 50, what="many epochs train")
    button(page, K.PAUSE).click()
    expect(button(page, K.PLAY)).to_be_enabled(timeout=30_000)
    wait_idle(page)
    paused = metric(page, "Epoch").inner_text()
    page.wait_for_timeout(800)
    assert metric(page, "Epoch").inner_text() == paused  # Pause really pauses
    expect(by_key(page, K.OUTPUT_BOX).locator("svg circle").first).to_be_attached()
    expect(by_key(page, K.DIAGRAM_BOX).locator("svg path").first).to_be_attached()
    no_exception(page)

    link = page.url
    assert "playground_dataset=Spiral" in link and "playground_shape=4%2C2%2C2" in link.replace(",", "%2C")
    fresh = browser.new_context(viewport=VIEWPORT)
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_idle(other)
        expect(by_key(other, K.DATASET).get_by_role("radio", name="Spiral")).to_be_checked(timeout=60_000)
        expect(by_key(other, K.SHAPE).get_by_role("textbox")).to_have_value("4,2,2")
        expect(metric(other, "Epoch")).to_have_text("0")  # a new session: its own run
        no_exception(other)
    finally:
        fresh.close()


def test_compare_mode_runs_both_networks(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url, "playground_preset=ReLU+vs+Tanh")
    expect(by_key(page, K.COMPARE_BOX)).to_be_visible(timeout=30_000)
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "A Epoch") > 5 and number(page, "B Epoch") > 5, what="both train")
    button(page, K.PAUSE).click()
    expect(button(page, K.PLAY)).to_be_enabled(timeout=30_000)
    wait_idle(page)
    assert metric(page, "A Epoch").inner_text() == metric(page, "B Epoch").inner_text()  # lockstep
    expect(by_key(page, f"{K.OUTPUT_BOX}_a").locator("svg").first).to_be_visible()
    expect(by_key(page, f"{K.OUTPUT_BOX}_b").locator("svg").first).to_be_visible()
    no_exception(page)


def test_bad_settings_and_a_tampered_link_show_messages_not_errors(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url, "networkShape=9,9,9,9,9,9,9,9&batchSize=-3&dataset=moons"
                                          "&playground_lr=10&playground_reg=L2&playground_reg_rate=10"
                                          "&playground_hide=Noise&playground_hide=Batch+size")
    expect(by_key(page, K.NOTES_BOX)).to_contain_text("kept the first 6", timeout=30_000)
    expect(by_key(page, K.NOISE)).to_be_hidden()  # classroom mode: hidden by the link ...
    expect(by_key(page, K.BATCH)).to_be_hidden()
    expect(by_key(page, K.TRAIN)).to_be_visible()  # ... and only those
    button(page, K.PLAY).click()
    expect(page.get_by_text("lower learning rate").first).to_be_visible(timeout=60_000)
    expect(button(page, K.PLAY)).to_be_enabled(timeout=30_000)
    for name in ("x", "y"):
        by_key(page, K.feature(name)).locator("label").click()
        wait_idle(page)
    expect(page.get_by_text("Turn on at least one input feature").first).to_be_visible()
    expect(button(page, K.PLAY)).to_be_disabled()
    no_exception(page)
