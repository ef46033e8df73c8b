"""Speed of the decision-boundary engine against TensorFlow Playground's nn.ts (issue 6's reference).

    python bench/playground_speed.py [--epochs 2000] [--repeats 5] [--reference]

1. Epochs per second (one epoch = the original's oneStep: a pass of minibatch updates
   over the training points, then the train and test loss) on the issue's two setups,
   median of ``--repeats`` runs of ``--epochs`` epochs each, as CPU time of the thread
   (the issue's reference numbers are CPU time) and wall time:
   - default: circle, 250 train points, batch 10, 2-4-2-1, tanh. nn.ts in Node 20 ≈ 2,600/s; target ≥ 3,900.
   - big: spiral, all 7 features, six hidden layers of 8. nn.ts ≈ 310/s; target ≥ 465.
2. The 100×100 map of every node (what the page draws), median of 20: nn.ts ≈ 4.7 / 35 ms; target ≤ 5 ms big.
3. The first call's cost in a fresh process: import + compiling (or loading numba's cache) of every kernel.
4. With ``--reference``: the plain NumPy port (engine.playground.reference), 20 epochs, for scale.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402,F401  (thread environment first)
from engine.playground import PlaygroundConfig, Trainer, warm_up  # noqa: E402

SETUPS = {
    "default": (PlaygroundConfig(), 2600.0, 4.7),
    "big": (PlaygroundConfig(dataset="spiral", hidden=(8,) * 6,
                             features=("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")), 310.0, 35.0),
}


def epochs_per_second(config: PlaygroundConfig, epochs: int, repeats: int) -> tuple[float, float]:
    cpu, wall = [], []
    for r in range(repeats):
        t = Trainer(PlaygroundConfig(**{**config.to_dict(), "features": config.features,
                                        "hidden": config.hidden, "seed": r}))
        c0, w0 = time.thread_time(), time.perf_counter()
        done = t.train_epochs(epochs)
        cpu.append(done / (time.thread_time() - c0))
        wall.append(done / (time.perf_counter() - w0))
    return statistics.median(cpu), statistics.median(wall)


def grid_ms(config: PlaygroundConfig, repeats: int = 20) -> tuple[float, float]:
    t = Trainer(config)
    t.train_epochs(10)
    cpu, wall = [], []
    for _ in range(repeats):
        t._grid_cache.clear()
        c0, w0 = time.thread_time(), time.perf_counter()
        t.grid(100)
        cpu.append(1e3 * (time.thread_time() - c0))
        wall.append(1e3 * (time.perf_counter() - w0))
    return statistics.median(cpu), statistics.median(wall)


def first_call_seconds() -> str:
    code = ("import time; t=time.perf_counter(); import engine.playground as p; i=time.perf_counter()-t; "
            "w=p.warm_up(); print(f'import {i:.2f} s, first train+grid {w:.2f} s')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reference", action="store_true")
    args = ap.parse_args()
    print("first call in a fresh process (numba cache as it is):", first_call_seconds())
    warm_up()
    for name, (config, nn_ts, nn_grid) in SETUPS.items():
        cpu, wall = epochs_per_second(config, args.epochs, args.repeats)
        g_cpu, g_wall = grid_ms(config)
        print(f"{name:8s} epochs/s: CPU {cpu:8,.0f}  wall {wall:8,.0f}  (nn.ts {nn_ts:,.0f}, target "
              f"{1.5 * nn_ts:,.0f}: {'met' if cpu >= 1.5 * nn_ts else 'NOT met'} in CPU time)   "
              f"grid 100x100 all nodes: CPU {g_cpu:.2f} ms  wall {g_wall:.2f} ms  (nn.ts {nn_grid} ms)")
        if args.reference:
            from engine.playground.reference import ReferenceNet
            t = Trainer(config)
            L = len(t.sizes_) - 1
            ref = ReferenceNet([t.W[lay, : t.sizes_[lay + 1], : t.sizes_[lay]] for lay in range(L)],
                               [t.B[lay, : t.sizes_[lay + 1]] for lay in range(L)], config.activation, "tanh")
            c0 = time.thread_time()
            for _ in range(20):
                ref.one_step(*t.data())
            print(f"{'':8s} NumPy reference port (example by example): {20 / (time.thread_time() - c0):,.1f} "
                  "epochs/s CPU")


if __name__ == "__main__":
    main()
