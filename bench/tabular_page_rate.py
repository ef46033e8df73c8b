"""How often the XGBoost-on-real-data page's curves update while it plays, in a real Chromium.

    python bench/tabular_page_rate.py [--seconds 6] [--speed normal] [--query "tabular_learning_rate=0.02"]

Starts the app on a free loopback port, opens ``/tabular`` (Bank Marketing), presses Play and polls the
"Rounds" figure under the curves every 20 ms: each change is one visual update (the curves and the figure are
drawn in the same fragment run). Reports updates per second, boosting rounds per second and the server
process's CPU time per update. A small learning rate keeps the run going for the whole measurement (at the
default 0.1 it early-stops after about 100 rounds). Target (issue 16): at least 5 curve updates a second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from app.tabular import keys as K  # noqa: E402
from bench.playground_page_rate import cpu_seconds  # noqa: E402
from tests.e2e.harness import app_server, launch_chromium  # noqa: E402
from tests.e2e.helpers import by_key, wait_idle  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--speed", default="normal", choices=["slow", "normal", "fast"])
    parser.add_argument("--query", default="tabular_learning_rate=0.02&tabular_n_rounds=2000")
    args = parser.parse_args(argv)
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server.url}/tabular?tabular_speed={args.speed}&{args.query}")
        wait_idle(page)
        by_key(page, K.PLAY).get_by_role("button").click()
        figure = by_key(page, "tabular_numbers").locator('[data-testid="stMetricValue"]').first
        figure.wait_for(timeout=120_000)
        page.wait_for_timeout(1500)  # let the first ticks through (the worker builds its DMatrix)
        cpu = cpu_seconds(server.process.pid)
        values, started = [figure.inner_text()], time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            text = figure.inner_text()
            if text != values[-1]:
                values.append(text)
            page.wait_for_timeout(20)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - cpu
        updates = len(values) - 1
        rounds = int(values[-1].replace(",", "")) - int(values[0].replace(",", ""))
        print(f"speed {args.speed}: {updates / elapsed:.1f} curve updates/s, {rounds / elapsed:.0f} boosting "
              f"rounds/s over {elapsed:.1f} s; server {cpu * 1000 / max(updates, 1):.0f} ms CPU per update "
              f"(load average {os.getloadavg()[0]:.1f})")
        browser.close()


if __name__ == "__main__":
    main()
