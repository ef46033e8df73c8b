"""Benchmark "Train your own" with the page's default settings.

    python bench/digits_train_default.py [--data ../shared/data] [--repeats 1]

Trains exactly what the page's Start button trains with untouched controls
(``engine.digits.train.DEFAULT_CONFIG`` on the bundled digits' training split,
one torch thread) and reports the wall time and the accuracy on the held-out
validation split and, when present, on the MNIST test set (evaluation only).
Target: >= 98 % on the MNIST test set in <= 20 s on CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402,F401
from engine.digits.data import TEST_FILES, find_idx_pair, load_idx_digits, load_training_digits  # noqa: E402
from engine.digits.evaluate import evaluate  # noqa: E402
from engine.digits.train import DEFAULT_CONFIG, DigitTrainer  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train-your-own default benchmark")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    data = load_training_digits(val_fraction=0.1, seed=0)
    test = None
    if find_idx_pair(args.data / "mnist-t10k", TEST_FILES) is not None:
        test = load_idx_digits(args.data / "mnist-t10k", TEST_FILES)
    else:
        print(f"MNIST test set not found under {args.data}: reporting validation accuracy only")
    print(f"config: {DEFAULT_CONFIG}")
    for run in range(args.repeats):
        started = time.perf_counter()
        trainer = DigitTrainer(DEFAULT_CONFIG, data, device="cpu")
        while not trainer.finished:
            trainer.step(max_seconds=0.6)  # the page's tick
        seconds = time.perf_counter() - started
        model = trainer.model()
        line = f"run {run + 1}: {seconds:.1f} s wall, validation {trainer.history_[-1].val_accuracy:.2%}"
        if test is not None:
            line += f", MNIST test {evaluate(model, *test).accuracy:.2%}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
