"""Are the six challenges reachable? Search settings that solve each one, as a student might.

    python bench/boosting_challenges.py

For every challenge, settings are tried in a fixed order (its dataset and
constraint, then depth, learning rate, leaf update, rotate trees and number of
trees from a small grid) until :func:`engine.boosting.check_challenge` says
solved; the first solution and the number of settings tried are printed. A
challenge with no solution in the grid is reported as such (its target would
then be too hard for this playground's data).
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402, F401  (thread policy before xgboost)
from engine.boosting import CHALLENGES, BoostingConfig, build_views, check_challenge  # noqa: E402

DEPTHS = (1, 2, 3, 4, 6, 8)
RATES = (0.1, 0.3, 1.0)
MODES = ("gradient", "newton", "xgboost")
ROTATE = (False, True)
TREES = (50, 200)


def candidates(challenge):
    base = BoostingConfig(dataset=challenge.dataset or "spiral")
    depths = [d for d in DEPTHS if challenge.max_depth is None or d <= challenge.max_depth]
    for depth, rate, mode, rotate, trees in itertools.product(depths, RATES, MODES, ROTATE, TREES):
        yield replace(base, depth=depth, learning_rate=rate, mode=mode, rotate_trees=rotate, n_trees=trees)


def main() -> None:
    for challenge in CHALLENGES:
        start, tried, found = time.perf_counter(), 0, None
        for config in candidates(challenge):
            tried += 1
            views = build_views(config, resolution=10)
            verdict = check_challenge(challenge, config, views.test_loss, views.train_loss, views.diverged)
            if verdict.solved:
                found = (config, verdict)
                break
        seconds = time.perf_counter() - start
        if found is None:
            print(f"{challenge.title}: NOT solved by any of {tried} settings ({seconds:.0f} s)")
            continue
        config, verdict = found
        print(f"{challenge.title}: solved after {tried} settings ({seconds:.0f} s) by dataset {config.dataset}, "
              f"depth {config.depth}, learning rate {config.learning_rate}, {config.mode}, rotate trees "
              f"{config.rotate_trees}, {config.n_trees} trees — {verdict.reason}")


if __name__ == "__main__":
    main()
