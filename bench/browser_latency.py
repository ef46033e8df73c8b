"""Benchmark, in a real Chromium: mouse-up on the canvas -> updated "First guess".

    python bench/browser_latency.py [--trials 20]

Starts the app on a free loopback port, opens the draw-a-digit page, then for
each trial clears the canvas, draws a digit (a 1 or a 7, alternating) with the
mouse and measures, inside the page, the time from the ``pointerup`` event to
the moment the "First guess" metric shows that digit. Reports the median and
the spread. Target: median <= 250 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Browser latency benchmark")
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args(argv)
    timings = []
    with app_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_digit_page(page, server.url)
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
        browser.close()
    timings.sort()
    print(f"mouse-up -> first guess, {len(timings)} trials: median {statistics.median(timings):.0f} ms, "
          f"min {timings[0]:.0f} ms, max {timings[-1]:.0f} ms")


if __name__ == "__main__":
    main()
