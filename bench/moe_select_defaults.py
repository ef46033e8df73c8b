"""Choose the MoE explorer's learning rate, step count and balancing speed on the validation split only.

    python bench/moe_select_defaults.py [--seeds 3] [--steps 1500]

For the "Collapse" and "Balanced" presets (spiral task), trains each learning
rate in ``--lrs`` for ``--steps`` steps over ``--seeds`` seeds and prints the
mean validation accuracy at several step counts (read from the run's history,
so one run gives every count). Then, each at its preset's other settings, it
compares DeepSeek-V3 bias rates for "Balanced", Switch loss coefficients for
"Switch aux loss" and learning rates for "Digits" (validation accuracy, max
share, CV, dead experts). The test split is never looked at.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.moe import PRESETS, MoETrainer  # noqa: E402


def run(config) -> MoETrainer:
    trainer = MoETrainer(config.replace(dense_baselines=False), device="cpu")
    trainer.train_steps(config.steps)
    return trainer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.003, 0.01, 0.03])
    parser.add_argument("--bias-rates", type=float, nargs="+", default=[0.01, 0.03, 0.1])
    parser.add_argument("--aux-coefs", type=float, nargs="+", default=[0.1, 0.3, 1.0])
    parser.add_argument("--digits-lrs", type=float, nargs="+", default=[0.001, 0.003, 0.01])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[500, 1000, 1500])
    parser.add_argument("--only", choices=["lr", "bias", "aux", "digits"], nargs="+",
                        default=["lr", "bias", "aux", "digits"])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for name in ("Collapse", "Balanced") if "lr" in args.only else ():
        for lr in args.lrs:
            acc = {c: [] for c in args.checkpoints}
            for seed in range(args.seeds):
                config = PRESETS[name].replace(learning_rate=lr, steps=args.steps, seed=seed)
                by_step = {r.step: r.val_accuracy for r in run(config).history_}
                for c in args.checkpoints:
                    acc[c].append(by_step.get(c, np.nan))
            cells = "  ".join(f"{c} steps {np.mean(v):.3f}" for c, v in acc.items())
            print(f"{name:9s} lr {lr:<6g} validation accuracy: {cells}", flush=True)
    sweeps = {"bias": ("Balanced", "bias_rate", args.bias_rates), "aux": ("Switch aux loss", "aux_loss_coef",
                                                                           args.aux_coefs),
              "digits": ("Digits", "learning_rate", args.digits_lrs)}
    for key, (name, field, values) in sweeps.items():
        if key not in args.only:
            continue
        base = PRESETS[name]
        for value in values:
            rows = []
            for seed in range(args.seeds):
                last = run(base.replace(**{field: value}, seed=seed)).history_[-1]
                rows.append((last.val_accuracy, last.max_share, last.cv, last.dead))
            mean = np.mean(rows, axis=0)
            print(f"{name} {field} {value:<6g} ({base.steps} steps, lr {base.learning_rate:g}): validation "
                  f"{mean[0]:.3f}, max share {mean[1]:.2f}, CV {mean[2]:.2f}, dead {mean[3]:.1f}", flush=True)
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
