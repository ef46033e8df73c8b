"""End-to-end: the decision-boundary playground in Chromium — live training, shared links, compare mode.

One server for the module. Each scenario ends with the "must not happen" check: no
Streamlit exception on the page.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Locator, Page, expect

from app.playground import figures
from app.playground import keys as K
from engine.playground import Trainer
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


# ---------------------------------------------------------------- pointing at the network (issue 14)


def board_el(page: Page) -> Locator:
    return by_key(page, K.BOARD)


def exported(page: Page) -> Trainer:
    """The network as the page holds it now (paused): its "Download network (JSON)", read back by the engine."""
    download = by_key(page, K.EXPORT).get_by_role("button")
    if not download.is_visible():
        by_key(page, K.EXPORT_BOX).locator("summary").click()  # the expander it sits in
    with page.expect_download() as info:
        download.click()
    return Trainer.from_json(Path(info.value.path()).read_text())


def pause(page: Page) -> None:
    button(page, K.PAUSE).click()
    expect(button(page, K.PLAY)).to_be_enabled(timeout=30_000)
    wait_idle(page)


def big_map(page: Page) -> np.ndarray:
    """The pixels of the map drawn large over the output (100 x 100 x 3), as the browser holds them."""
    overlay = board_el(page).locator('[data-hover-map="a"]')
    data = overlay.evaluate("el => Array.from(el.querySelector('canvas').getContext('2d')"
                            ".getImageData(0, 0, 100, 100).data)")
    return np.array(data, dtype=np.int16).reshape(100, 100, 4)[..., :3]


def engine_colours(values: np.ndarray) -> np.ndarray:
    return figures.colours(values).astype(np.int16)


def test_pointing_at_a_neuron_draws_that_neurons_map_large_over_the_output(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url)
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "Epoch") > 20, what="a few epochs train")
    pause(page)
    trainer = exported(page)
    maps = trainer.grid(100)
    overlay = board_el(page).locator('[data-hover-map="a"]')
    expect(overlay).to_be_hidden()
    for node, name in (("3", "Neuron 3 (layer 1)"), ("6", "Neuron 6 (layer 2)"), ("7", "Output (neuron 7)")):
        board_el(page).locator(f'[data-node="{node}"]').hover()
        expect(overlay).to_have_attribute("data-shows", node)
        expect(overlay).to_be_visible()
        expect(board_el(page).locator('[data-head="a"]')).to_contain_text(name)
        shown = big_map(page)
        close = np.abs(shown - engine_colours(maps[node])).max(axis=2) <= 4  # float32 vs the browser's: a level
        assert close.mean() > 0.99, f"{node}: only {close.mean():.1%} of the map is the engine's"
        other = "1" if node != "1" else "2"
        assert (np.abs(shown - engine_colours(maps[other])).max(axis=2) <= 4).mean() < 0.9  # a map of its own
    page.get_by_role("heading", name="Decision boundaries").hover()  # the pointer leaves: the output again
    expect(overlay).to_be_hidden()
    expect(board_el(page).locator('[data-head="a"]')).to_contain_text("the network's answer")
    # an input's square: its feature, scaled as its square is
    board_el(page).locator('[data-node="x"]').hover()
    expect(overlay).to_have_attribute("data-shows", "x")
    assert (np.abs(big_map(page) - engine_colours(figures.scale_to_unit(maps["x"]))).max(axis=2) <= 4).mean() > 0.99
    # pointing while it trains: the map follows the run, nothing breaks
    button(page, K.PLAY).click()
    board_el(page).locator('[data-node="4"]').hover()
    expect(overlay).to_have_attribute("data-shows", "4")
    before = number(page, "Epoch")
    wait_until(lambda: number(page, "Epoch") > before + 10, what="training goes on under the pointer")
    expect(overlay).to_have_attribute("data-shows", "4")
    pause(page)
    no_exception(page)


def spec(page: Page) -> dict:
    """What the diagram was drawn from (node ids per layer, labels, activations)."""
    return json.loads(board_el(page).locator('svg[data-net="a"]').get_attribute("data-spec"))


def test_a_click_on_an_input_square_switches_that_feature(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url)
    square = board_el(page).locator('[data-node="xSquared"]')
    expect(square).to_have_attribute("data-off", "1")
    assert spec(page)["ids"][0] == ["x", "y"]
    square.click()
    expect(by_key(page, K.feature("xSquared")).get_by_role("checkbox")).to_be_checked(timeout=30_000)
    wait_idle(page)
    assert spec(page)["ids"][0] == ["x", "y", "xSquared"]
    assert "playground_f_xSquared=true" in page.url
    expect(board_el(page).locator('[data-node="xSquared"]')).not_to_have_attribute("data-off", "1")
    board_el(page).locator('[data-node="x"]').click()  # and off again, for a feature that was on
    expect(by_key(page, K.feature("x")).get_by_role("checkbox")).not_to_be_checked(timeout=30_000)
    wait_idle(page)
    assert spec(page)["ids"][0] == ["y", "xSquared"]
    assert "playground_f_x=false" in page.url
    assert exported(page).config.features == ("y", "xSquared")  # the run's network has these inputs
    no_exception(page)


def click_link(page: Page, k: int) -> None:
    """A real click on the middle of link ``k`` (frame order) of network A."""
    hit = board_el(page).locator(f'[data-hits="a"] [data-hit="{k}"]')
    hit.scroll_into_view_if_needed()
    x, y = hit.evaluate("""p => { const m = p.getPointAtLength(p.getTotalLength() / 2);
        const q = new DOMPoint(m.x, m.y).matrixTransform(p.getScreenCTM()); return [q.x, q.y]; }""")
    page.mouse.click(x, y)


def edit(page: Page, value: str) -> None:
    editor = board_el(page).locator(".pg-edit")
    expect(editor).to_be_visible()
    editor.locator("input").fill(value)
    editor.get_by_role("button", name="Apply").click()
    expect(editor).to_have_count(0)


def test_editing_a_weight_and_a_bias_in_the_diagram_changes_the_run(page: Page, app_server: AppServer) -> None:
    open_playground(page, app_server.url)
    note = board_el(page).locator('[data-slot="edit"]')
    click_link(page, 0)  # X1 -> neuron 1
    expect(board_el(page).locator(".pg-edit-title")).to_have_text("Weight Input X₁ → Neuron 1 (layer 1)")
    edit(page, "2.5")
    expect(note).to_contain_text("set to 2.5", timeout=30_000)
    board_el(page).locator('[data-node="5"]').click()
    expect(board_el(page).locator(".pg-edit-title")).to_have_text("Bias of Neuron 5 (layer 2)")
    edit(page, "-0.5")
    expect(note).to_contain_text("Bias of neuron 5 set to -0.5", timeout=30_000)
    wait_idle(page)
    weights = exported(page).weights()
    assert weights["links"][("x", "1")] == 2.5 and weights["biases"]["5"] == -0.5
    for bad, why in (("abc", "is not a number"), ("1e9", "too large"), ("nan", "finite number")):
        click_link(page, 0)
        edit(page, bad)
        expect(note).to_contain_text(why, timeout=30_000)
    wait_idle(page)
    assert exported(page).weights()["links"][("x", "1")] == 2.5  # refused: unchanged
    # the run continues from the edited network
    button(page, K.STEP).click()
    wait_until(lambda: number(page, "Epoch") > 0, what="a step trains")
    wait_idle(page)
    after = exported(page)
    assert after.epoch > 0 and after.weights()["links"][("x", "1")] != 2.5
    # editing while it trains: applied to the run the worker trains
    button(page, K.PLAY).click()
    wait_until(lambda: number(page, "Epoch") > after.epoch + 10, what="it trains")
    click_link(page, 0)
    edit(page, "-3")
    expect(note).to_contain_text("set to -3", timeout=30_000)
    before = number(page, "Epoch")
    wait_until(lambda: number(page, "Epoch") > before + 10, what="training goes on after the edit")
    pause(page)
    assert exported(page).weights()["links"][("x", "1")] < -1.5  # from -3, not from where it was (about 2.5)
    # Reset starts a new run with the same settings: the old run's edit message goes with it
    button(page, K.RESET).click()
    expect(note).to_have_text("", timeout=30_000)
    no_exception(page)


def test_on_a_phone_the_output_map_and_play_come_first_and_a_tap_shows_a_neuron(browser: Browser,
                                                                              app_server: AppServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_playground(page, app_server.url)
        out = part(page, "output").locator('image[data-href="out"]')
        expect(out).to_have_attribute("href", PNG)
        box, play = out.bounding_box(), button(page, K.PLAY).bounding_box()
        assert box is not None and play is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box  # the whole map on the first screen
        assert play["y"] + play["height"] <= 844 and box["width"] > 250
        assert by_key(page, K.DATA_BOX).bounding_box()["y"] > box["y"] + box["height"]  # the settings follow
        button(page, K.PLAY).tap()
        wait_until(lambda: number(page, "Epoch") > 10, what="it trains after a tap on Play")
        node = board_el(page).locator('[data-node="2"]')
        node.tap()
        overlay = board_el(page).locator('[data-hover-map="a"]')
        expect(overlay).to_have_attribute("data-shows", "2")
        panel = board_el(page).locator(".pg-float")
        expect(panel).to_be_visible()  # the map is above the network, off the screen: a panel shows it too
        expect(panel).to_contain_text("Neuron 2 (layer 1)")
        expect(board_el(page).locator(".pg-edit-title")).to_have_text("Bias of Neuron 2 (layer 1)")
        page.get_by_role("heading", name="Decision boundaries").tap()  # a tap elsewhere lets go
        expect(overlay).to_be_hidden()
        expect(panel).to_be_hidden()
        expect(board_el(page).locator(".pg-edit")).to_have_count(0)
        no_exception(page)
    finally:
        context.close()
