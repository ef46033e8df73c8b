"""End-to-end: the gradient-boosting page in Chromium — pick a dataset, change depth, scrub, select a tree,
share the link, build it tree by tree.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from app.boosting import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import (
    by_key,
    check_pause_then_step,
    no_exception,
    read_number,
    wait_for_number_change,
    wait_idle,
)

LONG = 60_000


def open_boosting(page: Page, base_url: str, query: str = "") -> None:
    page.goto(f"{base_url}/boosting" + (f"?{query}" if query else ""))
    wait_idle(page)
    expect(by_key(page, K.MAP_BOX).locator(".js-plotly-plot")).to_be_visible(timeout=LONG)


def metric(page: Page, label: str) -> Locator:
    box = by_key(page, K.METRICS_BOX).locator('[data-testid="stMetric"]')
    return box.filter(has=page.get_by_text(label, exact=True)).locator('[data-testid="stMetricValue"]')


def slider_value(page: Page, key: str) -> str:
    return by_key(page, key).get_by_role("slider").get_attribute("aria-valuetext") or ""


def press_on_slider(page: Page, key: str, keys: list[str]) -> None:
    """Focus a slider's thumb and press keys; wait for the rerun each one starts."""
    thumb = by_key(page, key).get_by_role("slider")
    thumb.focus()
    for name in keys:
        thumb.press(name)
        wait_idle(page)


def test_xor_depth_scrub_and_select_a_tree(page: Page, app_server: AppServer) -> None:
    open_boosting(page, app_server.url)
    spiral_loss = metric(page, "Test loss").inner_text()
    by_key(page, f"{K.DATASET_BUTTON}1").get_by_role("button", name="XOR").click()
    wait_idle(page)
    expect(page).to_have_url(re.compile("boosting_dataset=xor"), timeout=LONG)
    expect(metric(page, "Test loss")).not_to_have_text(spiral_loss, timeout=LONG)
    depth4_loss = metric(page, "Test loss").inner_text()

    press_on_slider(page, K.setting("depth"), ["ArrowLeft", "ArrowLeft"])  # 4 -> 2
    expect(by_key(page, K.setting("depth")).get_by_role("slider")).to_have_attribute("aria-valuetext", "2")
    expect(metric(page, "Test loss")).not_to_have_text(depth4_loss, timeout=LONG)
    depth2_loss = metric(page, "Test loss").inner_text()
    assert float(depth2_loss) > 0

    press_on_slider(page, K.STAGE, ["Home"])  # scrub to 0 trees: log-loss of p = 0.5 is ln 2
    expect(metric(page, "Test loss")).to_have_text("0.6931", timeout=LONG)
    expect(by_key(page, K.MAP_BOX)).to_contain_text("After 0 trees")
    press_on_slider(page, K.STAGE, ["ArrowRight"] * 3)
    expect(by_key(page, K.MAP_BOX)).to_contain_text("After 3 trees", timeout=LONG)
    assert metric(page, "Test loss").inner_text() not in ("0.6931", depth2_loss)

    by_key(page, f"{K.THUMB_BUTTON}7").get_by_role("button").click()  # sum up to tree 7, select it
    wait_idle(page)
    diagram = by_key(page, K.TREE_BOX)
    expect(diagram).to_contain_text("Tree 7 as XGBoost stores it", timeout=LONG)
    expect(diagram.locator("svg.boosting-tree")).to_be_visible()
    expect(diagram.locator("svg.boosting-tree text").filter(has_text=re.compile(r"^leaf "))).not_to_have_count(0)
    assert slider_value(page, K.STAGE) == "8" and slider_value(page, K.TREE) == "7"
    expect(by_key(page, K.MAP_BOX)).to_contain_text("After 8 trees")
    no_exception(page)

    # The link opens the same view in a new session.
    link, loss = page.url, metric(page, "Test loss").inner_text()
    assert "boosting_depth=2" in link and "boosting_tree=7" in link and "boosting_stage=8" in link
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        other.goto(link)
        wait_idle(other)
        expect(metric(other, "Test loss")).to_have_text(loss, timeout=LONG)
        expect(by_key(other, K.TREE_BOX)).to_contain_text("Tree 7 as XGBoost stores it")
        assert slider_value(other, K.setting("depth")) == "2"
        no_exception(other)
    finally:
        other.context.close()


def test_play_builds_the_ensemble_and_a_tampered_link_is_harmless(page: Page, app_server: AppServer) -> None:
    open_boosting(page, app_server.url, "boosting_depth=abc&boosting_stage=-4&boosting_dataset=evil"
                                        "&boosting_n_trees=9999&boosting_speed=fast")
    expect(by_key(page, K.setting("depth")).get_by_role("slider")).to_have_attribute("aria-valuetext", "4")
    by_key(page, K.PLAY).get_by_role("button").click()
    live = by_key(page, K.LIVE_BOX)
    expect(live).to_contain_text(re.compile(r"\d+ of 50 trees"), timeout=LONG)
    expect(live).to_contain_text("50 of 50 trees", timeout=LONG)
    expect(page.get_by_text(re.compile(r"Done: 50 trees"))).to_be_visible(timeout=LONG)
    expect(by_key(page, K.PLAY).get_by_role("button")).to_be_enabled()
    no_exception(page)


def test_pause_holds_the_ensemble_and_step_grows_it(page: Page, app_server: AppServer) -> None:
    open_boosting(page, app_server.url, "boosting_n_trees=200&boosting_speed=slow")
    live = by_key(page, K.LIVE_BOX)

    def trees() -> float:
        return read_number(live.get_by_text(re.compile(r"\d+ of 200 trees")).first, pattern=r"(\d+) of 200 trees")

    by_key(page, K.PLAY).get_by_role("button").click()
    expect(live).to_contain_text(re.compile(r"\d+ of 200 trees"), timeout=LONG)
    wait_for_number_change(trees, 0.0)
    check_pause_then_step(page, trees, *(by_key(page, key).get_by_role("button") for key in (K.PLAY, K.PAUSE, K.STEP)))
    no_exception(page)
