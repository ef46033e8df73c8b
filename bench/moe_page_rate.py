"""How often the mixture-of-experts page updates while it plays, in a real Chromium.

    python bench/moe_page_rate.py [--seconds 6] [--speed normal]

Starts the app on a free loopback port, opens ``/moe`` (default preset), presses
Play and polls the "Step" metric every 20 ms: each change is one visual update.
Reports updates per second and training steps per second, and what each update cost
(less sensitive to a shared machine's load): the server process's CPU time and the
browser's main-thread long tasks (PerformanceObserver) and its processes' CPU time, per update. Then it keeps
polling until the page shows the step from which the default preset's picture is stable (measured beforehand
by training the same seed offline, :func:`bench.moe_speed.settles`: from that step on the routing map, the load
shares and the validation accuracy stay close to their final values) and reports how long after Play that was.
Targets (issue 8): at least 5 updates a second, and a stable picture within 10 s, on this 2-core machine.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.moe_speed import settles  # noqa: E402
from bench.playground_page_rate import cpu_seconds  # noqa: E402
from engine.moe import DEFAULT_PRESET, PRESETS  # noqa: E402
from tests.e2e.harness import app_server, launch_chromium  # noqa: E402
from tests.e2e.helpers import by_key, wait_idle  # noqa: E402

STEP_VALUE = ('.moe-metric[data-label="Step"] .moe-value, '
              '[data-testid="stMetric"]:has-text("Step") [data-testid="stMetricValue"]')
"""The "Step" figure: a card of the figures panel, or (older versions of the page) an ``st.metric``."""


def step_number(text: str) -> int:
    """The "Step" figure as shown ("1,234") as a number."""
    return int(text.replace(",", ""))


def descendants_cpu_seconds(root: int, skip: int) -> float:
    """User + system CPU time so far of every live descendant of process ``root`` except ``skip`` and its
    own descendants: here the browser's processes (renderer, GPU, network), whose work per update long tasks
    only show as main-thread wall time."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            if pid != skip:
                cpu = cpu_seconds(pid)
                total += 0.0 if cpu != cpu else cpu  # a process that ended meanwhile counts nothing
                todo.append(pid)
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--speed", default="normal", choices=["slow", "normal", "fast"])
    args = parser.parse_args(argv)
    stable_step, _ = settles(PRESETS[DEFAULT_PRESET])
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server.url}/moe?moe_speed={args.speed}")
        wait_idle(page)
        step = page.locator(STEP_VALUE).first
        by_key(page, "moe_play").get_by_role("button").click()
        played = time.perf_counter()
        page.wait_for_timeout(1500)  # let the first ticks through
        page.evaluate("() => { window.__long = 0; window.__obs = new PerformanceObserver((l) => { "
                      "for (const e of l.getEntries()) window.__long += e.duration; }); "
                      "window.__obs.observe({type: 'longtask'}); }")
        cpu = cpu_seconds(server.process.pid)
        browser_cpu = descendants_cpu_seconds(os.getpid(), server.process.pid)
        values, started = [step.inner_text()], time.perf_counter()
        seen = [(started, values[0])]  # (when, step shown) at every change, for the time to a stable picture
        while time.perf_counter() - started < args.seconds:
            text = step.inner_text()
            if text != values[-1]:
                values.append(text)
                seen.append((time.perf_counter(), text))
            page.wait_for_timeout(20)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - cpu
        browser_cpu = descendants_cpu_seconds(os.getpid(), server.process.pid) - browser_cpu
        long_ms = page.evaluate("() => { window.__obs.disconnect(); return window.__long; }")
        while step_number(seen[-1][1]) < stable_step and time.perf_counter() - played < 120:
            page.wait_for_timeout(20)
            seen.append((time.perf_counter(), step.inner_text()))
        when, shown = next(((t, step_number(v)) for t, v in seen if step_number(v) >= stable_step), (math.nan, 0))
        stable_seconds = when - played
        updates = len(values) - 1
        steps = step_number(values[-1]) - step_number(values[0])
        print(f"speed {args.speed}: {updates / elapsed:.1f} visual updates/s, {steps / elapsed:.0f} training steps/s "
              f"over {elapsed:.1f} s; per update: server {cpu * 1000 / max(updates, 1):.0f} ms CPU, browser "
              f"{long_ms / max(updates, 1):.0f} ms in long tasks and {browser_cpu * 1000 / max(updates, 1):.0f} ms CPU "
              f"(load average {os.getloadavg()[0]:.1f})")
        print(f"default preset {DEFAULT_PRESET!r}: stable from step {stable_step}; the page showed step {shown:,} "
              f"{stable_seconds:.1f} s after Play")
        browser.close()


if __name__ == "__main__":
    main()
