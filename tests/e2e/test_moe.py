"""End-to-end: the mixture-of-experts page in Chromium — presets, live training, shareable links.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

from app.moe import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, check_pause_then_step, no_exception, read_number, wait_idle

IMBALANCE = ("Max share", "Load CV", "Dead experts", "Dropped")


def open_moe(page: Page, base_url: str, query: str = "") -> None:
    """Open the page by its deep link, ``/moe``, with an optional query string (what follows the ``?``)."""
    page.goto(f"{base_url}/moe" + (f"?{query}" if query else ""))
    wait_idle(page)
    expect(button(page, K.PLAY)).to_be_visible(timeout=30_000)


def button(page: Page, key: str) -> Locator:
    return by_key(page, key).get_by_role("button")


def metric(page: Page, label: str) -> Locator:
    """The value of the figures panel's card ``label`` (app.moe.svg.metric_cards)."""
    return by_key(page, K.IMBALANCE_BOX).locator(f'.moe-metric[data-label="{label}"] .moe-value')


def imbalance(page: Page) -> tuple[str, ...]:
    return tuple(metric(page, label).inner_text() for label in IMBALANCE)


def wait_for_change(read, before, timeout: float = 30.0):
    """Poll ``read()`` until it differs from ``before``; return the new value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            now = read()
        except Exception:  # an element replaced mid-read by the next update  # noqa: BLE001
            now = before
        if now != before:
            return now
        time.sleep(0.2)
    raise AssertionError(f"still {before!r} after {timeout} s")


def choose_preset(page: Page, name: str) -> None:
    by_key(page, K.PRESET).click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_idle(page)
    expect(by_key(page, K.PRESET).get_by_role("combobox")).to_have_value(name)


def test_each_preset_plays_and_its_load_and_imbalance_change(page: Page, app_server: AppServer) -> None:
    open_moe(page, app_server.url)
    load = by_key(page, K.LIVE_VIEWS).locator(".moe-load")
    for name, url_part in (("Collapse", None), ("Balanced", "moe_bias_rate=0.03"),
                           ("Expert choice", "moe_capacity_factor=1")):
        if name != "Collapse":
            choose_preset(page, name)
            assert url_part in page.url  # the preset's settings are in the link
        expect(metric(page, "Step")).to_have_text("0")
        expect(metric(page, "Max share")).to_have_text("–")
        button(page, K.PLAY).click()
        expect(load.locator("svg polygon")).to_have_count(8, timeout=30_000)  # one band per expert
        first = wait_for_change(lambda: imbalance(page), ("–",) * 4)
        wait_for_change(lambda: imbalance(page), first)  # the figures move while it trains
        expect(by_key(page, K.LIVE_VIEWS).locator(".moe-routing img")).to_be_visible()
        check_pause_then_step(page, lambda: read_number(metric(page, "Step")), button(page, K.PLAY),
                              button(page, K.PAUSE), button(page, K.STEP))
        no_exception(page)
    runs = by_key(page, K.RUNS_BOX)
    for name in ("Collapse, seed 0", "Balanced, seed 0", "Expert choice, seed 0"):
        expect(runs).to_contain_text(name)  # the three presets side by side
    no_exception(page)


def test_a_shared_link_opens_with_its_settings(page: Page, app_server: AppServer) -> None:
    query = "moe_preset=Balanced&moe_bias_rate=0.03&moe_n_experts=4&moe_seed=7&moe_speed=fast"
    open_moe(page, app_server.url, query)
    expect(by_key(page, K.PRESET).get_by_role("combobox")).to_have_value("Balanced")
    expect(by_key(page, K.setting("n_experts")).get_by_role("slider")).to_have_attribute("aria-valuetext", "4")
    expect(by_key(page, K.NOTES_BOX)).to_contain_text("Changed from the preset: n experts, seed.")
    button(page, K.STEP).click()
    expect(by_key(page, K.STATUS_BOX)).to_contain_text("Custom settings, seed 7", timeout=30_000)
    for _ in range(20):  # a Step is timed: on a slow machine it may end before the first evaluation
        wait_idle(page)
        if metric(page, "Dead experts").inner_text() != "–":
            break
        button(page, K.STEP).click()
    expect(metric(page, "Dead experts")).to_have_text(re.compile(r"of 4$"), timeout=30_000)
    assert "moe_n_experts=4" in page.url and "moe_seed=7" in page.url
    no_exception(page)


def test_a_tampered_link_and_bad_settings_never_raise(page: Page, app_server: AppServer) -> None:
    open_moe(page, app_server.url, "moe_top_k=abc&moe_n_experts=999&moe_seed=-3&moe_router=evil&moe_preset=x"
                                   "&moe_learning_rate=100&moe_capacity_factor=0.1")
    notes = by_key(page, K.NOTES_BOX)
    expect(notes).to_contain_text("diverge")  # learning rate 100 is legal, and explained
    expect(notes).to_contain_text("are dropped")  # so is a capacity factor of 0.1
    button(page, K.PLAY).click()
    expect(page.get_by_text(re.compile("Training diverged"))).to_be_visible(timeout=30_000)
    expect(button(page, K.PLAY)).to_be_enabled()
    no_exception(page)
