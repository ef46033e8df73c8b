"""End-to-end: the XGBoost-on-real-data page in Chromium — upload a CSV, pick the target, Play and watch the
curves grow, open SHAP, export the model and predict new rows; a shared link restores the settings;
screenshots on a desktop and a phone.

One server for the module (training in worker processes, as a real server does). Each scenario ends with the
"must not happen" check: no Streamlit exception on the page.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect

from app.tabular import keys as K
from tests.e2e.harness import AppServer
from tests.e2e.helpers import by_key, no_exception, wait_idle

LONG = 60_000
SHOTS = Path(os.environ.get("ML_PLAYGROUND_SHOTS", "/tmp/helpers/shots"))


def shop_csv(path: Path, n: int = 4000) -> Path:
    """A small table whose target (first column) the page would not guess: the user must pick it."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n)
    y = (x + (colour == "red") + rng.normal(scale=0.7, size=n)) > 0.5
    frame = pd.DataFrame({"will_buy": np.where(y, "yes", "no"), "x": x, "colour": colour,
                          "noise": rng.normal(size=n)})
    frame.to_csv(path, index=False)
    return path


def metric(page: Page, label: str):
    box = by_key(page, K.LIVE_BOX).locator('[data-testid="stMetric"]')
    return box.filter(has=page.get_by_text(label, exact=True)).locator('[data-testid="stMetricValue"]')


def rounds(page: Page) -> int:
    text = metric(page, "Rounds").inner_text() if metric(page, "Rounds").count() else "0"
    return int(text.replace(",", "") or 0)


def open_tabular(page: Page, base_url: str, query: str = "") -> None:
    page.goto(f"{base_url}/tabular" + (f"?{query}" if query else ""))
    wait_idle(page)
    expect(by_key(page, K.PLAY).get_by_role("button")).to_be_visible(timeout=LONG)


def choose(page: Page, box, option: str) -> None:
    """Pick ``option`` in the selectbox ``box``."""
    box.locator('[data-testid="stSelectbox"] [role="combobox"]').first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_upload_pick_a_target_play_shap_and_export(page: Page, app_server: AppServer, tmp_path: Path) -> None:
    # Slow speed and a small learning rate: many rounds, a few per screen update, so the curve visibly grows.
    open_tabular(page, app_server.url, "tabular_speed=slow&tabular_learning_rate=0.02")
    by_key(page, K.DATASET).get_by_text("Your CSV").click()
    wait_idle(page)
    by_key(page, K.UPLOAD).locator('input[type="file"]').set_input_files(str(shop_csv(tmp_path / "shop.csv")))
    wait_idle(page)
    summary = by_key(page, K.SPLIT_BOX)
    expect(summary).to_contain_text(re.compile(r"shop\.csv · 4,000 rows · 3 features"), timeout=LONG)
    expect(summary).to_contain_text("· target noise (regression)")  # the guess: the last column
    choose(page, page.locator(f'[class*="st-key-{K.TARGET}_"]'), "will_buy")
    expect(summary).to_contain_text(re.compile(r"· target will_buy \(no \d+%, yes \d+%\)"), timeout=LONG)

    by_key(page, K.PLAY).get_by_role("button").click()
    curve = by_key(page, "tabular_curve_logloss")
    expect(curve.locator("svg polyline").first).to_be_attached(timeout=LONG)
    first = rounds(page)
    expect(metric(page, "Rounds")).not_to_have_text(str(first), timeout=LONG)  # the curve grows
    expect(page.get_by_text(re.compile(r"Early stopping after round \d+|All \d+ rounds trained"))).to_be_visible(
        timeout=LONG)
    expect(by_key(page, K.PLAY).get_by_role("button")).to_be_enabled(timeout=LONG)
    wait_idle(page)
    assert curve.locator("svg line.best-round").count() == 1  # the best round is marked
    no_exception(page)

    page.get_by_role("tab", name="Explain").click()
    wait_idle(page)
    shap = by_key(page, K.SHAP_BOX)
    expect(shap.locator(".js-plotly-plot").first).to_be_visible(timeout=LONG)
    expect(shap).to_contain_text("Why this row?")
    assert "tabular_view=Explain" in page.url
    no_exception(page)

    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    with page.expect_download(timeout=LONG) as download:
        by_key(page, K.EXPORT_MODEL).get_by_role("button").click()
    model = json.loads(Path(download.value.path()).read_text())
    assert "learner" in model and model["learner"]["gradient_booster"]["model"]["trees"]
    with page.expect_download(timeout=LONG) as script:
        by_key(page, K.EXPORT_SCRIPT).get_by_role("button").click()
    text = Path(script.value.path()).read_text()
    assert "TARGET = 'will_buy'" in text and "shop.csv" in text
    no_exception(page)

    # New rows without the target, an id in front: the model's predictions come back as a CSV to download.
    new = pd.read_csv(tmp_path / "shop.csv").drop(columns="will_buy").head(50)
    new.insert(0, "customer", [f"c{i}" for i in range(50)])
    new.to_csv(tmp_path / "next.csv", index=False)
    by_key(page, K.PREDICT_UPLOAD).locator('input[type="file"]').set_input_files(str(tmp_path / "next.csv"))
    wait_idle(page)
    with page.expect_download(timeout=LONG) as predictions:
        by_key(page, K.PREDICT_DOWNLOAD).get_by_role("button").click()
    written = pd.read_csv(predictions.value.path())
    assert list(written.columns) == ["customer", "predicted will_buy", "probability will_buy=yes"]
    assert len(written) == 50 and written["probability will_buy=yes"].between(0, 1).all()
    no_exception(page)


