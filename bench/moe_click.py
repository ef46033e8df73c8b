"""How fast the MoE page answers a click on its routing map, in a real Chromium (issue 14, "How fast").

    python bench/moe_click.py [--clicks 60] [--preset "Sigmoid + bias"] [--seed 0]

Starts the app, opens ``/moe`` with the preset, presses Step once, then clicks ``--clicks`` random places of
the routing map, first paused and then while the run plays (each live update redraws the element the answer
lives in). The page's code (``app/moe/components/moe_live.js``) computes the router's scores, the choice,
the gates and every chosen expert's answer at the clicked place from the weights the last update brought,
and records for each click the time from its handler's start to the answer drawn (``window.__moeProbeMs``:
the page's own work) and from the event's time stamp (``window.__moeProbeSinceEventMs``: with any wait for
a main thread busy drawing an update). Target: one animation frame, <= 16 ms. No click reaches the server.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import app_server, launch_chromium  # noqa: E402

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP = ".st-key-moe_picture_live .moe-routing figure img"


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values):.2f} ms, p95 {p95:.2f} ms, max {values[-1]:.2f} ms"


def clicks(page, count: int, rng: random.Random) -> tuple[list[float], list[float]]:
    page.evaluate("() => { window.__moeProbeMs = []; window.__moeProbeSinceEventMs = []; }")
    box = page.locator(MAP).bounding_box()  # the map keeps its place while updates redraw it
    for _ in range(count):
        page.mouse.click(box["x"] + rng.uniform(0.05, 0.95) * box["width"],
                         box["y"] + rng.uniform(0.05, 0.95) * box["height"])
        time.sleep(0.05)
    return page.evaluate("() => window.__moeProbeMs"), page.evaluate("() => window.__moeProbeSinceEventMs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=60)
    parser.add_argument("--preset", default="Sigmoid + bias")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{server.url}/moe?moe_preset={quote_plus(args.preset)}&moe_steps=5000")
        page.wait_for_selector(IDLE, timeout=120_000)
        page.wait_for_selector(MAP, timeout=120_000)
        page.locator(".st-key-moe_step button").first.click()
        page.wait_for_selector(IDLE, timeout=120_000)
        page.locator(MAP).scroll_into_view_if_needed()
        results = {"paused": clicks(page, args.clicks, rng)}
        page.locator(".st-key-moe_play button").first.click()
        time.sleep(2)
        results["playing"] = clicks(page, args.clicks, rng)
        step = page.locator(".st-key-moe_picture_live .moe-probe").get_attribute("data-step")
        page.locator(".st-key-moe_pause button").first.click()
        browser.close()
    print(f"preset {args.preset!r}; the last answer was for step {step}")
    for state, (work, since_event) in results.items():
        if len(work) < args.clicks:
            print(f"only {len(work)} of {args.clicks} clicks were answered while {state}")
        print(f"{state}: {len(work)} clicks; handler -> answer drawn: {summary(work[3:])}; "
              f"event time stamp -> answer drawn: {summary(since_event[3:])}")
    print("target: <= 16 ms (one animation frame)")


if __name__ == "__main__":
    main()
