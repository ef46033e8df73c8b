"""End-to-end: the decision-boundary playground in Chromium — live training, shared links, compare mode.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Locator, Page, expect

from app.playground import keys as K
from tests.e2e.conftest import VIEWPORT
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, check_pause_then_step, no_exception, read_number, wait_idle


def open_playground(page: Page, base_url: str, query: str = "") -> None:
    """Open the page by its deep link, ``/playground``, with an optional query string."""
    page.goto(f"{base_url}/playground" + (f"?{query}" if query else ""))
    wait_idle(page)
    expect(button(page, K.PLAY)).to_be_visible(timeout=60_000)


def part(page: Page, name: str) -> Locator:
    """A part of the live view (every picture of the run in one element): "output", "network", "output_a" ..."""
    return by_key(page, K.BOARD).locator(f'[data-part="{name}"]')


def button(page: Page, key: str) -> Locator:
    return by_key(page, key).get_by_role("button").first


def metric(page: Page, label: str) -> Locator:
    """The epoch ("Epoch", "A Epoch": an ``st.metric``) or a number drawn beside it ("Training loss")."""
    if label.endswith("Epoch"):
        box = by_key(page, K.METRICS_BOX).locator('[data-testid="stMetric"]')
        return box.filter(has=page.get_by_text(label, exact=True)).locator('[data-testid="stMetricValue"]').first
    return by_key(page, K.NUMBERS).locator(f'[data-num="{label}"] .pg-val').first


def number(page: Page, label: str) -> float:
    """The number shown; raises when it cannot be read (see tests.e2e.helpers.read_number)."""
    return read_number(metric(page, label))


PNG = re.compile(r"^data:image/png;base64,")


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
    check_pause_then_step(page, lambda: number(page, "Epoch"), button(page, K.PLAY), button(page, K.PAUSE),
                          button(page, K.STEP))
    expect(part(page, "output").locator("svg circle").first).to_be_attached()
    expect(part(page, "output").locator('image[data-href="out"]')).to_have_attribute("href", PNG)
    expect(part(page, "network").locator("svg path[stroke-width]").first).to_be_attached()
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


def test_pause_holds_and_a_step_trains_exactly_one_epoch(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url, "playground_speed=one+epoch")
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "Epoch") >= 3, what="a few epochs train")
    epoch = check_pause_then_step(page, lambda: number(page, "Epoch"), button(page, K.PLAY), button(page, K.PAUSE),
                                  button(page, K.STEP), step_units=1)
    button(page, K.STEP).click()
    expect(metric(page, "Epoch")).to_have_text(f"{int(epoch) + 1:,}", timeout=30_000)
    no_exception(page)


def test_compare_mode_runs_both_networks(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url, "playground_preset=ReLU+vs+Tanh")
    expect(by_key(page, K.COMPARE_BOX)).to_be_visible(timeout=30_000)
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "A Epoch") > 5 and number(page, "B Epoch") > 5, what="both train")
    button(page, K.PAUSE).click()
    expect(button(page, K.PLAY)).to_be_enabled(timeout=30_000)
    wait_idle(page)
    assert metric(page, "A Epoch").inner_text() == metric(page, "B Epoch").inner_text()  # lockstep
    expect(part(page, "output_a").locator("svg").first).to_be_visible()
    expect(part(page, "output_b").locator("svg").first).to_be_visible()
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


def test_clicks_on_the_output_map_add_and_erase_own_points_over_the_networks_answer(page: Page,
                                                                                  app_server: AppServer) -> None:
    open_playground(page, app_server.url)
    by_key(page, K.DATA_SOURCE).get_by_text("Your own points", exact=True).click()
    wait_idle(page)
    count = by_key(page, K.OWN_DATA_BOX).get_by_text(re.compile(r"^\d+ point\(s\)\.$"))
    expect(count).to_have_text("0 point(s).", timeout=30_000)
    plane = part(page, "output").locator("[data-click]")
    expect(plane).to_be_visible(timeout=30_000)

    def click_at(x: float, y: float) -> None:  # plane coordinates in [-6, 6] (the map moves once a run exists)
        box = plane.bounding_box()
        assert box is not None and box["width"] > 100
        plane.click(position={"x": (x + 6) / 12 * box["width"], "y": (6 - y) / 12 * box["height"]})

    for i in range(12):
        if i == 6:
            by_key(page, K.CLICK_LABEL).get_by_text("orange (−1)", exact=True).click()
            wait_idle(page)
        click_at(-4 + 0.7 * i, 3 - 0.5 * i)
        expect(count).to_have_text(f"{i + 1} point(s).", timeout=30_000)
        wait_idle(page)
    # enough points of both classes: a run on them, its output map beneath the points, still clickable
    expect(button(page, K.PLAY)).to_be_enabled(timeout=30_000)
    expect(part(page, "output").locator('image[data-href="out"]')).to_have_attribute("href", PNG)
    expect(part(page, "output").locator("svg circle")).to_have_count(6)  # the training half (test points hidden)
    by_key(page, K.CLICK_LABEL).get_by_text("erase", exact=True).click()
    wait_idle(page)
    click_at(-4 + 0.7 * 11, 3 - 0.5 * 11)  # the last point (or the test point nearest to it)
    expect(count).to_have_text("11 point(s).", timeout=30_000)
    wait_idle(page)
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "Epoch") > 0, what="a run on the clicked points trains")
    no_exception(page)
