"""How fast the decision-boundary page answers a hover: pointing at a neuron draws its map large, in Chromium.

    python bench/playground_hover.py [--hovers 50] [--setup default|big|both]

Starts the app on a free loopback port, opens ``/playground`` (the default circle setup, or the big one:
spiral, all 7 features, six layers of 8), presses Play and, while it trains (an update about ten times a
second, each bringing new weights), moves the mouse from node to node ``--hovers`` times, then pauses and
does the same on the paused network. The page's own code (``app/playground/components/board.js``) records, per
hover, the milliseconds from the pointer event (its ``timeStamp``) to the map drawn on the page
(``window.__pgHoverMs``; and from the event's ``timeStamp``, which adds the time the event waited for the
page's main thread, busy drawing live updates: ``window.__pgHoverInputMs``): the computation of every node's
map up to that layer from the current weights when
they are new (100 x 100 points), the colours and the drawing. A hover sends nothing to the server.
Reports p50, p95 and max per setup and state. Target (issue 14): within one animation frame, 16 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import app_server, launch_chromium  # noqa: E402
from tests.e2e.helpers import by_key, wait_idle  # noqa: E402

SETUPS = {
    "default": "",
    "big": "playground_dataset=Spiral&playground_shape=8%2C8%2C8%2C8%2C8%2C8&playground_f_xSquared=true"
           "&playground_f_ySquared=true&playground_f_xTimesY=true&playground_f_sinX=true&playground_f_sinY=true",
}


def hovers(page, n: int) -> list[float]:
    """Move the mouse over ``n`` nodes in turn (later layers cost more: each hover's layer cycles); return the
    page's hover times (ms)."""
    page.evaluate("() => { window.__pgHoverMs = []; window.__pgHoverInputMs = []; }")
    board = by_key(page, "playground_board")
    nodes = board.locator('svg[data-net="a"] [data-ntitles] [data-node]')
    count = nodes.count()
    boxes = [nodes.nth(i).bounding_box() for i in range(count)]
    for k in range(n):
        box = boxes[(k * 7) % count]  # a stride through the layers
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=2)
        page.wait_for_timeout(60)  # let an update arrive now and then (they come every ~0.1 s while playing)
    page.mouse.move(5, 5)
    return page.evaluate("() => [window.__pgHoverMs, window.__pgHoverInputMs]")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hovers", type=int, default=50)
    parser.add_argument("--setup", default="both", choices=["default", "big", "both"])
    args = parser.parse_args(argv)
    setups = list(SETUPS) if args.setup == "both" else [args.setup]
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for name in setups:
            page.goto(f"{server.url}/playground" + (f"?{SETUPS[name]}" if SETUPS[name] else ""))
            wait_idle(page)
            by_key(page, "playground_play").get_by_role("button").first.click()
            page.wait_for_timeout(2000)
            for state in ("playing", "paused"):
                if state == "paused":
                    by_key(page, "playground_pause").get_by_role("button").first.click()
                    wait_idle(page)
                handler, since_input = (np.array(v) for v in hovers(page, args.hovers))
                if handler.size == 0:
                    print(f"{name} setup, {state}: no hover recorded")
                    continue
                print(f"{name} setup, {state}: {handler.size} hovers, pointer event -> map drawn p50 "
                      f"{np.percentile(handler, 50):.1f} ms, p95 {np.percentile(handler, 95):.1f} ms, max "
                      f"{handler.max():.1f} ms; from the event's timeStamp p50 {np.percentile(since_input, 50):.1f}, "
                      f"p95 {np.percentile(since_input, 95):.1f} ms (load average {os.getloadavg()[0]:.1f})")
        browser.close()


if __name__ == "__main__":
    main()
