"""Choose the tabular page's default depth, learning rate and patience on Bank Marketing's VALIDATION rows.

One run per (depth, learning rate) with a long patience (training does not depend on the patience: the
rounds are the same, only where it stops differs), then each patience is replayed on that history: where
would it have stopped, and which round would it keep. The test rows are never scored.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/tabular_select_defaults.py
"""

from __future__ import annotations

import argparse
import json
import time

from engine.tabular import TabularConfig, TabularTrainer, load_bank, split_rows


def replay(history: list[dict], metric: str, patience: int) -> tuple[int, float, int]:
    """(best round, its validation score, rounds trained) had the run used ``patience``."""
    best, best_score, since = -1, None, 0
    for record in history:
        score = record["valid"][metric]
        if best_score is None or score < best_score:
            best, best_score, since = record["round"], score, 0
        else:
            since += 1
        if since >= patience:
            return best, best_score, record["round"] + 1
    return best, best_score, len(history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", default="3,4,5,6,8")
    parser.add_argument("--rates", default="0.05,0.1,0.2,0.3")
    parser.add_argument("--patiences", default="5,10,20,50")
    parser.add_argument("--tolerance", type=float, default=0.001,
                        help="the cheapest setting within this much validation log-loss of the best wins")
    args = parser.parse_args()
    table = load_bank()
    split = split_rows(table, seed=0)
    rows = []
    for depth in map(int, args.depths.split(",")):
        for rate in map(float, args.rates.split(",")):
            config = TabularConfig(max_depth=depth, learning_rate=rate, early_stopping=200, n_rounds=2000)
            trainer = TabularTrainer(table, split, config)
            start = time.perf_counter()
            while not trainer.finished:
                trainer.step(5.0)
            seconds = time.perf_counter() - start
            per_round = seconds / trainer.rounds_
            for patience in map(int, args.patiences.split(",")):
                best, score, trained = replay(trainer.history_, "logloss", patience)
                rows.append({"max_depth": depth, "learning_rate": rate, "early_stopping": patience,
                             "best_round": best, "rounds": trained, "valid_logloss": round(score, 5),
                             "valid_auc": round(trainer.history_[best]["valid"]["auc"], 5),
                             "seconds_est": round(per_round * trained, 2),
                             "ms_per_round": round(1000 * per_round, 2)})
            print(json.dumps(rows[-1]), flush=True)
    best = min(r["valid_logloss"] for r in rows)
    near = [r for r in rows if r["valid_logloss"] <= best + args.tolerance]
    chosen = min(near, key=lambda r: (r["seconds_est"], r["valid_logloss"]))
    print("best validation log-loss", best)
    print("within", args.tolerance, "of it:", len(near), "settings; cheapest:", json.dumps(chosen))


if __name__ == "__main__":
    main()
