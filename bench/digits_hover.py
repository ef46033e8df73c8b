"""How fast the digit page's network view answers a pointer, in a real Chromium (issue 14, "How fast").

    python bench/digits_hover.py [--hovers 60] [--digit 4] [--seed 0]

Starts the app, opens ``/draw-digit`` on the Network view tab with an example digit, then moves
the mouse onto ``--hovers`` units picked at random from every layer (conv, pooling, dense, output;
each move lands on a different unit). The view's code (``app/digits/components/network_view.js``)
records, for each pointer event that changes the unit, the time from the start of its handler to the
moment the connections are drawn and the box is filled (``window.__hoverMs``: the page's own work),
and the time from the event's own time stamp to that moment (``window.__hoverSinceEventMs``), which
adds the wait Chromium itself puts before a pointer move: it dispatches moves aligned to the next
animation frame. Target: one animation frame, <= 16 ms. None of it reaches the server.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import app_server, launch_chromium  # noqa: E402

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def pick_units(root, count: int, rng: random.Random) -> list[tuple[str, list[int]]]:
    """``count`` (layer, index) pairs, spread over the layers, no two the same in a row."""
    shapes = root.evaluate("(r) => r.__nv.net.shapes")
    shown = {name: root.evaluate(f"(r) => r.nvShown('{name}')") for name in ("fc1", "fc2", "output")}
    units, last = [], None
    while len(units) < count:
        layer = rng.choice(["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "output"])
        if layer in shown:
            index = [rng.choice(shown[layer])]
        else:
            maps, size = shapes[layer][0], shapes[layer][1]
            index = [rng.randrange(maps), rng.randrange(size), rng.randrange(size)]
        if (layer, index) != last:
            units.append((layer, index))
            last = (layer, index)
    return units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hovers", type=int, default=60)
    parser.add_argument("--digit", type=int, default=4, help="which example digit the page shows")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{server.url}/draw-digit?digits_source=Example+digit&digits_example_class={args.digit}"
                  "&digits_tab=Network+view")
        page.wait_for_selector(IDLE, timeout=120_000)
        root = page.locator(".st-key-digits_network .nv")
        page.wait_for_selector(".st-key-digits_network .nv[data-ready=true]", timeout=120_000)
        root.locator(".nv-stage").scroll_into_view_if_needed()
        units = pick_units(root, args.hovers + 5, rng)
        page.evaluate("() => { window.__hoverMs = []; }")
        for layer, index in units:
            x, y = root.evaluate(f"(r) => r.nvPoint('{layer}', {index})")
            page.mouse.move(x, y)
            time.sleep(0.02)  # a hand moves on after a moment; the answer does not wait for it
        times = page.evaluate("() => window.__hoverMs")[5:]  # the first few warm up the JIT
        since_event = page.evaluate("() => window.__hoverSinceEventMs")[5:]
        box = root.locator(".nv-box")
        print(f"last unit: {box.get_attribute('data-layer')} {box.get_attribute('data-index')}, "
              f"z = {float(box.get_attribute('data-z')):.4f}")
        browser.close()
    if not times:
        raise SystemExit("no hover was timed")
    for label, values in (("handler start -> links and box drawn (the page's work)", times),
                          ("event time stamp -> links and box drawn (with Chromium's frame-aligned dispatch)",
                           since_event)):
        values = sorted(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"{len(values)} hovers, {label}: p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, "
              f"max {values[-1]:.1f} ms")
    print("target: <= 16 ms (one animation frame)")

if __name__ == "__main__":
    main()
