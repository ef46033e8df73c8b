"""Choose the MoE explorer's learning rate, step count and balancing speed on the validation split only.

    python bench/moe_select_defaults.py [--seeds 3] [--steps 1500]

For the "Collapse" and "Balanced" presets (spiral task), trains each learning
rate in ``--lrs`` for ``--steps`` steps over ``--seeds`` seeds and prints the
mean validation accuracy at several step counts (read from the run's history,
so one run gives every count). Then, each at its preset's other settings, it
compares DeepSeek-V3 bias rates for "Balanced", Switch loss coefficients for
"Switch aux loss" and learning rates for "Digits" (validation accuracy, max
share, CV, dead experts). The test split is never looked at.

``--only schedule`` compares learning-rate schedules (constant or cosine decay),
peak rates and step counts for "Collapse" and "Balanced": mean validation
accuracy at the end, and the step from which the picture is stable (the
routing map, the load shares and the validation accuracy stay within the
tolerances of ``bench/moe_speed.py`` of their final values; snapshots every 25
steps). It then names the schedule it would choose: among those within one
point of the best mean validation accuracy (both presets), the one whose
"Collapse" run (the page's default) settles soonest.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.moe_speed import settles  # noqa: E402
from engine.moe import PRESETS, MoETrainer  # noqa: E402

SCHEDULES = (("constant", 0.03, 1000), ("cosine", 0.03, 1000), ("cosine", 0.03, 800), ("cosine", 0.05, 800),
             ("cosine", 0.05, 1000), ("cosine", 0.1, 800), ("cosine", 0.1, 600))
"""``(lr_schedule, learning_rate, steps)`` compared by ``--only schedule``."""


def run(config) -> MoETrainer:
    trainer = MoETrainer(config.replace(dense_baselines=False), device="cpu")
    trainer.train_steps(config.steps)
    return trainer


def compare_schedules(seeds: int) -> None:
    results = {}
    for schedule, lr, steps in SCHEDULES:
        for name in ("Collapse", "Balanced"):
            runs = [settles(PRESETS[name].replace(lr_schedule=schedule, learning_rate=lr, steps=steps, seed=seed))
                    for seed in range(seeds)]
            settled, acc = [r[0] for r in runs], [r[1] for r in runs]
            results[(schedule, lr, steps, name)] = (np.mean(settled), np.mean(acc))
            print(f"{name:9s} {schedule:8s} lr {lr:<5g} {steps:5d} steps: validation {np.mean(acc):.3f} "
                  f"(lowest {min(acc):.3f}); stable from step {settled} (mean {np.mean(settled):.0f}, "
                  f"largest {max(settled)})", flush=True)
    accuracy = {s: (results[(*s, "Collapse")][1] + results[(*s, "Balanced")][1]) / 2 for s in SCHEDULES}
    good = [s for s in SCHEDULES if accuracy[s] >= max(accuracy.values()) - 0.01]
    choice = min(good, key=lambda s: results[(*s, "Collapse")][0])
    print(f"choice: {choice[0]} lr {choice[1]:g}, {choice[2]} steps (mean validation {accuracy[choice]:.3f} over "
          f"both presets, best {max(accuracy.values()):.3f}; Collapse stable from step "
          f"{results[(*choice, 'Collapse')][0]:.0f} on average)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.003, 0.01, 0.03])
    parser.add_argument("--bias-rates", type=float, nargs="+", default=[0.01, 0.03, 0.1])
    parser.add_argument("--aux-coefs", type=float, nargs="+", default=[0.1, 0.3, 1.0])
    parser.add_argument("--digits-lrs", type=float, nargs="+", default=[0.001, 0.003, 0.01])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[500, 1000, 1500])
    parser.add_argument("--only", choices=["lr", "bias", "aux", "digits", "schedule"], nargs="+",
                        default=["lr", "bias", "aux", "digits"])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if "schedule" in args.only:
        compare_schedules(args.seeds)
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
