"""Benchmark, in a real Chromium: mouse-up on the canvas -> updated "First guess".

    python bench/digits_browser_latency.py [--trials 20]

Starts the app on a free loopback port, opens the draw-a-digit page, then for
each trial clears the canvas, draws a digit (a 1 or a 7, alternating) with the
mouse and measures, inside the page, the time from the ``pointerup`` event to
the moment the "First guess" metric shows that digit. Reports the median and
the spread. Target: median <= 250 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import app_server, launch_chromium  # noqa: E402
from tests.e2e.helpers import clear_canvas, draw, first_guess, open_digit_page, wait_idle  # noqa: E402

DIGITS = {
    "1": [[(140, 50), (140, 230)]],
    "7": [[(70, 60), (200, 60), (120, 230)]],
}

# Resolves with ms from the next pointerup to "First guess" showing `expected`.
WATCH = """
expected => new Promise(resolve => {
  let t0 = null;
  const value = () => {
    const metric = [...document.querySelectorAll('.st-key-digits_guesses [data-testid="stMetric"]')]
      .find(m => m.innerText.includes('First guess'));
    return metric ? metric.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
  };
  const observer = new MutationObserver(() => {
    if (t0 !== null && value() === expected) { observer.disconnect(); resolve(performance.now() - t0); }
  });
  document.addEventListener('pointerup', () => { t0 = performance.now(); }, { capture: true, once: true });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
})
"""


def time_training(page) -> float:
    """Seconds from clicking Start (default settings) to the trained model being in use."""
    page.get_by_role("tab", name=re.compile("Train your own")).click()
    wait_idle(page)
    started = time.perf_counter()
    page.locator(".st-key-digits_train_start button").click()
    page.get_by_text("now uses your model").wait_for(timeout=300_000)
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux), or NaN elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Browser latency benchmark")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--train", action="store_true",
                        help="also time Train your own with default settings, Start -> model in use")
    args = parser.parse_args(argv)
    timings = []
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_digit_page(page, server.url)
        memory = [rss_mb(server.process.pid)]
        for trial in range(args.trials + 2):
            digit = "1" if trial % 2 == 0 else "7"
            clear_canvas(page)
            wait_idle(page)
            # Store the promise without awaiting it (evaluate would wait for it to resolve).
            page.evaluate(f"() => {{ window.__watch = ({WATCH})('{digit}'); }}")
            draw(page, DIGITS[digit])
            ms = page.evaluate("window.__watch")
            wait_idle(page)
            if trial >= 2:  # the first two warm up caches and the websocket
                timings.append(ms)
            assert first_guess(page).inner_text().strip() == digit
            if trial == 1:
                memory.append(rss_mb(server.process.pid))
        memory.append(rss_mb(server.process.pid))
        if args.train:
            train_seconds = time_training(page)
        browser.close()
    timings.sort()
    print(f"mouse-up -> first guess, {len(timings)} trials: median {statistics.median(timings):.0f} ms, "
          f"min {timings[0]:.0f} ms, max {timings[-1]:.0f} ms")
    if args.train:
        print(f"Train your own, default settings: Start -> 'now uses your model' in {train_seconds:.1f} s")
    print(f"server memory (RSS): {memory[0]:.0f} MB at start, {memory[1]:.0f} MB after warm-up, "
          f"{memory[2]:.0f} MB after {len(timings)} more drawings (postScriptGC is off: watch for growth)")


if __name__ == "__main__":
    main()
