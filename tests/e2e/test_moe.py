"""End-to-end: the mixture-of-experts page in Chromium — presets, live training, shareable links.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import re
import time

import numpy as np
import torch
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from app.moe import keys as K
from engine.moe import PRESETS, MoETrainer
from tests.e2e.harness import AppServer
from tests.e2e.helpers import (
    by_key,
    check_pause_then_step,
    no_exception,
    read_number,
    wait_for_number_change,
    wait_idle,
)

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


# -- pointing at the routing map (issue 14) ------------------------------------------------------------------------
READ_PROBE = """p => ({state: p.getAttribute('data-state'), x: Number(p.getAttribute('data-x')),
  y: Number(p.getAttribute('data-y')), step: Number(p.getAttribute('data-step')), text: p.innerText,
  rows: [...p.querySelectorAll('.mp-row')].map(r => ({expert: Number(r.dataset.expert),
    score: Number(r.dataset.score), chosen: r.dataset.chosen === '1',
    gate: r.dataset.gate === undefined ? null : Number(r.dataset.gate)}))})"""


def probe(page: Page) -> Locator:
    return by_key(page, K.LIVE_VIEWS).locator(".moe-probe")


def read_probe(page: Page) -> dict:
    return probe(page).evaluate(READ_PROBE)


def routing_map(page: Page) -> Locator:
    return by_key(page, K.LIVE_VIEWS).locator(".moe-routing figure img")


def engine_router(preset: str, steps: int, x: float, y: float) -> tuple[np.ndarray, list[int], list[float]]:
    """The engine's router at (x, y) after ``steps`` training steps of ``preset``: its softmax over every expert
    (sigmoid affinities for the sigmoid router), the chosen experts and their gates (the point routed alone)."""
    trainer = MoETrainer(PRESETS[preset])
    if steps:
        trainer.train_steps(steps)
    point = torch.tensor([[x, y]], dtype=torch.float32)
    with torch.inference_mode():
        router = trainer.model_.router
        logits = router.logits(point)[0]
        scores = torch.sigmoid(logits) if router.mode == "sigmoid_topk" else torch.softmax(logits, -1)
        routing = router(point, batch=False)
    return scores.numpy(), routing.indices[0].tolist(), routing.gates[0].tolist()


def check_against_engine(reading: dict, preset: str, steps: int) -> None:
    assert reading["state"] == "point", reading["text"]
    scores, chosen, gates = engine_router(preset, steps, reading["x"], reading["y"])
    shown = np.array([row["score"] for row in reading["rows"]])
    np.testing.assert_allclose(shown, scores, atol=2e-6)  # every expert's bar is the router's score
    picked = [row for row in reading["rows"] if row["chosen"]]
    assert sorted(row["expert"] for row in picked) == sorted(chosen)
    by_expert = {row["expert"]: row["gate"] for row in picked}
    np.testing.assert_allclose([by_expert[e] for e in chosen], gates, atol=2e-6)


def map_box(page: Page) -> dict:
    """The routing map's box; during Play each update redraws the element, so the picture can be between two
    versions for a moment."""
    for _ in range(50):
        box = routing_map(page).bounding_box()
        if box is not None:
            return box
        page.wait_for_timeout(50)
    raise AssertionError("the routing map never settled")


def click_map(page: Page, fx: float, fy: float) -> None:
    box = map_box(page)
    routing_map(page).click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def test_click_a_point_shows_the_routers_scores_as_the_engine_computes_them(page: Page, app_server: AppServer) -> None:
    open_moe(page, app_server.url)
    expect(probe(page)).to_have_attribute("data-state", "empty")
    click_map(page, 0.71, 0.23)  # the untrained router (softmax top-1), as the engine builds it from the seed
    expect(probe(page)).to_have_attribute("data-state", "point")
    check_against_engine(read_probe(page), "Collapse", 0)
    expect(probe(page).locator(".mp-experts .mp-expert")).to_have_count(1)  # top-1: one chosen expert's answer
    by_key(page, K.LIVE_VIEWS).locator(".moe-routing p").first.click()  # the heading: off the map
    expect(probe(page)).to_have_attribute("data-state", "outside")
    expect(probe(page)).to_contain_text("outside the map")

    choose_preset(page, "Sigmoid + bias")  # sigmoid affinities, top-2, after one Step of training
    button(page, K.STEP).click()
    wait_idle(page)
    steps = int(read_number(metric(page, "Step")))
    assert steps > 0
    click_map(page, 0.3, 0.62)
    expect(probe(page)).to_have_attribute("data-step", str(steps))
    reading = read_probe(page)
    check_against_engine(reading, "Sigmoid + bias", steps)
    assert "sigmoid" in reading["text"] and len([r for r in reading["rows"] if r["chosen"]]) == 2

    button(page, K.PLAY).click()  # clicks while it trains: answered again with every update, never an error
    wait_for_number_change(lambda: float(probe(page).get_attribute("data-step") or 0), float(steps))
    for fx in (0.1, 0.5, 0.9):
        click_map(page, fx, 0.5)
        expect(probe(page)).to_have_attribute("data-state", "point")
    # a press that arrives while an update is being swapped in hits nothing (the page is its target): it is
    # answered where the map was drawn last
    by_key(page, K.LIVE_VIEWS).locator(".moe-routing p").first.click()  # the heading: off the map, first
    expect(probe(page)).to_have_attribute("data-state", "outside")
    box = map_box(page)
    page.evaluate("""([x, y]) => document.documentElement.dispatchEvent(new PointerEvent('pointerdown',
        {clientX: x, clientY: y, button: 0, bubbles: true, composed: true}))""",
                  [box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75])
    expect(probe(page)).to_have_attribute("data-state", "point")
    x0, x1, y0, y1 = MoETrainer(PRESETS["Sigmoid + bias"]).task_.bounds
    reading = read_probe(page)  # there (or at a validation point within 7 px of it, which it then explains)
    assert abs(reading["x"] - (x0 + 0.25 * (x1 - x0))) < 0.04 * (x1 - x0)
    assert abs(reading["y"] - (y1 - 0.75 * (y1 - y0))) < 0.04 * (y1 - y0)
    pause_if_running(page)
    no_exception(page)


def pause_if_running(page: Page) -> None:
    """Press Pause unless the run has reached its last step on its own meanwhile (Pause is then disabled)."""
    try:
        button(page, K.PAUSE).click(timeout=3_000)
    except PlaywrightTimeoutError:
        expect(button(page, K.PLAY)).to_be_enabled()  # it finished: Play is offered again
    wait_idle(page)


def test_click_a_digit_in_the_digits_task_shows_the_routers_softmax_for_that_digit(page: Page,
                                                                                   app_server: AppServer) -> None:
    open_moe(page, app_server.url)
    choose_preset(page, "Digits")
    button(page, K.STEP).click()  # the digits load with the first step (no preview before it)
    wait_idle(page)
    steps = int(read_number(metric(page, "Step")))
    strip = by_key(page, K.LIVE_VIEWS).locator(".moe-digit-strip img")
    expect(strip).to_have_count(20, timeout=30_000)  # two validation digits of each class
    strip.nth(7).click()
    expect(probe(page)).to_have_attribute("data-state", "sample")
    reading = read_probe(page)
    row = int(probe(page).get_attribute("data-row"))
    trainer = MoETrainer(PRESETS["Digits"])
    trainer.train_steps(steps)
    x, y = trainer.task_.split("val")
    assert y[row] == 3  # the eighth picture is the second 3
    with torch.inference_mode():
        router = trainer.model_.router
        logits = router.logits(torch.as_tensor(x[row : row + 1], dtype=torch.float32))[0]
        chosen = router(torch.as_tensor(x[row : row + 1], dtype=torch.float32), batch=False).indices[0].tolist()
    shown = np.array([r["score"] for r in reading["rows"]])
    np.testing.assert_allclose(shown, torch.softmax(logits, -1).numpy(), atol=2e-6)
    assert [r["expert"] for r in reading["rows"] if r["chosen"]] == chosen
    assert f"a {y[row]}" in reading["text"]
    no_exception(page)


def test_phone_starts_with_the_routing_map_and_play_and_a_tap_explains_a_point(browser, app_server: AppServer) -> None:
    """Also turned sideways while it trains: the run goes on and a tap still answers."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(30_000)
        open_moe(phone, app_server.url)
        img = routing_map(phone)
        expect(img).to_be_visible()
        box, play = img.bounding_box(), button(phone, K.PLAY).bounding_box()
        assert play["y"] + play["height"] <= 844, play  # Play on the first screen
        assert box["y"] >= 0 and box["y"] + box["height"] * 0.75 <= 844, box  # and most of the map under it
        img.tap(position={"x": box["width"] * 0.35, "y": box["height"] * 0.6})
        expect(probe(phone)).to_have_attribute("data-state", "point")
        reading = read_probe(phone)
        check_against_engine(reading, "Collapse", 0)
        assert abs(sum(row["score"] for row in reading["rows"]) - 1) < 1e-5
        button(phone, K.PLAY).tap()  # the phone turned sideways mid-run: the run goes on, a tap still answers
        wait_for_number_change(lambda: float(probe(phone).get_attribute("data-step") or 0), 0.0)
        phone.set_viewport_size({"width": 844, "height": 390})
        box = map_box(phone)
        assert box["width"] > 100
        routing_map(phone).tap(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
        expect(probe(phone)).to_have_attribute("data-state", "point")
        before = float(probe(phone).get_attribute("data-step") or 0)
        for _ in range(300):  # the updates keep coming after the turn, until the run ends on its own
            if float(probe(phone).get_attribute("data-step") or 0) != before or button(phone, K.PLAY).is_enabled():
                break
            phone.wait_for_timeout(100)
        else:
            raise AssertionError(f"no update after turning the phone (step {before})")
        pause_if_running(phone)
        no_exception(phone)
    finally:
        context.close()


def test_projector_link_hides_the_settings_and_keeps_the_run_working(page: Page, app_server: AppServer) -> None:
    open_moe(page, app_server.url, "projector=1&moe_preset=Balanced")
    expect(page.locator("html")).to_have_css("font-size", "20.8px", timeout=30_000)  # 130 % of 16 px
    expect(by_key(page, K.SETTINGS_BOX)).to_be_hidden()
    button(page, K.STEP).click()  # the controls that run it stay: Play, Step, the map
    wait_idle(page)
    assert int(read_number(metric(page, "Step"))) > 0
    expect(routing_map(page)).to_be_visible()
    no_exception(page)
