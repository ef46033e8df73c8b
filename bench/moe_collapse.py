"""Does top-1 routing really collapse? The Collapse / Balanced / Expert choice presets over many seeds.

    python bench/moe_collapse.py [--seeds 5] [--presets Collapse Balanced "Expert choice"]

Each preset is trained for its planned steps with seeds 0..N-1 (same data; the
seed changes the weights, the router's starting regions and the batch order).
Reported per preset, mean ± standard deviation over seeds, from the training
load of the last ``eval_every`` steps: max expert share, coefficient of variation,
dead experts (< 1 % of inputs); the same figures at step 100; validation and test
accuracy; and in how many seeds at least one expert died. Also how many experts
own no region of the plane at step 0 with the router started around training
points (this engine's default) and with PyTorch's default initialisation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.moe import PRESETS, MoETrainer  # noqa: E402


def fmt(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.2f} ± {values.std():.2f}"


def run_preset(name: str, seeds: int) -> None:
    rows, early, collapsed = [], [], 0
    started = time.perf_counter()
    for seed in range(seeds):
        trainer = MoETrainer(PRESETS[name].replace(seed=seed, dense_baselines=False), device="cpu")
        trainer.train_steps(trainer.config.steps)
        last = trainer.history_[-1]
        at100 = next(r for r in trainer.history_ if r.step >= 100)
        test = trainer.evaluate("test").accuracy
        rows.append((last.max_share, last.cv, last.dead, last.val_accuracy, test, last.dropped_fraction))
        early.append((at100.max_share, at100.cv, at100.dead))
        collapsed += last.dead > 0
    r, e = np.array(rows), np.array(early)
    config = PRESETS[name]
    print(f"{name} ({config.n_experts} experts, {config.steps} steps, {seeds} seeds, "
          f"{(time.perf_counter() - started) / seeds:.1f} s/seed): "
          f"max share {fmt(r[:, 0])}, CV {fmt(r[:, 1])}, dead {fmt(r[:, 2])}, "
          f"validation {fmt(r[:, 3])}, test {fmt(r[:, 4])}, dropped {fmt(r[:, 5])}; "
          f"at step 100: max share {fmt(e[:, 0])}, CV {fmt(e[:, 1])}, dead {fmt(e[:, 2])}; "
          f"seeds with a dead expert: {collapsed}/{seeds}", flush=True)


def unowned_at_start(seeds: int) -> None:
    for init in ("points", "default"):
        counts = []
        for seed in range(seeds):
            trainer = MoETrainer(PRESETS["Collapse"].replace(seed=seed, router_init=init, dense_baselines=False),
                                 device="cpu")
            owners = np.unique(trainer.routing_map(100)["expert"])
            counts.append(trainer.config.n_experts - len(owners))
        print(f"router_init={init!r}: experts owning no region at step 0: {fmt(counts)} of "
              f"{PRESETS['Collapse'].n_experts}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--presets", nargs="+", default=["Collapse", "Balanced", "Expert choice"])
    args = parser.parse_args(argv)
    unowned_at_start(args.seeds)
    for name in args.presets:
        run_preset(name, args.seeds)


if __name__ == "__main__":
    main()
