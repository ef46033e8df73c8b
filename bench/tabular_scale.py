"""Bank Marketing at 1 M and 5 M rows: local XGBoost (1 and 2 threads) against Spark ``local[2]`` and a Dask
``LocalCluster`` of 2 workers (1 and 2 XGBoost workers each).

    python bench/tabular_scale.py [--rows 1000000 5000000] [--rounds 20]
                                  [--backends local1 local2 spark spark2 dask dask2]

The data: Bank Marketing (``duration`` dropped: it leaks the answer) copied until it has ``--rows`` rows.
Every copy gets Gaussian noise on each numeric column (2 % of that column's standard deviation), so no
two rows are the same; categories and the target are copied as they are. The split is by client: each
of the 45,211 clients (and so every copy of it) is in the training, validation or test part that
``split_rows(seed=0)`` gives it on the original table, so no validation row is a noisy twin of a
training row (that would inflate the validation AUC).

Each backend runs in a process of its own, watched from here: peak memory is the largest RSS of that
process and all its children (for Spark: the Python driver, the JVM and its Python workers; for Dask:
the client, the scheduler and the worker processes) sampled every 0.1 s. Reported per backend:

- ``s/round``: the mean seconds of one boosting round, ``Booster.update`` plus the three metrics on the
  training and validation rows. Local: the trainer's rounds after its ``DMatrix`` is built; Spark and Dask:
  the rounds as timed on the worker by a callback (``round_seconds``), so the job's fixed costs
  (tasks starting, rows through Arrow, the ``DMatrix`` build, the model coming back) are left out;
- ``fixed s``: local, building the two ``DMatrix``; Spark, session start-up + rows into Spark + the
  fit's fixed part (the fit's seconds minus its rounds). A 2-round fit on 4,000 rows first starts the
  session and its Python workers (reported as start-up); Dask, the cluster's start-up + rows into
  Dask arrays + the fit's fixed part (each run starts its own cluster, so no warm-up is left out);
- ``valid AUC`` of the ``--rounds``-round model (no early stopping: every backend trains the same
  number of rounds).

Default settings otherwise (depth 6, learning rate 0.1, native categories). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402


def scaled_bank(rows: int, seed: int = 0):
    """``(table, split)``: Bank Marketing replicated with noise to ``rows`` rows, split by client."""
    from engine.tabular import Split, load_bank, split_rows

    bank = load_bank(drop=("duration",))
    base = split_rows(bank, seed=0)
    n = bank.n_rows
    copies = -(-rows // n)
    rng = np.random.default_rng(seed)
    client = np.tile(np.arange(n), copies)[:rows]
    X = bank.X.iloc[client].reset_index(drop=True)
    for name, kind in bank.kinds.items():
        if kind == "numeric":
            scale = 0.02 * float(np.nanstd(bank.X[name].to_numpy(np.float64)))
            X[name] = X[name].to_numpy(np.float64) + rng.normal(0.0, scale, rows)
    part = np.empty(n, dtype=np.int8)
    part[base.train], part[base.valid], part[base.test] = 0, 1, 2
    where = part[client]
    split = Split(train=np.flatnonzero(where == 0), valid=np.flatnonzero(where == 1),
                  test=np.flatnonzero(where == 2), seed=0)
    return replace(bank, X=X, y=bank.y[client], name=f"Bank Marketing x{copies}"), split


def run_local(rows: int, rounds: int, threads: int) -> dict:
    from engine.tabular import TabularConfig, TabularTrainer

    table, split = scaled_bank(rows)
    config = TabularConfig(n_rounds=rounds, early_stopping=0, n_jobs=threads)
    trainer = TabularTrainer(table, split, config)
    t0 = time.perf_counter()
    trainer.matrix("train"), trainer.matrix("valid")
    t1 = time.perf_counter()
    while not trainer.finished:
        trainer.step(60.0)
    t2 = time.perf_counter()
    return {"fixed_s": t1 - t0, "per_round_s": (t2 - t1) / rounds, "auc": trainer.scores("valid")["auc"],
            "rounds": trainer.rounds_, "train_rows": len(split.train), "valid_rows": len(split.valid)}


def run_spark(rows: int, rounds: int, driver_memory: str, workers: int = 1) -> dict:
    from engine.tabular import TabularConfig
    from engine.tabular.spark import train_spark

    table, split = scaled_bank(rows)
    conf = {"spark.driver.memory": driver_memory}
    # Warm-up on the first 4,000 rows: the session, its Python workers and their imports (not timed as fit).
    small = replace(split, train=split.train[split.train < 4000], valid=split.valid[split.valid < 4000],
                    test=split.test[split.test < 4000])
    warm = train_spark(table, small, TabularConfig(n_rounds=2, early_stopping=0), conf=conf)
    full = train_spark(table, split, TabularConfig(n_rounds=rounds, early_stopping=0), conf=conf,
                       num_workers=workers)
    in_rounds = float(np.sum(full.round_seconds))
    return {"fixed_s": warm.seconds["startup"] + full.seconds["data"] + full.seconds["training"] - in_rounds,
            "per_round_s": in_rounds / len(full.round_seconds), "auc": full.valid["auc"], "rounds": full.rounds,
            "startup_s": warm.seconds["startup"], "data_s": full.seconds["data"], "fit_s": full.seconds["training"],
            "where": {"master": full.where.master, "partitions": full.where.partitions},
            "train_rows": len(split.train), "valid_rows": len(split.valid)}


def run_dask(rows: int, rounds: int, workers: int = 1) -> dict:
    from engine.tabular import TabularConfig
    from engine.tabular.dask_cluster import train_dask

    table, split = scaled_bank(rows)
    full = train_dask(table, split, TabularConfig(n_rounds=rounds, early_stopping=0), num_workers=workers,
                      worker_memory="8GiB")
    in_rounds = float(np.sum(full.round_seconds))
    return {"fixed_s": full.seconds["total"] - in_rounds, "per_round_s": in_rounds / len(full.round_seconds),
            "auc": full.valid["auc"], "rounds": full.rounds, "startup_s": full.seconds["startup"],
            "data_s": full.seconds["data"], "fit_s": full.seconds["training"],
            "where": {"workers": full.where.workers, "partitions": full.where.partitions},
            "train_rows": len(split.train), "valid_rows": len(split.valid)}


def tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(backend: str, rows: int, rounds: int, driver_memory: str) -> dict:
    """Run one backend in a child process; its JSON result plus ``peak_rss_mb`` and ``wall_s``."""
    cmd = [sys.executable, __file__, "--child", backend, "--rows", str(rows), "--rounds", str(rounds),
           "--driver-memory", driver_memory]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(child.pid))
        time.sleep(0.1)
    out = child.stdout.read()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if child.returncode or not lines:
        return {"error": f"exit {child.returncode}", "peak_rss_mb": peak / 2**20, "wall_s": time.perf_counter() - start}
    return {**json.loads(lines[-1]), "peak_rss_mb": peak / 2**20, "wall_s": time.perf_counter() - start}


LABELS = {"local1": "local XGBoost, n_jobs=1", "local2": "local XGBoost, n_jobs=2",
          "spark": "Spark local[2], 1 XGBoost worker", "spark2": "Spark local[2], 2 XGBoost workers",
          "dask": "Dask LocalCluster(2), 1 XGBoost worker", "dask2": "Dask LocalCluster(2), 2 XGBoost workers"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--backends", nargs="+", default=list(LABELS), choices=list(LABELS))
    parser.add_argument("--driver-memory", default="4g", help="Spark driver (= local executor) memory")
    parser.add_argument("--child", choices=list(LABELS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be 2 or more")
    if args.child:
        rows = args.rows[0]
        if args.child.startswith("spark"):
            result = run_spark(rows, args.rounds, args.driver_memory, 2 if args.child == "spark2" else 1)
        elif args.child.startswith("dask"):
            result = run_dask(rows, args.rounds, 2 if args.child == "dask2" else 1)
        else:
            result = run_local(rows, args.rounds, int(args.child[-1]))
        print(json.dumps(result))
        return

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print("| rows | backend | s/round | fixed s | peak RSS (MB) | valid AUC | wall s |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        for backend in args.backends:
            r = measure(backend, rows, args.rounds, args.driver_memory)
            if "error" in r:
                print(f"| {rows:,} | {LABELS[backend]} | {r['error']} | | {r['peak_rss_mb']:,.0f} | | "
                      f"{r['wall_s']:.0f} |", flush=True)
                continue
            print(f"| {rows:,} | {LABELS[backend]} | {r['per_round_s']:.3f} | {r['fixed_s']:.1f} | "
                  f"{r['peak_rss_mb']:,.0f} | {r['auc']:.4f} | {r['wall_s']:.0f} |", flush=True)
            extra = {k: v for k, v in r.items() if k not in ("per_round_s", "fixed_s", "auc", "peak_rss_mb", "wall_s")}
            print(f"<!-- {backend} {rows}: {json.dumps(extra)} -->", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
