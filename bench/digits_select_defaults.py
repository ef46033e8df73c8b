"""Choose the "Train your own" defaults (epochs, learning rate) on validation data only.

    python bench/digits_select_defaults.py [--lrs 0.0025 0.005 0.01] [--epochs 5 10 15] [--seeds 0 1]

Trains ``engine.digits.train.DEFAULT_CONFIG`` (LeNet-5 sized network, light
augmentation) with each learning rate × epoch count and each seed on the
training part of the bundled digits, and scores the final network on the
validation split carved from the same training digits
(``load_training_digits(val_fraction=0.1, seed=0)``: 4,500 / 500). The
evaluation sets in ``shared/data`` (MNIST test set, pendigits) are never read:
report them once, afterwards, with ``bench/digits_train_default.py`` and
``bench/digits_accuracy.py``.

Rule: keep the configurations that fit the time budget (``--budget`` seconds on
one torch thread, estimated as epochs × ``--seconds-per-epoch`` measured on an
idle machine); rank them by mean validation accuracy over the seeds; take the
cheapest within ``--tolerance`` points of the best (fewest epochs: time per
epoch does not depend on the learning rate), then the most accurate. Wall and
CPU times of this run are printed too, but on a busy shared machine both are
inflated. ``--replay OUTPUT`` re-ranks the runs printed by an earlier run
without training again.

The default grid (3 × 3 × 2 seeds, 180 epochs) takes about 5 minutes of CPU
(10.5 minutes of wall time on the busy shared 2-core development machine).
With 500 validation digits one digit is 0.2 points and the standard error of
one accuracy near 98 % is about 0.6 points, so small differences are noise:
that is why a cheaper configuration wins ties.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402,F401
from engine.digits.data import load_training_digits, training_source  # noqa: E402
from engine.digits.train import DEFAULT_CONFIG, DigitTrainer, TrainConfig  # noqa: E402

EVALUATION_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclasses.dataclass(frozen=True)
class Result:
    """Mean over seeds for one candidate: accuracy in [0, 1], times in seconds."""

    learning_rate: float
    epochs: int
    val_accuracies: tuple[float, ...]
    wall_seconds: float
    cpu_seconds: float
    failed: int

    @property
    def mean_accuracy(self) -> float:
        return sum(self.val_accuracies) / len(self.val_accuracies)


def run_one(config: TrainConfig, data) -> tuple[float, float, float, bool]:
    """Train to the end on the CPU the way the page does; (val accuracy, wall s, CPU s, learned)."""
    wall, cpu = time.perf_counter(), time.process_time()
    trainer = DigitTrainer(config, data, device="cpu")
    while not trainer.finished:
        trainer.step(max_seconds=0.6)  # the page's tick
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    accuracy = trainer.history_[-1].val_accuracy if trainer.history_ else 0.0
    return accuracy, wall, cpu, trainer.status_ == "done" and trainer.learned


def choose(results: list[Result], tolerance: float, affordable) -> Result:
    """Among affordable results (all, if none is): the cheapest within ``tolerance`` (a fraction) of the best
    mean accuracy, then the most accurate."""
    pool = [r for r in results if affordable(r)] or results
    best = max(r.mean_accuracy for r in pool)
    close = [r for r in pool if r.mean_accuracy >= best - tolerance - 1e-12]
    return min(close, key=lambda r: (r.epochs, -r.mean_accuracy))


RUN_LINE = re.compile(r"lr (\S+)\s+epochs\s+(\d+) seed (\d+): val ([\d.]+)%\s+([\d.]+) s wall\s+([\d.]+) s CPU(.*)")


def replay(path: Path) -> list[Result]:
    """Results rebuilt from the per-run lines of an earlier run's printed output (no training)."""
    runs: dict[tuple[float, int], list] = {}
    for line in path.read_text().splitlines():
        if match := RUN_LINE.search(line):
            lr, epochs, _, accuracy, wall, cpu, rest = match.groups()
            runs.setdefault((float(lr), int(epochs)), []).append(
                (float(accuracy) / 100, float(wall), float(cpu), "FAILED" in rest))
    return [Result(lr, epochs, tuple(r[0] for r in rs), sum(r[1] for r in rs) / len(rs),
                   sum(r[2] for r in rs) / len(rs), sum(r[3] for r in rs))
            for (lr, epochs), rs in runs.items()]


