"""End-to-end scenarios on the draw-a-digit page, in a real Chromium.

Each test opens its own browser context (so its own Streamlit session) on the
module's server and ends with the "no exception on the page" check.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from app.digits import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import (
    by_key,
    canvas,
    check_pause_then_step,
    clear_canvas,
    draw,
    first_guess,
    no_exception,
    open_digit_page,
    open_digit_page_direct,
    read_number,
    wait_idle,
)

GUESS_TIMEOUT = 30_000
"""Milliseconds from pointer-up to an updated guess, with room for a busy machine."""
ONE = [[(140, 50), (140, 230)]]
ZERO = [[(140 + 55 * math.cos(2 * math.pi * i / 24), 140 + 85 * math.sin(2 * math.pi * i / 24)) for i in range(25)]]


def draw_a_one(page: Page, settle: bool = False) -> None:
    """Draw the 1 and wait until it is guessed (``settle``: and until the run has drawn every view)."""
    draw(page, ONE)
    expect(first_guess(page)).to_have_text("1", timeout=GUESS_TIMEOUT)
    if settle:
        wait_idle(page)


def test_draw_one(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    draw_a_one(page)
    no_exception(page)



# A fresh server's first visit, straight to the deep link: with a `pages/` folder next to the
# entry script, Streamlit ran that first run in its legacy multipage mode and covered the
# page with a "Page not found" dialog whose backdrop swallowed every stroke (the entry script
# is in app/entry/, away from pages/, for that reason; tests/test_layout.py guards it).
@pytest.mark.parametrize("query", ["", "digits_pen_width=20"], ids=["plain", "with-query"])
def test_deep_link_draws_and_guesses(page: Page, fresh_app_server: AppServer, query: str) -> None:
    open_digit_page_direct(page, fresh_app_server.url, query)
    expect(page.locator('[data-testid="stDialog"]'), "a dialog covers the page").to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile("Draw a digit"))).to_be_visible()
    draw_a_one(page)
    no_exception(page)


def test_clear_then_draw_zero(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    guesses = by_key(page, K.DIGITS_GUESS_BOX)
    draw_a_one(page)

    clear_canvas(page)
    expect(guesses).to_contain_text("Draw a digit", timeout=GUESS_TIMEOUT)
    expect(first_guess(page)).to_have_count(0)

    draw(page, ZERO)
    expect(first_guess(page)).to_have_text("0", timeout=GUESS_TIMEOUT)

    clear_canvas(page)
    expect(guesses).to_contain_text("Draw a digit", timeout=GUESS_TIMEOUT)
    no_exception(page)


def test_toggle_layer(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    draw_a_one(page, settle=True)
    chart = by_key(page, "digits_layer_conv1")
    layers = by_key(page, K.DIGITS_LAYERS_BOX)
    toggle = by_key(page, K.DIGITS_LAYER_TOGGLE.format(layer="conv1")).get_by_text("Convolution 1")
    expect(chart).to_have_count(1)
    expect(layers).to_contain_text("Showing 8 of 8 layers")

    toggle.click()
    wait_idle(page)
    expect(chart).to_have_count(0)
    expect(layers).to_contain_text("Showing 7 of 8 layers")

    toggle.click()
    wait_idle(page)
    expect(chart).to_have_count(1)
    expect(layers).to_contain_text("Showing 8 of 8 layers")
    no_exception(page)


def test_hovering_a_layer_reads_the_cell_under_the_mouse(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    draw_a_one(page, settle=True)
    conv1 = by_key(page, "digits_layer_conv1")
    picture = conv1.locator("canvas")
    picture.scroll_into_view_if_needed()
    expect(picture).to_have_attribute("data-drawn", "true")
    expect(picture).to_have_attribute("width", str(8 * 29 - 1))  # 8 maps of 28 a row, 1-pixel gaps
    box = picture.bounding_box()
    scale = box["width"] / (8 * 29 - 1)
    # Map 9 is the second row's second map; its row 5, column 7 is at native pixel (29 + 7, 29 + 5).
    page.mouse.move(box["x"] + (29 + 7 + 0.5) * scale, box["y"] + (29 + 5 + 0.5) * scale)
    expect(conv1.locator(".dl-tip")).to_have_text(re.compile(r"^map 9, row 5, col 7: activation -?[\d.e+-]+$"))
    output = by_key(page, "digits_layer_output").locator("canvas")
    output.scroll_into_view_if_needed()
    out = output.bounding_box()
    page.mouse.move(out["x"] + 49 + 20, out["y"] + 20)  # digit 1's cell (46 pixels and a 3-pixel gap a digit)
    expect(by_key(page, "digits_layer_output").locator(".dl-tip")).to_have_text(
        re.compile(r"^digit 1: probability \d+\.\d%$"))
    page.mouse.move(box["x"] - 30, box["y"] - 30)
    no_exception(page)


def test_play_pause_step_and_finish_training(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    page.get_by_role("tab", name=re.compile("Train your own")).click()
    box = by_key(page, K.DIGITS_TRAIN_BOX)
    button = {key: by_key(page, key).get_by_role("button") for key in (
        K.DIGITS_TRAIN_PLAY, K.DIGITS_TRAIN_PAUSE, K.DIGITS_TRAIN_STEP, K.DIGITS_TRAIN_RESET, K.DIGITS_TRAIN_FINISH)}
    batches = box.locator('[data-testid="stMetric"]').filter(has_text="Batches trained").locator(
        '[data-testid="stMetricValue"]')
    button[K.DIGITS_TRAIN_PLAY].click()

    # While playing, a fragment reruns every 0.1 s: wait on what is shown, not on idleness. (.first: while a
    # rerun replaces the progress, the outgoing copy can briefly still be in the page.)
    expect(box.get_by_text(re.compile(r"Epoch \d+ of \d+")).first).to_be_visible(timeout=60_000)
    expect(batches).not_to_have_text("0", timeout=60_000)
    check_pause_then_step(page, lambda: read_number(batches), button[K.DIGITS_TRAIN_PLAY],
                          button[K.DIGITS_TRAIN_PAUSE], button[K.DIGITS_TRAIN_STEP])
    button[K.DIGITS_TRAIN_FINISH].click()
    # Adopted (checked now) or, after so few batches on a slow machine, not yet better than chance.
    expect(box.get_by_text(re.compile(r"Stopped by the user|Stopped after")).first).to_be_visible(timeout=60_000)
    expect(box.get_by_text(re.compile(r"checked now|near chance")).first).to_be_visible(timeout=60_000)
    button[K.DIGITS_TRAIN_RESET].click()
    expect(box.get_by_text("Set the hyperparameters and press Play")).to_be_visible(timeout=30_000)
    wait_idle(page)
    no_exception(page)


def _seven_png(path: Path) -> Path:
    """A thick black "7" on white paper, like a photo of a drawn digit."""
    image = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(image)
    pen.line([(80, 60), (200, 60), (120, 230)], fill=0, width=20, joint="curve")
    image.save(path)
    return path


def test_upload_picture(page: Page, app_server: AppServer, tmp_path: Path) -> None:
    open_digit_page(page, app_server.url)
    by_key(page, K.DIGITS_SOURCE).get_by_text("Upload a picture").click()
    wait_idle(page)
    upload = by_key(page, K.DIGITS_UPLOAD).locator('input[type="file"]')

    upload.set_input_files(_seven_png(tmp_path / "seven.png"))
    expect(first_guess(page)).to_have_text("7", timeout=GUESS_TIMEOUT)

    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image")
    upload.set_input_files(fake)
    expect(page.get_by_role("alert").filter(has_text="not an image")).to_be_visible(timeout=GUESS_TIMEOUT)
    expect(first_guess(page)).to_have_count(0)
    no_exception(page)


def test_touch_tap_draws_a_dot_and_gets_a_warning(browser, app_server: AppServer) -> None:
    """A finger tap is a pointer event too: it draws a dot, which the page calls too small to read."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, has_touch=True)
    try:
        page = context.new_page()
        open_digit_page(page, app_server.url)
        box = by_key(page, "digits_canvas").locator("canvas").first.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(by_key(page, K.DIGITS_GUESS_BOX)).to_contain_text("very small mark", timeout=GUESS_TIMEOUT)
        no_exception(page)
    finally:
        context.close()


