"""Is the training pool fair and efficient? One digit trainer alone, then N at once, on the same workers.

    python bench/training_pool.py [--trainers 5] [--seconds 20] [--workers 1]

Each trainer is the digit page's default "Train your own" run (the shipped training digits, default
settings, its own seed). The bench asks every run for its newest snapshot ten times a second, as
the page does, and reads "batches trained" from it. Reports batches per second alone, each run's
rate with N at once (and how far each is from their mean), and N runs' total as a share of one
run alone: the issue asks for each within ±20 % of the mean and the total at least 80 %.
The workers are niced as in the app; nothing else should run on the machine while it measures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.digits.data import load_training_digits  # noqa: E402
from engine.digits.train import DEFAULT_CONFIG, DigitTrainer  # noqa: E402
from engine.snapshots import shared  # noqa: E402
from engine.workers import TrainingPool  # noqa: E402

SPEED = 0.2
"""Training seconds per update: the page's "normal" speed."""


def batches(view) -> int:
    return view.epoch_ * view.batches_per_epoch_ + view.batch_


def measure(pool: TrainingPool, n: int, seconds: float) -> list[float]:
    """Batches per second of each of ``n`` runs trained at once for ``seconds`` (after a 2 s warm-up)."""
    data = shared(load_training_digits, val_fraction=0.1, seed=0)
    owners = [f"bench-{n}-{i}" for i in range(n)]
    config = replace(DEFAULT_CONFIG, epochs=30)  # long enough never to finish inside the window
    for i, owner in enumerate(owners):
        pool.start(owner, DigitTrainer(replace(config, seed=i), data), SPEED, 0.15)
    latest: dict[str, int] = {}

    def poll_until(deadline: float) -> dict[str, tuple[int, float]]:
        seen = {}
        while time.monotonic() < deadline:
            for owner in owners:
                update = pool.latest(owner)
                if update is not None and update.trainer is not None:
                    latest[owner] = batches(update.trainer)
                    seen[owner] = (latest[owner], time.monotonic())
            time.sleep(0.1)
        return seen

    poll_until(time.monotonic() + 2.0)
    first = {o: (latest.get(o, 0), time.monotonic()) for o in owners}
    last = poll_until(time.monotonic() + seconds)
    for owner in owners:
        pool.drop(owner)
    return [(last[o][0] - first[o][0]) / (last[o][1] - first[o][1]) for o in owners]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    pool = TrainingPool(args.workers)
    try:
        pool.wait_ready()
        print(f"load average {os.getloadavg()[0]:.1f}; {args.workers} worker(s)")
        alone = measure(pool, 1, args.seconds)[0]
        print(f"one run alone: {alone:.1f} batches/s")
        rates = measure(pool, args.trainers, args.seconds)
        mean = sum(rates) / len(rates)
        spread = max(abs(r - mean) / mean for r in rates)
        print(f"{args.trainers} at once: " + ", ".join(f"{r:.1f}" for r in rates) + " batches/s")
        print(f"  each within {spread:.1%} of their mean {mean:.1f}; together {sum(rates):.1f} batches/s = "
              f"{sum(rates) / (alone * args.workers):.0%} of one run alone per worker")
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        pool.close()


if __name__ == "__main__":
    main()