def test_pause_and_reset_stop_the_search_mid_way(page: Page, app_server: AppServer) -> None:
    page.goto(f"{app_server.url}/tabular?tabular_view=Search&tabular_search_trials=100&tabular_n_rounds=60")
    wait_idle(page)
    box = by_key(page, K.SEARCH_BOX)
    expect(box).to_contain_text("Press Play to start the search", timeout=LONG)
    by_key(page, "tabular_search_play").get_by_role("button").click()
    done = page.get_by_text(re.compile(r"([1-9]\d*) trials done of a budget of 100 trials"))
    expect(done).to_be_visible(timeout=LONG)  # trials come in
    by_key(page, "tabular_search_pause").get_by_role("button").click()
    wait_idle(page)
    expect(by_key(page, "tabular_search_play").get_by_role("button")).to_be_enabled(timeout=LONG)
    held = int(re.search(r"(\d+) trials done", box.inner_text()).group(1))
    page.wait_for_timeout(1500)
    assert int(re.search(r"(\d+) trials done", box.inner_text()).group(1)) == held < 100  # paused: no more
    by_key(page, "tabular_search_reset").get_by_role("button").click()
    wait_idle(page)
    expect(box).to_contain_text("Press Play to start the search", timeout=LONG)  # stopped and cleared
    no_exception(page)


def test_a_shared_link_restores_the_settings(page: Page, app_server: AppServer) -> None:
    open_tabular(page, app_server.url, "tabular_max_depth=3&tabular_early_stopping=7")
    thumb = by_key(page, K.setting("max_depth")).get_by_role("slider")
    thumb.focus()
    thumb.press("ArrowLeft")  # 3 -> 2
    wait_idle(page)
    by_key(page, K.UNKNOWN_MISSING).get_by_text("as missing").click()
    wait_idle(page)
    expect(page).to_have_url(re.compile("tabular_max_depth=2"), timeout=LONG)
    link = page.url
    assert "tabular_early_stopping=7" in link and "tabular_unknown_missing=true" in link
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        other.goto(link)
        wait_idle(other)
        expect(by_key(other, K.setting("max_depth")).get_by_role("slider")).to_have_attribute(
            "aria-valuetext", "2", timeout=LONG)
        expect(by_key(other, K.setting("early_stopping")).get_by_role("slider")).to_have_attribute(
            "aria-valuetext", "7")
        expect(other.get_by_text(re.compile(r"\"unknown\" is now missing in 4 columns"))).to_be_visible()
        no_exception(other)
    finally:
        other.context.close()


def test_screenshots_desktop_and_phone(page: Page, app_server: AppServer) -> None:
    """On a phone Play is on the first screen and works by touch; the curve starts on the first screen, above
    the settings column."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("desktop", {"width": 1440, "height": 900}), ("phone", {"width": 390, "height": 844})):
        phone = name == "phone"
        context = page.context.browser.new_context(viewport=size, has_touch=phone, is_mobile=phone)
        shot = context.new_page()
        try:
            open_tabular(shot, app_server.url, "tabular_speed=fast")
            play = by_key(shot, K.PLAY).get_by_role("button")
            if phone:
                assert play.bounding_box()["y"] + play.bounding_box()["height"] <= size["height"]  # first screen
                play.tap()
            else:
                play.click()
            expect(shot.get_by_text(re.compile(r"Early stopping after round"))).to_be_visible(timeout=LONG)
            wait_idle(shot)
            curve = by_key(shot, "tabular_curve_logloss")
            settings = by_key(shot, K.SETTINGS_BOX)
            if phone:
                assert curve.bounding_box()["y"] < settings.bounding_box()["y"]
                shot.evaluate("window.scrollTo(0, 0)")
                assert curve.bounding_box()["y"] < size["height"]  # the curve starts on the first screen
            shot.screenshot(path=str(SHOTS / f"tabular-{name}.png"), full_page=False)
            shot.screenshot(path=str(SHOTS / f"tabular-{name}-full.png"), full_page=True)
            no_exception(shot)
        finally:
            context.close()
