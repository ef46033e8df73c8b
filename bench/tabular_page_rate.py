"""How often the XGBoost-on-real-data page's curves update while it plays, in a real Chromium.

    python bench/tabular_page_rate.py [--seconds 6] [--speed normal] [--query "tabular_learning_rate=0.02"]

Starts the app on a free loopback port, opens ``/tabular`` (Bank Marketing), presses Play and polls the
"Rounds" figure under the curves every 20 ms: each change is one visual update (the curves and the figure are
drawn in the same fragment run). Reports updates per second, boosting rounds per second and, per update, the
CPU time of the web process, of its training worker, of Chromium (all its processes) and the page's main
thread's busy time.

``--pin`` puts the server (web process and training worker) on core 0 and Chromium on core 1: a student's
browser on a machine of its own, as in a class, instead of the two sharing both cores.

A small learning rate and no early stopping keep the run going for the whole measurement (at the default 0.1
it early-stops after about 100 rounds; at 0.02 with the default patience, after about 4 s of playing, which
once made this bench report the run's end as a slow page). Target (issue 16): at least 5 curve updates a second.
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
from bench.playground_page_rate import browser_cpu_seconds, cpu_seconds, task_seconds  # noqa: E402
from tests.e2e.harness import app_server, launch_chromium  # noqa: E402
from tests.e2e.helpers import by_key, wait_idle  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--speed", default="normal", choices=["slow", "normal", "fast"])
    parser.add_argument("--query", default="tabular_learning_rate=0.02&tabular_n_rounds=2000&tabular_early_stopping=0")
    parser.add_argument("--pin", action="store_true", help="server on core 0, Chromium on core 1")
    args = parser.parse_args(argv)
    with app_server() as server, sync_playwright() as playwright:
        if args.pin:  # the server and the workers it forks later on core 0; this script and Chromium on core 1
            os.sched_setaffinity(server.process.pid, {0})
            os.sched_setaffinity(0, {1})
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{server.url}/tabular?tabular_speed={args.speed}&{args.query}")
        wait_idle(page)
        by_key(page, K.PLAY).get_by_role("button").click()
        figure = by_key(page, "tabular_numbers").locator('[data-testid="stMetricValue"]').first
        figure.wait_for(timeout=120_000)
        page.wait_for_timeout(1500)  # let the first ticks through (the worker builds its DMatrix)
        if args.pin:
            for pid in children(server.process.pid):
                os.sched_setaffinity(pid, {0})
        cpu, workers, bcpu, busy = (cpu_seconds(server.process.pid), children_cpu(server.process.pid),
                                    browser_cpu_seconds(), task_seconds(cdp))
        values, started = [figure.inner_text()], time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            text = figure.inner_text()
            if text != values[-1]:
                values.append(text)
            page.wait_for_timeout(20)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - cpu
        workers = children_cpu(server.process.pid) - workers
        bcpu, busy = browser_cpu_seconds() - bcpu, task_seconds(cdp) - busy
        updates = len(values) - 1
        rounds = int(values[-1].replace(",", "")) - int(values[0].replace(",", ""))
        per = 1000 / max(updates, 1)
        print(f"speed {args.speed}{' (pinned)' if args.pin else ''}: {updates / elapsed:.1f} curve updates/s, "
              f"{rounds / elapsed:.0f} boosting rounds/s over {elapsed:.1f} s; per update: web process "
              f"{cpu * per:.0f} ms CPU, training worker {workers * per:.0f} ms, Chromium {bcpu * per:.0f} ms CPU "
              f"({busy * per:.0f} ms main thread); load average {os.getloadavg()[0]:.1f}")
        browser.close()


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux ``/proc``)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def children_cpu(pid: int) -> float:
    """CPU seconds so far of ``pid``'s descendants (the training workers)."""
    return sum(cpu_seconds(child) for child in children(pid))


if __name__ == "__main__":
    main()
