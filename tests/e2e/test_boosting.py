"""End-to-end: the gradient-boosting page in Chromium — pick a dataset, change depth, scrub, select a tree,
share the link, build it tree by tree.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import json
import re

import numpy as np
from playwright.sync_api import Locator, Page, expect

from app.boosting import keys as K
from engine.boosting import BoostingConfig, build_views
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


OVERLAY = "#boosting-hover-overlay"


def _overlay(page: Page) -> dict:
    """What the hover map shows, as it writes it on itself (data attributes), with the probed cells' values."""
    data = page.evaluate(f"() => Object.assign({{}}, document.querySelector('{OVERLAY}').dataset)")
    data["cells"] = json.loads(data["probeCells"])
    data["values"] = json.loads(data["probeValues"])
    return data


def _check_map(shown: dict, kind: str, index: int, expected: np.ndarray, gradients: np.ndarray) -> None:
    """The page's hover map against the engine: every probed cell, the extremes and the largest |gradient|
    (the page sends int8 maps and uint8 gradients, so each within half a quantisation step)."""
    assert (shown["kind"], int(shown["index"])) == (kind, index)
    flat, tol = expected.ravel(), float(shown["tolerance"]) + 1e-5
    np.testing.assert_allclose(shown["values"], flat[shown["cells"]], atol=tol)
    assert abs(float(shown["min"]) - flat.min()) <= tol and abs(float(shown["max"]) - flat.max()) <= tol
    top = max(1.0, float(np.abs(gradients).max()))
    assert abs(float(shown["gradientMax"]) - float(np.abs(gradients).max())) <= top / 510 + 1e-5


def test_pointing_at_a_tree_shows_its_margin_and_at_sigma_the_sum(page: Page, app_server: AppServer,
                                                                  browser) -> None:
    """Hover a thumbnail: the big map is that tree's own margin, dots sized by the gradients it was grown from;
    hover "Σ k": the ensemble after k + 1 trees, trees 0..k outlined; leave: the map is the page's again.
    All answered in the browser (nothing is sent to the server). A tap does the same on a phone."""
    open_boosting(page, app_server.url, "boosting_dataset=xor&boosting_depth=2&boosting_subsample=50")
    views = build_views(BoostingConfig(dataset="xor", depth=2, subsample=0.5))
    thumbs = by_key(page, K.THUMBS_BOX)
    tree7 = thumbs.locator('img[alt="tree 7 alone"]')
    tree7.scroll_into_view_if_needed()
    tree7.hover()
    expect(page.locator(OVERLAY)).to_have_attribute("data-index", "7")
    rows = views.model.trees_[7].rows
    g7 = views.model.gradients(7)
    _check_map(_overlay(page), "tree", 7, views.tree_map(7), g7[rows])
    assert len(rows) == 150  # subsample 50 %: the other points' gradients were not used (drawn smallest)

    by_key(page, f"{K.THUMB_BUTTON}5").get_by_role("button", name="Σ 5").first.hover()
    expect(page.locator(OVERLAY)).to_have_attribute("data-kind", "sum")
    _check_map(_overlay(page), "sum", 5, 2 * views.probability_map(6) - 1, views.model.gradients(6))
    expect(thumbs.locator('img[data-in-sum="1"]')).to_have_count(6)
    page.mouse.move(2, 2)
    expect(page.locator(OVERLAY)).to_have_count(0)
    expect(thumbs.locator("img[data-in-sum]")).to_have_count(0)
    assert slider_value(page, K.STAGE) == "50" and slider_value(page, K.TREE) == "0"  # pointing changed nothing
    no_exception(page)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True).new_page()
    try:
        open_boosting(phone, app_server.url, "boosting_dataset=xor&boosting_depth=2&boosting_subsample=50")
        first = by_key(phone, K.MAP_BOX).locator(".js-plotly-plot").bounding_box()  # the prediction map leads
        assert first and first["y"] + first["height"] / 2 <= 844, first  # at least half of it on the first screen
        assert by_key(phone, K.SETTINGS_BOX).bounding_box()["y"] > first["y"]  # the settings follow it
        tree3 = by_key(phone, K.THUMBS_BOX).locator('img[alt="tree 3 alone"]')
        tree3.scroll_into_view_if_needed()
        tree3.tap()
        expect(phone.locator(OVERLAY)).to_have_attribute("data-index", "3")
        _check_map(_overlay(phone), "tree", 3, views.tree_map(3), views.model.gradients(3)[views.model.trees_[3].rows])
        assert phone.locator(OVERLAY).is_visible()  # on screen although the big map is scrolled away
        box = phone.locator(OVERLAY).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844 and box["x"] >= 0
        by_key(phone, K.TREE_BOX).tap()  # a tap elsewhere lets go
        expect(phone.locator(OVERLAY)).to_have_count(0)
        no_exception(phone)
    finally:
        phone.context.close()


def test_projector_mode_enlarges_the_page_and_hides_the_settings_until_switched_off(page: Page,
                                                                                     app_server: AppServer) -> None:
    open_boosting(page, app_server.url, "boosting_dataset=xor&projector=1")
    expect(page.locator("html")).to_have_css("font-size", "20.8px", timeout=30_000)  # 130 % of 16 px
    expect(by_key(page, K.SETTINGS_BOX)).to_be_hidden()  # drawn (the link keeps its values) but not shown
    expect(by_key(page, K.MAP_BOX).locator(".js-plotly-plot")).to_be_visible()
    page.get_by_text("Projector", exact=True).click()  # the switch in the top bar turns it off
    wait_idle(page)
    expect(by_key(page, K.SETTINGS_BOX)).to_be_visible()
    expect(page.locator("html")).to_have_css("font-size", "16px", timeout=30_000)
    expect(page).to_have_url(re.compile(r"^(?!.*projector).*boosting_dataset=xor"))
    no_exception(page)