def train_grid(args: argparse.Namespace) -> list[Result]:
    """Train every learning rate × epochs × seed; print one line per run."""
    folder = training_source()
    if folder is not None and EVALUATION_DATA.resolve() in (folder.resolve(), *folder.resolve().parents):
        raise SystemExit(f"{folder} is evaluation data: choices must not be made on it")
    data = load_training_digits(val_fraction=0.1, seed=0)
    print(f"data: {data.source}; {len(data.y_train)} train, {len(data.y_val)} validation "
          f"(one validation digit = {100 / len(data.y_val):.2f} points)")
    d = DEFAULT_CONFIG
    print(f"fixed as in DEFAULT_CONFIG: arch={d.arch}, batch_size={d.batch_size}, augment={d.augment}, "
          f"weight_decay={d.weight_decay}, label_smoothing={d.label_smoothing}", flush=True)
    results = []
    for epochs in args.epochs:
        for lr in args.lrs:
            accuracies, walls, cpus, failed = [], [], [], 0
            for seed in args.seeds:
                config = dataclasses.replace(DEFAULT_CONFIG, epochs=epochs, learning_rate=lr, seed=seed)
                accuracy, wall, cpu, learned = run_one(config, data)
                accuracies.append(accuracy)
                walls.append(wall)
                cpus.append(cpu)
                failed += not learned
                print(f"  lr {lr:<6g} epochs {epochs:3d} seed {seed}: val {accuracy:.2%}  "
                      f"{wall:5.1f} s wall  {cpu:5.1f} s CPU{'  FAILED' if not learned else ''}", flush=True)
            results.append(Result(lr, epochs, tuple(accuracies), sum(walls) / len(walls), sum(cpus) / len(cpus),
                                  failed))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.0025, 0.005, 0.01])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 10, 15])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--tolerance", type=float, default=0.2, help="accuracy points counted as a tie")
    parser.add_argument("--budget", type=float, default=10.0, help="target training time in seconds")
    parser.add_argument("--seconds-per-epoch", type=float, default=0.9,
                        help="one-thread time per epoch on an idle machine, for the budget (README: 8.9 s for "
                             "10 epochs); times measured here include whatever else the machine runs")
    parser.add_argument("--replay", type=Path, default=None,
                        help="rank the runs printed by an earlier run instead of training")
    args = parser.parse_args(argv)

    results = replay(args.replay) if args.replay else train_grid(args)
    if args.replay:
        print(f"replaying {len(results)} configurations from {args.replay} (nothing trained)")
    seeds = sorted({len(r.val_accuracies) for r in results})

    def estimate(r: Result) -> float:
        return r.epochs * args.seconds_per_epoch

    def affordable(r: Result) -> bool:
        return estimate(r) <= args.budget + 1e-9

    chosen = choose(results, args.tolerance / 100, affordable)
    unconstrained = choose(results, args.tolerance / 100, lambda r: True)
    best = max(r.mean_accuracy for r in results)
    print(f"\n{'lr':>7} {'epochs':>6} {'mean val':>9} {'per seed':>20} {'wall s':>7} {'CPU s':>6} {'idle s':>6}  note")
    for r in sorted(results, key=lambda r: -r.mean_accuracy):
        notes = []
        if r is chosen:
            notes.append("CHOSEN")
        if r is unconstrained and r is not chosen:
            notes.append("choice without the budget")
        if not affordable(r):
            notes.append("over budget")
        if r.failed:
            notes.append(f"{r.failed} failed")
        if (r.epochs, r.learning_rate) == (DEFAULT_CONFIG.epochs, DEFAULT_CONFIG.learning_rate):
            notes.append("current default")
        per_seed = " ".join(f"{a:.1%}" for a in r.val_accuracies)
        print(f"{r.learning_rate:7g} {r.epochs:6d} {r.mean_accuracy:9.2%} {per_seed:>20} {r.wall_seconds:7.1f} "
              f"{r.cpu_seconds:6.1f} {estimate(r):6.1f}  {', '.join(notes)}")
    print(f"(idle s = epochs × {args.seconds_per_epoch:g} s; budget {args.budget:g} s; ties: {args.tolerance:g} "
          f"points; best overall {best:.2%})")
    print(f"\nchosen: epochs={chosen.epochs}, learning_rate={chosen.learning_rate:g} "
          f"(mean validation {chosen.mean_accuracy:.2%} over {'/'.join(map(str, seeds))} seeds; "
          f"about {estimate(chosen):.0f} s on an idle machine)")
    same = (chosen.epochs, chosen.learning_rate) == (DEFAULT_CONFIG.epochs, DEFAULT_CONFIG.learning_rate)
    print("same as the current default" if same else
          f"differs from the current default (epochs={DEFAULT_CONFIG.epochs}, "
          f"learning_rate={DEFAULT_CONFIG.learning_rate:g})")


if __name__ == "__main__":
    main()
