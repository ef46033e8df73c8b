"""Speed of the gradient-boosting page's work: a full recompute, the heaviest setting, and the scrubber.

    python bench/boosting_speed.py [--repeats 7]

1. Default settings (spiral, 50 trees of depth 4, gradient step): growing the
   ensemble with every stage's margins on the 50 x 50 grid, the training and the
   test points (``build_views``), plus what the page then draws from it — the main
   map's figure, the loss curves, the 30 tree thumbnails, the selected tree's
   diagram. Target: <= 150 ms.
2. The heaviest setting (200 trees of depth 8, rotate trees, Newton leaves): the
   same ``build_views``. Target: <= 1.5 s (the page shows a progress bar).
3. Moving the "trees summed" scrubber on a grown ensemble: the map figure, the
   curve and the metrics for another stage, no refit. Target: <= 50 ms. Also the
   whole page script run with its ensemble cached, and with the session's caches
   emptied (Streamlit in bare mode: every element is built and serialised, nothing
   is sent; widgets keep their defaults): the server time of a scrubber move and
   of a full recompute.

Medians over ``--repeats`` (each run grows a fresh ensemble: nothing cached), one
XGBoost thread as on the server. Reports the machine's load average beside the
numbers, since this machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import engine  # noqa: E402, F401  (thread policy before xgboost)
from app.boosting.figures import curve_figure, map_figure  # noqa: E402
from app.boosting.pictures import map_picture, png  # noqa: E402
from app.boosting.svg import tree_svg  # noqa: E402
from engine.boosting import BoostingConfig, build_views  # noqa: E402

DEFAULT = BoostingConfig()
HEAVIEST = BoostingConfig(n_trees=200, depth=8, rotate_trees=True, mode="newton")


def draw_everything(views, k: int, tree: int) -> None:
    """What one full page run draws from an ensemble (figures as specs, pictures as arrays)."""
    map_figure(views, k, views.model.gradients(tree), show_test=True).to_dict()
    curve_figure(views, k).to_dict()
    for j in range(min(30, views.n_trees)):
        values = views.tree_map(j)
        png(map_picture(values / (np.abs(values).max() or 1.0), views.bounds))  # as the page: one pixel a cell
    tree_svg(views.model.tree_nodes(tree))


def timed(fn, repeats: int) -> list[tuple[float, float]]:
    """(wall seconds, this thread's CPU seconds) of each call: CPU time says what a call costs the server
    whatever else the machine is doing; wall time is what a student waits on a quiet one."""
    out = []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.thread_time()
        fn()
        out.append((time.perf_counter() - start, time.thread_time() - cpu))
    return out


def page_reruns(repeats: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Seconds of the default page script with its ensemble cached (a scrubber move: the stage only indexes
    arrays), and with the session's caches emptied first (a refit and every picture drawn anew).

    Bare mode: widgets return their defaults, so both runs show the default settings."""
    import logging
    import runpy

    import streamlit as st

    from app.boosting import keys as K

    logging.disable(logging.WARNING)  # bare mode warns on every element
    page = str(Path(__file__).resolve().parents[1] / "pages" / "boosting.py")
    runpy.run_path(page)  # grows and caches the default ensemble
    out = timed(lambda: runpy.run_path(page), 5 * repeats)

    def refit() -> None:
        st.session_state.pop(K.CACHE, None)
        st.session_state.pop(K.PICTURES, None)
        runpy.run_path(page)

    refits = timed(refit, repeats)
    logging.disable(logging.NOTSET)
    return out, refits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    build_views(DEFAULT)  # warm-up: imports, XGBoost's first configuration

    def full() -> None:
        views = build_views(DEFAULT)
        draw_everything(views, views.n_trees, 0)

    grow = timed(lambda: build_views(DEFAULT), args.repeats)
    recompute = timed(full, args.repeats)
    heavy = timed(lambda: build_views(HEAVIEST), max(3, args.repeats // 2))
    views = build_views(HEAVIEST)
    rng = np.random.default_rng(0)
    stages = iter(rng.integers(0, views.n_trees + 1, size=10 * args.repeats))

    def scrub() -> None:
        k = int(next(stages))
        map_figure(views, k, None, show_test=True).to_dict()
        curve_figure(views, k).to_dict()
        float(views.train_loss[k]), float(views.test_loss[k]), float(views.test_accuracy[k])

    scrubs = timed(scrub, 10 * args.repeats)
    page_scrubs, page_refits = page_reruns(args.repeats)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs")
    rows = [("default: grow 50 trees + all stages' grids (build_views)", grow, None),
            ("default: full recompute incl. every view drawn", recompute, 0.150),
            ("default: the whole page script, caches emptied (refit, every element)", page_refits, 0.150),
            ("heaviest: 200 trees, depth 8, rotate trees, Newton", heavy, 1.5),
            ("scrubber: another stage of the 200-tree ensemble", scrubs, 0.050),
            ("scrubber: the whole page script, ensemble cached (default settings)", page_scrubs, 0.050)]
    for name, times, target in rows:
        wall = [w for w, _ in times]
        median, cpu = statistics.median(wall), statistics.median([c for _, c in times])
        verdict = "" if target is None else (" ok" if median <= target else " OVER TARGET")
        limit = "" if target is None else f" (target <= {target * 1000:.0f} ms)"
        print(f"{name}: median {median * 1000:.1f} ms, min {min(wall) * 1000:.1f} ms, median CPU "
              f"{cpu * 1000:.1f} ms{limit}{verdict}")


if __name__ == "__main__":
    main()