def test_drawing_survives_switching_input_source(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    draw_a_one(page)
    source = by_key(page, K.DIGITS_SOURCE)
    source.get_by_text("Example digit").click()
    wait_idle(page)
    source.get_by_text("Draw", exact=True).click()
    wait_idle(page)
    # The canvas comes back with the stroke, and the guess is still about it.
    expect(first_guess(page)).to_have_text("1", timeout=GUESS_TIMEOUT)
    clear_canvas(page)
    expect(by_key(page, K.DIGITS_GUESS_BOX)).to_contain_text("Draw a digit", timeout=GUESS_TIMEOUT)
    no_exception(page)


def test_click_a_unit_to_inspect_it(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    draw_a_one(page)
    page.get_by_role("tab", name=re.compile("Inspect a unit")).click()
    wait_idle(page)
    chart = by_key(page, "digits_unit_picker_conv1")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=GUESS_TIMEOUT)
    chart.scroll_into_view_if_needed()
    wait_idle(page)
    # Click where the picker is once it has stopped moving (a CI run clicked map 1: the chart had moved
    # between reading its box and the click).
    box = chart.bounding_box()
    for _ in range(20):
        page.wait_for_timeout(100)
        settled, box = box, chart.bounding_box()
        if settled == box:
            break
    # Conv 1 tiles 32 maps of 28x28, 8 to a row, 3 px a cell, after a 20 px margin:
    # map 11 is the 4th map of the 2nd row.
    cell = 3
    page.mouse.click(box["x"] + 20 + (3 * 29 + 14) * cell, box["y"] + 20 + (29 + 10) * cell)
    expect(by_key(page, f"{K.DIGITS_UNIT_CHANNEL}_conv1").locator("input")).to_have_value("11", timeout=GUESS_TIMEOUT)
    expect(by_key(page, K.DIGITS_UNIT_BOX)).to_contain_text("ReLU", timeout=GUESS_TIMEOUT)
    no_exception(page)


def test_home_page_links_to_the_playground(page: Page, app_server: AppServer) -> None:
    page.goto(app_server.url + "/")
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile("ML Playground"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Open the digit playground")).click()
    wait_idle(page)
    expect(by_key(page, "digits_canvas").locator("canvas").first).to_be_visible(timeout=30_000)
    no_exception(page)


# Several sessions on one server: each keeps its own run, model and guesses.

TRAIN_TIMEOUT = 180_000
"""Sessions share two CPU cores: allow for slow training."""


def _train_tab(page) -> None:
    page.get_by_role("tab", name=re.compile("Train your own")).click()
    expect(by_key(page, K.DIGITS_TRAIN_PLAY).get_by_role("button")).to_be_visible(timeout=30_000)


def _play(page) -> None:
    _train_tab(page)
    by_key(page, K.DIGITS_TRAIN_PLAY).get_by_role("button").click()
    # .first: while a rerun replaces the progress, the outgoing copy can briefly still be in the page (seen once in
    # CI: two "Epoch 2 of 2" at the same moment).
    expect(by_key(page, K.DIGITS_TRAIN_BOX).get_by_text(re.compile(r"Epoch \d+ of \d+")).first).to_be_visible(
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
        # The buttons are drawn before the progress below them: let the paused run finish drawing.
        wait_idle(trainer)
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
        open_digit_page(first, app_server.url)
        open_digit_page_direct(second, app_server.url, f"{K.DIGITS_TRAIN_EPOCHS}=2")  # a shared link's settings
        _play(first)
        _play(second)

        # The first session finishes early once an epoch is done; the second trains to the end.
        done = by_key(first, K.DIGITS_TRAIN_BOX).locator('[data-testid="stMetric"]').filter(has_text="Epochs done")
        expect(done.locator('[data-testid="stMetricValue"]')).not_to_have_text("0", timeout=TRAIN_TIMEOUT)
        by_key(first, K.DIGITS_TRAIN_FINISH).get_by_role("button").click()
        expect(by_key(first, K.DIGITS_TRAIN_BOX).get_by_text("Stopped by the user").first).to_be_visible(
            timeout=60_000)
        expect(by_key(second, K.DIGITS_TRAIN_BOX).get_by_text(re.compile("Finished 2 epochs"))).to_be_visible(
            timeout=TRAIN_TIMEOUT)

        # Each sees its own outcome only.
        expect(by_key(first, K.DIGITS_TRAIN_BOX)).not_to_contain_text("Finished 2 epochs")
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


def test_closing_a_training_tab_frees_its_slot(browser: Browser, app_server: AppServer) -> None:
    trainer_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watcher_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        trainer = trainer_context.new_page()
        open_digit_page(trainer, app_server.url)
        _play(trainer)
        expect(by_key(trainer, K.DIGITS_TRAIN_BOX).locator('[data-testid="stMetric"]').filter(
            has_text="Batches trained").locator('[data-testid="stMetricValue"]')).not_to_have_text("0", timeout=60_000)
        watcher = watcher_context.new_page()
        open_digit_page(watcher, app_server.url)
        sidebar = watcher.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_contain_text(re.compile(r"Training on this server: 1 run on \d+ training process"))
        trainer_context.close()  # mid-run, without pausing

        # A run whose page stopped asking is paused after a few seconds; a reload shows the count again.
        for _ in range(15):
            watcher.reload()
            wait_idle(watcher)
            if re.search(r"Training on this server: 0 runs", sidebar.inner_text()):
                break
            watcher.wait_for_timeout(1000)
        expect(sidebar).to_contain_text(re.compile(r"Training on this server: 0 runs on \d+ training process"))
        no_exception(watcher)
    finally:
        for context in (trainer_context, watcher_context):
            context.close()


# Shareable links: the settings a student or an instructor would share live in the URL. A link
# opened in a fresh browser context (a new session) shows them again, clicking changes the URL,
# and a tampered link shows the defaults, never an exception.

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
    # A loaded machine has shown the page some seconds before its input source control.
    expect(selected_segment(page, K.DIGITS_SOURCE)).to_have_text("Example digit", timeout=30_000)
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
        expect(by_key(other, K.DIGITS_UNIT_BOX)).to_contain_text("Unit", timeout=GUESS_TIMEOUT)  # drawn after the guess
        open_tab(other, "Layers")
        expect(selected_segment(other, K.DIGITS_COLOR_RANGE)).to_have_text("per layer")
        expect(toggle_input(other, K.DIGITS_LAYER_TOGGLE.format(layer="pool2"))).not_to_be_checked()
        expect(by_key(other, "digits_layer_pool2")).to_have_count(0)
        no_exception(other)
    finally:
        context.close()
    no_exception(page)


def test_drawing_keeps_every_setting_of_a_link_and_reruns_only_the_drawing(page: Page, app_server: AppServer) -> None:
    """A stroke reruns the drawing's fragment alone: what it does not draw (the Train tab's settings, the layer
    toggles, the pen) keeps its place in the URL, and the views it does draw follow each stroke."""
    link = {K.DIGITS_TRAIN_EPOCHS: "3", K.DIGITS_TRAIN_LR: "0.001", K.DIGITS_TRAIN_SPEED: "fast",
            K.DIGITS_LAYER_TOGGLE.format(layer="fc1"): "false", K.DIGITS_PEN: "22"}
    open_link(page, app_server.url, link)
    expect(canvas(page)).to_be_visible(timeout=30_000)
    for digit, strokes in (("1", ONE), ("0", ZERO), ("1", ONE)):
        clear_canvas(page)
        wait_idle(page)
        draw(page, strokes)
        expect(first_guess(page)).to_have_text(digit, timeout=GUESS_TIMEOUT)
        wait_idle(page)
        expect(by_key(page, K.DIGITS_LAYERS_BOX)).to_contain_text("Showing 7 of 8 layers")
        assert url_query(page) == link
    open_tab(page, "Train your own")
    slider = by_key(page, K.DIGITS_TRAIN_EPOCHS).get_by_role("slider")
    expect(slider).to_have_attribute("aria-valuetext", "3", timeout=30_000)
    expect(by_key(page, K.DIGITS_TRAIN_SPEED).get_by_role("slider")).to_have_attribute("aria-valuetext", "fast")
    open_tab(page, "Layers")
    expect(first_guess(page)).to_have_text("1")  # the drawing and its guess outlive the tab switches
    expect(by_key(page, "digits_layer_fc1")).to_have_count(0)
    assert url_query(page) == link
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
    draw_a_one(page, settle=True)
    expect(toggle_input(page, K.DIGITS_LAYER_TOGGLE.format(layer="fc1"))).to_be_checked()
    query = url_query(page)
    assert not any(len(value) > 40 for value in query.values()), query  # the junk is gone from the URL
    assert not {K.DIGITS_SOURCE, K.DIGITS_PEN, K.DIGITS_TAB, K.DIGITS_COLOR_RANGE} & set(query), query
    no_exception(page)


SEVEN = [[(70, 50), (210, 50), (140, 235)]]
SEVEN_BAR = [[(50, 50), (185, 50)]]
"""An eraser stroke along the 7's bar (the eraser is twice the pen's width): what is left is the stem, a 1."""


def pick_tool(page: Page, tool: str, tap: bool = False) -> None:
    """Press the canvas' Pen or Eraser switch (by touch when ``tap``) and check it shows as chosen."""
    button = by_key(page, K.DIGITS_CANVAS).get_by_role("radio", name=re.compile(tool))
    if tap:
        button.tap()
    else:
        button.click()
    expect(button).to_have_attribute("aria-checked", "true")


def test_eraser_removes_ink_and_changes_the_guess(page: Page, app_server: AppServer) -> None:
    open_digit_page(page, app_server.url)
    draw(page, SEVEN)
    expect(first_guess(page)).to_have_text("7", timeout=GUESS_TIMEOUT)
    ink = by_key(page, K.DIGITS_CANVAS).locator("canvas").first
    lit = "(c) => { const d = c.getContext('2d').getImageData(0, 0, 280, 280).data; let n = 0;" \
          " for (let i = 0; i < d.length; i += 4) n += d[i] > 127; return n; }"
    before = ink.evaluate(lit)
    pick_tool(page, "Eraser")
    expect(by_key(page, K.DIGITS_CANVAS)).to_contain_text("eraser")
    draw(page, SEVEN_BAR)
    expect(first_guess(page)).to_have_text("1", timeout=GUESS_TIMEOUT)
    assert ink.evaluate(lit) < 0.8 * before, "the eraser stroke left the ink on the canvas"
    # Pen again: a stroke draws ink, and Undo takes the eraser stroke back (the 7 returns).
    pick_tool(page, "Pen")
    by_key(page, K.DIGITS_CANVAS).locator("button.undo").click()
    expect(first_guess(page)).to_have_text("7", timeout=GUESS_TIMEOUT)
    no_exception(page)


def test_eraser_on_an_empty_canvas_by_touch_is_harmless(browser, app_server: AppServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        open_digit_page_direct(page, app_server.url)
        pick_tool(page, "Eraser", tap=True)
        surface = canvas(page)
        surface.scroll_into_view_if_needed()
        box = surface.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(by_key(page, K.DIGITS_CANVAS)).to_contain_text("nothing to erase yet")
        wait_idle(page)
        expect(by_key(page, K.DIGITS_GUESS_BOX)).to_contain_text("Draw a digit")
        expect(first_guess(page)).to_have_count(0)
        no_exception(page)
    finally:
        context.close()


def _example_features(digit: int):
    """The engine's features of the page's first validation example of ``digit`` (what the page shows)."""
    import numpy as np

    from engine.digits import load_pretrained, preprocess_steps
    from engine.digits.data import load_training_digits

    data = load_training_digits(val_fraction=0.1, seed=0)
    image = (data.x_val[np.flatnonzero(data.y_val == digit)[0]] * 255).astype(np.uint8)
    model = load_pretrained()
    return model, model.forward_features(preprocess_steps(image).centred)


def test_watching_a_convolution_shows_the_engines_pre_activations(page: Page, app_server: AppServer) -> None:
    from engine.digits.explain import explain_unit

    open_link(page, app_server.url, {K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: "4",
                                     K.DIGITS_TAB: "Inspect a unit", K.DIGITS_UNIT_LAYER: "conv1"})
    watch = by_key(page, "digits_conv_watch")
    root = watch.locator(".cw")
    expect(root).to_have_attribute("data-ready", "true", timeout=GUESS_TIMEOUT)
    channel = int(re.search(r"Filter (\d+) of Convolution 1", root.locator(".cw-title").inner_text()).group(1))
    model, features = _example_features(4)
    total = root.locator(".cw-sum")

    def shown() -> tuple[int, int, float]:
        return (int(total.get_attribute("data-row")), int(total.get_attribute("data-col")),
                float(total.get_attribute("data-z")))

    def check(row: int, col: int) -> None:
        r, c, z = shown()
        assert (r, c) == (row, col)
        engine = explain_unit(model, features, "conv1", (channel, row, col)).pre_activation
        assert abs(z - engine) <= 1e-4 * max(1.0, abs(engine)), (row, col, z, engine)
        assert re.search(rf"\(row {row}, col {col}\)", total.inner_text())

    root.locator(".cw-reset").scroll_into_view_if_needed()
    check(0, 0)
    for _ in range(30):  # one Step a position, row by row: the 31st position is row 1, column 2
        root.locator(".cw-step").click()
    check(1, 2)
    root.locator(".cw-back").click()
    check(1, 1)
    out = root.locator(".cw-out")
    box = out.bounding_box()
    cell = box["width"] / 28
    out.click(position={"x": (13 + 0.5) * cell, "y": (14 + 0.5) * cell})  # the middle of the digit
    check(14, 13)
    assert shown()[2] != 0.0
    # Pointing (a mouse over a cell) shows that position's sum until the mouse leaves the map.
    page.mouse.move(box["x"] + (10 + 0.5) * cell, box["y"] + (20 + 0.5) * cell)
    expect(total).to_have_attribute("data-row", "20")
    check(20, 10)
    expect(total).to_contain_text("pointing at")
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    expect(total).to_have_attribute("data-preview", "false")
    check(14, 13)
    root.locator(".cw-play").click()
    expect(root.locator(".cw-pause")).to_be_enabled()
    page.wait_for_timeout(600)
    root.locator(".cw-pause").click()
    expect(root.locator(".cw-play")).to_be_enabled()
    r, c, _ = shown()
    assert r * 28 + c > 14 * 28 + 13, "Play did not move the filter"
    check(r, c)
    page.wait_for_timeout(500)
    assert shown()[:2] == (r, c), "Pause did not stop it"
    no_exception(page)


def test_every_layer_picture_has_a_legend_with_its_colour_range(page: Page, app_server: AppServer) -> None:
    import numpy as np

    from app.figures import value_range

    open_link(page, app_server.url, {K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: "4"})
    expect(first_guess(page)).to_have_text("4", timeout=GUESS_TIMEOUT)
    _, features = _example_features(4)
    for name in ("input", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "output"):
        legend = by_key(page, f"digits_layer_{name}").locator(".dl-legend")
        expect(legend).to_be_visible()
        expect(legend.locator(".dl-low")).to_have_text(re.compile(r"^-?[\d.e+-]+$"))
        expect(legend.locator(".dl-high")).to_have_text(re.compile(r"^-?[\d.e+-]+$"))
        expect(legend.locator(".dl-bar")).to_have_attribute("style", re.compile("linear-gradient"))
    # Per map (the default): conv1's bar spans map 0's own min and max, and follows the map under the mouse.
    conv1 = by_key(page, "digits_layer_conv1")
    legend = conv1.locator(".dl-legend")
    maps = features["conv1"]

    def ends(m: int) -> tuple[float, float]:  # the map's min and max (a constant map spans one unit above it)
        return pytest.approx(value_range(maps[m].min(), maps[m].max()), rel=1e-6, abs=1e-7)

    assert (float(legend.get_attribute("data-low")), float(legend.get_attribute("data-high"))) == ends(0)
    picture = conv1.locator("canvas.dl-canvas")
    picture.scroll_into_view_if_needed()
    box = picture.bounding_box()
    scale = box["width"] / (8 * 29 - 1)
    page.mouse.move(box["x"] + (29 + 14 + 0.5) * scale, box["y"] + (29 + 14 + 0.5) * scale)  # map 9
    expect(legend).to_have_attribute("data-map", "9")
    assert (float(legend.get_attribute("data-low")), float(legend.get_attribute("data-high"))) == ends(9)
    expect(legend.locator(".dl-note")).to_contain_text("map 9")
    # A dense layer: one bar, the layer's own range.
    fc1 = by_key(page, "digits_layer_fc1").locator(".dl-legend")
    assert fc1.get_attribute("data-map") == "-1"
    assert (float(fc1.get_attribute("data-low")), float(fc1.get_attribute("data-high"))) == pytest.approx(
        value_range(np.min(features["fc1"]), np.max(features["fc1"])), rel=1e-6, abs=1e-7)
    no_exception(page)


# ---- Network view (issue 14, Harley's 2-D view): pointing at a unit is answered in the browser ----

def _input_support(layer: str, row: int, col: int, k: int = 5) -> str:
    """The unit's receptive field on the 28×28 input, as ``"r0,r1,c0,c1"``: the pixels with a path to it, found
    by torch's autograd through all-ones filters and average pools (a purely structural dependence)."""
    import torch
    import torch.nn.functional as F

    x = torch.zeros(1, 1, 28, 28, requires_grad=True)
    ones = torch.ones(1, 1, k, k)
    h = F.conv2d(x, ones, padding=k // 2)
    for step in ("pool1", "conv2", "pool2")[:("conv1", "pool1", "conv2", "pool2").index(layer)]:
        h = F.avg_pool2d(h, 2) if step.startswith("pool") else F.conv2d(h, ones, padding=k // 2)
    h[0, 0, row, col].backward()
    rows, cols = x.grad[0, 0].abs().sum(1).nonzero().ravel(), x.grad[0, 0].abs().sum(0).nonzero().ravel()
    return f"{int(rows.min())},{int(rows.max())},{int(cols.min())},{int(cols.max())}"


def _network_view(page: Page):
    root = by_key(page, K.DIGITS_NETWORK_BOX).locator(".nv")
    expect(root).to_have_attribute("data-ready", "true", timeout=GUESS_TIMEOUT)
    root.locator(".nv-stage").scroll_into_view_if_needed()
    return root


def _point_at(page: Page, root, layer: str, index: list[int], tap: bool = False) -> None:
    root.locator(".nv-stage").scroll_into_view_if_needed()
    x, y = root.evaluate(f"(r) => r.nvPoint('{layer}', {index})")
    if tap:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.move(x, y)
    box = root.locator(".nv-box")
    expect(box).to_have_attribute("data-layer", layer)
    expect(box).to_have_attribute("data-index", str(index).replace(" ", ""))


def test_pointing_at_units_in_the_network_view_shows_the_engines_arithmetic(page: Page, app_server: AppServer) -> None:
    from engine.digits.explain import explain_unit

    open_link(page, app_server.url, {K.DIGITS_SOURCE: "Example digit", K.DIGITS_EXAMPLE_CLASS: "4",
                                     K.DIGITS_TAB: "Network view"})
    root = _network_view(page)
    model, features = _example_features(4)
    box = root.locator(".nv-box")
    expect(root.locator(".nv-caption")).to_contain_text("Dense layers show 32 of 256 and 32 of 128 units")

    def check_sum(layer: str, index: tuple[int, ...]) -> None:
        info = explain_unit(model, features, layer, index)
        z = float(box.get_attribute("data-z"))
        assert z == pytest.approx(info.pre_activation, rel=1e-4, abs=1e-4), (layer, index)
        assert f"z = Σ w·x + b = {z:.4f}" in box.inner_text()
        assert float(box.get_attribute("data-a")) == pytest.approx(float(features[layer][index]), rel=1e-4, abs=1e-4)
        shown = [float(w) * float(x) for _, w, x in json.loads(box.get_attribute("data-top"))]
        assert shown == pytest.approx([t[3] for t in info.top_terms[:len(shown)]], rel=1e-4, abs=1e-6)

    # Conv units, one inside the picture and one at its edge: the sum, the window below, the receptive field.
    for layer, (m, r, c), below in (("conv1", (3, 14, 12), "input rows 12-16 cols 10-14"),
                                    ("conv2", (5, 0, 13), "pool1 rows 0-2 cols 11-13 of all 32 maps")):
        _point_at(page, root, layer, [m, r, c])
        check_sum(layer, (m, r, c))
        info = explain_unit(model, features, layer, (m, r, c))
        assert info.inputs.shape[-1] == 5 and below.startswith("input" if layer == "conv1" else "pool1")
        expect(box).to_have_attribute("data-below", below)
        expect(box).to_have_attribute("data-rf", _input_support(layer, r, c))
    # A pooling unit: the largest of its window, and its receptive field.
    _point_at(page, root, "pool2", [7, 3, 2])
    assert float(box.get_attribute("data-a")) == pytest.approx(float(features["pool2"][7, 3, 2]))
    expect(box).to_have_attribute("data-below", "conv2 map 7 rows 6-7 cols 4-5")
    expect(box).to_have_attribute("data-rf", _input_support("pool2", 3, 2))
    # Dense units (a shown one of each subsampled layer) and the output.
    for layer in ("fc1", "fc2"):
        unit = root.evaluate(f"(r) => r.nvShown('{layer}')[5]")
        _point_at(page, root, layer, [unit])
        check_sum(layer, (unit,))
        expect(box).to_have_attribute("data-rf", "0,27,0,27")
    _point_at(page, root, "output", [4])
    assert float(box.get_attribute("data-z")) == pytest.approx(float(features["logits"][4]), rel=1e-4, abs=1e-4)
    assert float(box.get_attribute("data-a")) == pytest.approx(float(features["output"][4]), rel=1e-4, abs=1e-4)
    assert page.evaluate("() => window.__hoverMs.length") >= 6  # each answered in the browser, and timed
    no_exception(page)


def test_the_network_view_follows_each_drawing_and_survives_pointing_during_a_redraw(page: Page,
                                                                                     app_server: AppServer) -> None:
    open_link(page, app_server.url, {K.DIGITS_TAB: "Network view"})
    expect(by_key(page, K.DIGITS_NETWORK_BOX)).to_contain_text("lights up once there is a digit")
    expect(by_key(page, K.DIGITS_NETWORK_BOX).locator(".nv")).to_have_count(0)
    draw_a_one(page)
    root = _network_view(page)
    _point_at(page, root, "output", [1])
    one = float(root.locator(".nv-box").get_attribute("data-a"))
    assert one > 0.5
    draw(page, SEVEN_BAR)  # a second stroke, no Clear: the same view gets the new drawing's numbers
    for unit in range(10):  # pointing while the page redraws
        x, y = root.evaluate(f"(r) => r.nvPoint('output', [{unit}])")
        page.mouse.move(x, y)
    expect(first_guess(page)).to_have_text("7", timeout=GUESS_TIMEOUT)
    wait_idle(page)
    _point_at(page, root, "output", [7])
    assert float(root.locator(".nv-box").get_attribute("data-a")) > 0.5
    _point_at(page, root, "output", [1])
    assert float(root.locator(".nv-box").get_attribute("data-a")) < one
    clear_canvas(page)  # no drawing: the message again, not a view of nothing
    expect(by_key(page, K.DIGITS_NETWORK_BOX)).to_contain_text("lights up once there is a digit", timeout=GUESS_TIMEOUT)
    draw(page, ZERO)
    expect(first_guess(page)).to_have_text("0", timeout=GUESS_TIMEOUT)
    root = _network_view(page)
    _point_at(page, root, "output", [0])
    assert float(root.locator(".nv-box").get_attribute("data-a")) > 0.5
    no_exception(page)


def test_on_a_phone_the_canvas_and_guess_come_first_and_a_tap_inspects_a_unit(browser, app_server: AppServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        open_digit_page_direct(page, app_server.url, "digits_tab=Network+view")
        surface = canvas(page).bounding_box()
        assert surface["y"] + surface["height"] < 844, "the canvas is not on the phone's first screen"
        guesses = by_key(page, K.DIGITS_GUESS_BOX).bounding_box()
        assert guesses["y"] < 844 and guesses["y"] > surface["y"], "the guess does not follow the canvas"
        source = by_key(page, K.DIGITS_SOURCE)
        source.get_by_role("radio", name="Example digit").tap()
        expect(first_guess(page)).to_have_text(re.compile(r"^\d$"), timeout=GUESS_TIMEOUT)
        assert first_guess(page).bounding_box()["y"] < 844
        root = _network_view(page)
        _point_at(page, root, "conv1", [2, 10, 9], tap=True)
        page.set_viewport_size({"width": 844, "height": 390})  # the phone rotated
        _point_at(page, root, "fc2", [root.evaluate("(r) => r.nvShown('fc2')[3]")], tap=True)
        page.set_viewport_size({"width": 390, "height": 844})
        _point_at(page, root, "output", [2], tap=True)
        no_exception(page)
    finally:
        context.close()


def test_projector_mode_keeps_the_canvas_and_guess_and_hides_the_input_settings(page: Page,
                                                                                app_server: AppServer) -> None:
    open_link(page, app_server.url, {"projector": "1", "digits_pen_width": "24"})
    expect(page.locator("html")).to_have_css("font-size", "20.8px", timeout=30_000)  # 130 % of 16 px
    for key in (K.DIGITS_SOURCE, K.DIGITS_PEN, K.DIGITS_NAIVE):
        expect(by_key(page, key)).to_be_hidden()
    draw_a_one(page)  # the canvas still draws and the guess still answers
    assert url_query(page).get("digits_pen_width") == "24"  # the hidden setting keeps its value
    no_exception(page)
