"""Shareable links on the draw-a-digit page, in a real Chromium.

The settings a student or an instructor would share live in the URL: a link
opened in a fresh browser context (a new session) shows them again, clicking
changes the URL, and a tampered link shows the defaults, never an exception.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, expect

from app.digits import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, canvas, draw, first_guess, no_exception, wait_idle
from tests.e2e.test_digits import GUESS_TIMEOUT, ONE

SHARED = {
    K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: "7", K.DIGITS_EXAMPLE_INDEX: "12",
    K.DIGITS_NAIVE: "true", K.DIGITS_TAB: "Saliency", K.DIGITS_SALIENCY_TARGET: "digit 3",
    K.DIGITS_COLOR_RANGE: "global", K.DIGITS_LAYER_TOGGLE.format(layer="conv1"): "false",
}
"""An instructor's link: a particular 7, its naive resize, the saliency for 3; layer settings for later."""


def open_link(page: Page, base_url: str, query: dict[str, str] | str) -> None:
    """Open ``/draw-digit?<query>`` directly, as a shared link is opened, and wait for the run to end."""
    text = query if isinstance(query, str) else urlencode(query)
    page.goto(f"{base_url}/draw-digit?{text}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile("Draw a digit"))).to_be_visible(timeout=30_000)
    wait_idle(page)


def url_query(page: Page) -> dict[str, str]:
    """The page's current query parameters (one value each)."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}


def selected_segment(page: Page, key: str):
    """The chosen option of a segmented control."""
    return by_key(page, key).get_by_role("radio", checked=True)


def toggle_input(page: Page, key: str):
    return by_key(page, key).locator('input[type="checkbox"]')


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_idle(page)


def test_a_shared_link_opens_with_its_settings_in_a_new_session(page: Page, app_server: AppServer) -> None:
    open_link(page, app_server.url, SHARED)
    expect(selected_segment(page, K.DIGITS_SOURCE)).to_have_text("Example digit")
    expect(first_guess(page)).to_have_text("7", timeout=GUESS_TIMEOUT)
    expect(page.get_by_role("tab", name="Saliency")).to_have_attribute("aria-selected", "true")
    expect(toggle_input(page, K.DIGITS_NAIVE)).to_be_checked()
    expect(by_key(page, K.DIGITS_SEES_BOX)).to_contain_text("Naive 28×28 resize")
    expect(by_key(page, K.DIGITS_SALIENCY_TARGET).get_by_role("combobox")).to_have_value("digit 3")
    expect(by_key(page, "digits_saliency_chart")).to_contain_text("Saliency for 3", timeout=GUESS_TIMEOUT)
    # The closed Layers tab kept its part of the link too.
    open_tab(page, "Layers")
    expect(toggle_input(page, K.DIGITS_LAYER_TOGGLE.format(layer="conv1"))).not_to_be_checked()
    expect(by_key(page, "digits_layer_conv1")).to_have_count(0)
    expect(by_key(page, "digits_layer_conv2")).to_have_count(1)
    expect(selected_segment(page, K.DIGITS_COLOR_RANGE)).to_have_text("global")
    query = url_query(page)
    assert {k: v for k, v in query.items() if k != K.DIGITS_TAB} == {k: v for k, v in SHARED.items()
                                                                     if k != K.DIGITS_TAB}
    assert K.DIGITS_TAB not in query  # Layers is the default tab: not in the URL
    no_exception(page)


def test_clicks_change_the_link_and_the_link_brings_them_back(page: Page, app_server: AppServer, browser) -> None:
    open_link(page, app_server.url, "")
    expect(canvas(page)).to_be_visible(timeout=30_000)
    assert url_query(page) == {}  # the defaults leave the URL clean
    by_key(page, K.DIGITS_COLOR_RANGE).get_by_role("radio", name="per layer").click()
    wait_idle(page)
    by_key(page, K.DIGITS_LAYER_TOGGLE.format(layer="pool2")).get_by_text("Downsampling 2").click()
    wait_idle(page)
    open_tab(page, "Inspect a unit")
    by_key(page, K.DIGITS_UNIT_LAYER).get_by_role("combobox").click()
    page.get_by_role("option", name="Fully-connected 2").click()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"digits_unit_layer=Fully-connected\+2"))
    shared = page.url
    assert url_query(page) == {K.DIGITS_COLOR_RANGE: "per layer", K.DIGITS_LAYER_TOGGLE.format(layer="pool2"): "false",
                               K.DIGITS_TAB: "Inspect a unit", K.DIGITS_UNIT_LAYER: "Fully-connected 2"}

    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # someone else opens the link
    try:
        other = context.new_page()
        other.goto(shared)
        wait_idle(other)
        expect(canvas(other)).to_be_visible(timeout=30_000)
        expect(other.get_by_role("tab", name="Inspect a unit")).to_have_attribute("aria-selected", "true")
        expect(by_key(other, K.DIGITS_UNIT_LAYER).get_by_role("combobox")).to_have_value("Fully-connected 2")
        draw(other, ONE)  # the canvas works on the shared link
        expect(first_guess(other)).to_have_text("1", timeout=GUESS_TIMEOUT)
        expect(by_key(other, K.DIGITS_UNIT_BOX)).to_contain_text("Unit")
        open_tab(other, "Layers")
        expect(selected_segment(other, K.DIGITS_COLOR_RANGE)).to_have_text("per layer")
        expect(toggle_input(other, K.DIGITS_LAYER_TOGGLE.format(layer="pool2"))).not_to_be_checked()
        expect(by_key(other, "digits_layer_pool2")).to_have_count(0)
        no_exception(other)
    finally:
        context.close()
    no_exception(page)


def test_a_tampered_link_shows_the_defaults_and_works(page: Page, app_server: AppServer) -> None:
    junk = "<script>alert(1)</script>" * 400  # 10 kB
    tampered = {
        K.DIGITS_SOURCE: "Webcam", K.DIGITS_PEN: "999", K.DIGITS_TAB: "Admin", K.DIGITS_COLOR_RANGE: junk,
        K.DIGITS_EXAMPLE_INDEX: "inf", K.DIGITS_SALIENCY_TARGET: "digit 42", K.DIGITS_UNIT_LAYER: "Convolution 9",
        K.DIGITS_LAYER_TOGGLE.format(layer="fc1"): "sometimes", K.DIGITS_NAIVE: "1e400",
    }
    open_link(page, app_server.url, tampered)
    expect(canvas(page)).to_be_visible(timeout=30_000)
    expect(selected_segment(page, K.DIGITS_SOURCE)).to_have_text("Draw")
    expect(page.get_by_role("tab", name="Layers")).to_have_attribute("aria-selected", "true")
    expect(selected_segment(page, K.DIGITS_COLOR_RANGE)).to_have_text("per map")
    expect(toggle_input(page, K.DIGITS_NAIVE)).not_to_be_checked()
    draw(page, ONE)
    expect(first_guess(page)).to_have_text("1", timeout=GUESS_TIMEOUT)
    wait_idle(page)
    expect(toggle_input(page, K.DIGITS_LAYER_TOGGLE.format(layer="fc1"))).to_be_checked()
    query = url_query(page)
    assert not any(len(value) > 40 for value in query.values()), query  # the junk is gone from the URL
    assert not {K.DIGITS_SOURCE, K.DIGITS_PEN, K.DIGITS_TAB, K.DIGITS_COLOR_RANGE} & set(query), query
    no_exception(page)
