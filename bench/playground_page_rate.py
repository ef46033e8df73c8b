"""How often the decision-boundary page updates while it plays, and how many epochs it shows, in Chromium.

    python bench/playground_page_rate.py [--seconds 8] [--speed normal] [--setup default|big|both]

Starts the app on a free loopback port, opens ``/playground`` (the default circle setup,
or the big one: spiral, all 7 features, six layers of 8), presses Play and watches the
"Epoch" metric from inside the page on every animation frame: each change is one
visual update. Reports updates per second and epochs per second as the page shows them.
Beside the rates it prints what each update cost, less sensitive to a shared machine's load
than the rates: the server process's CPU time (``/proc/<pid>/stat``), the browser's CPU time (all its
processes, ``/proc``), the browser renderer's main-thread
busy time (every task, from the DevTools protocol's ``Performance.getMetrics`` ``TaskDuration``) and its
long tasks (over 50 ms each, PerformanceObserver), per update.
Targets (issue 6): ≥ 10 updates a second and ≥ 10× the epochs per second TensorFlow Playground
shows (≤ 60 a second on the default setup, about 22 on the big one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import app_server, launch_chromium  # noqa: E402
from tests.e2e.helpers import by_key, wait_idle  # noqa: E402

SETUPS = {
    "default": "",
    "big": "playground_dataset=Spiral&playground_shape=8%2C8%2C8%2C8%2C8%2C8&playground_f_xSquared=true"
           "&playground_f_ySquared=true&playground_f_xTimesY=true&playground_f_sinX=true&playground_f_sinY=true",
}
WATCH = """() => {
  window.__pgSeen = []; window.__pgLong = 0;
  window.__pgObs = new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__pgLong += e.duration; });
  window.__pgObs.observe({type: "longtask"});
  const read = () => {
    const box = document.querySelector('.st-key-playground_metrics');
    const v = box && box.querySelector('[data-testid="stMetricValue"]');
    const text = v ? v.textContent : null;
    const seen = window.__pgSeen;
    if (text !== null && (seen.length === 0 || seen[seen.length - 1][1] !== text)) seen.push([performance.now(), text]);
    window.__pgRaf = requestAnimationFrame(read);
  };
  read();
}"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def browser_cpu_seconds() -> float:
    """CPU time so far of every Chromium process this script started (its descendants that are not the app
    server), from ``/proc``: unlike the main thread's busy time, hardly inflated by other jobs' load."""
    me, total = os.getpid(), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if "chrom" not in (entry / "comm").read_text():
                continue
        except OSError:
            continue
        pid = int(entry.name)
        ancestor = _parent(pid)
        for _ in range(8):
            if ancestor in (me, 0, 1):
                break
            ancestor = _parent(ancestor)
        if ancestor == me:
            total += cpu_seconds(pid)
    return total


def task_seconds(cdp) -> float:
    """The page's main-thread busy time so far (seconds), from the DevTools protocol."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next((m["value"] for m in metrics if m["name"] == "TaskDuration"), float("nan"))


def measure(page, base: str, query: str, speed: str, seconds: float, pid: int,
            cdp) -> tuple[float, float, float, float, float, float]:
    """Updates/s, epochs/s, server CPU ms, browser CPU ms (all its processes), main-thread ms and long-task ms,
    per update."""
    page.goto(f"{base}/playground?playground_speed={speed}" + (f"&{query}" if query else ""))
    wait_idle(page)
    by_key(page, "playground_play").get_by_role("button").first.click()
    page.wait_for_timeout(2000)  # let the first ticks through
    page.evaluate(WATCH)
    cpu, busy, bcpu = cpu_seconds(pid), task_seconds(cdp), browser_cpu_seconds()
    page.wait_for_timeout(int(seconds * 1000))
    cpu, busy, bcpu = cpu_seconds(pid) - cpu, task_seconds(cdp) - busy, browser_cpu_seconds() - bcpu
    seen, long_ms = page.evaluate("() => { cancelAnimationFrame(window.__pgRaf); window.__pgObs.disconnect(); "
                                  "return [window.__pgSeen, window.__pgLong]; }")
    by_key(page, "playground_pause").get_by_role("button").first.click()
    if len(seen) < 2:
        return 0.0, 0.0, float("nan"), float("nan"), float("nan"), float("nan")
    elapsed = (seen[-1][0] - seen[0][0]) / 1000
    epochs = int(seen[-1][1].replace(",", "")) - int(seen[0][1].replace(",", ""))
    updates = len(seen) - 1
    return (updates / elapsed, epochs / elapsed, cpu * 1000 / updates, bcpu * 1000 / updates, busy * 1000 / updates,
            long_ms / updates)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--speed", default="normal", choices=["one epoch", "slow", "normal", "fast"])
    parser.add_argument("--setup", default="both", choices=["default", "big", "both"])
    args = parser.parse_args(argv)
    setups = list(SETUPS) if args.setup == "both" else [args.setup]
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        for name in setups:
            updates, epochs, cpu, bcpu, busy, long_ms = measure(page, server.url, SETUPS[name],
                                                          args.speed.replace(" ", "+"), args.seconds,
                                                          server.process.pid, cdp)
            print(f"{name} setup, speed {args.speed}: {updates:.1f} visual updates/s, {epochs:,.0f} epochs/s shown; "
                  f"per update: server {cpu:.0f} ms CPU, browser {bcpu:.0f} ms CPU, {busy:.0f} ms main thread "
                  f"({long_ms:.0f} ms in long tasks) "
                  f"(load average {os.getloadavg()[0]:.1f})")
        browser.close()


if __name__ == "__main__":
    main()
