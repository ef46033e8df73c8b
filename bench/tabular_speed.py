"""How fast the tabular engine is on Bank Marketing with the default settings (one core, XGBoost n_jobs=1).

Targets from issue 16: a boosting round <= 20 ms, a whole default early-stopped run <= 3 s, SHAP for the
whole validation split <= 1 s. Prints one JSON object.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/tabular_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine import snapshots  # noqa: E402
from engine.tabular import TabularConfig, TabularTrainer, load_bank, shap_values, split_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="whole runs to time (the median is reported)")
    args = parser.parse_args()
    start = time.perf_counter()
    table = load_bank()
    load_seconds = time.perf_counter() - start
    split = split_rows(table, seed=0)
    config = TabularConfig()
    runs, trainer = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        trainer = TabularTrainer(table, split, config)
        while not trainer.finished:
            trainer.step(5.0)
        runs.append(time.perf_counter() - start)
    rounds = [h["seconds"] for h in trainer.history_]
    cpu_start = time.process_time()
    start = time.perf_counter()
    contribs, _ = shap_values(trainer, "valid")
    shap_seconds = time.perf_counter() - start
    shap_cpu = time.process_time() - cpu_start
    dvalid = trainer.matrix("valid")
    start = time.perf_counter()
    trainer.booster_.predict(dvalid, pred_contribs=True, approx_contribs=True, iteration_range=(0, trainer.rounds_used))
    approx_seconds = time.perf_counter() - start
    shared = snapshots.shared(load_bank)
    moved = TabularTrainer(shared, split, config)
    moved.step(0.2)
    print(json.dumps({
        "table": f"Bank Marketing {table.n_rows:,} rows x {len(table.features)} features",
        "split": split.sizes, "config": "defaults (depth 4, rate 0.1, patience 20, native categories)",
        "load_bank_s": round(load_seconds, 3),
        "round_ms_median": round(1000 * statistics.median(rounds), 2),
        "round_ms_p90": round(1000 * sorted(rounds)[int(0.9 * len(rounds))], 2),
        "rounds": trainer.rounds_, "best_round": trainer.best_round_,
        "whole_run_s_median": round(statistics.median(runs), 3), "whole_run_s_all": [round(r, 3) for r in runs],
        "shap_valid_rows": int(contribs.shape[0]), "shap_valid_s": round(shap_seconds, 3),
        "shap_valid_cpu_s": round(shap_cpu, 3),
        "saabas_approx_valid_s": round(approx_seconds, 3),
        "valid_auc": round(trainer.scores("valid")["auc"], 4),
        "snapshot_bytes": len(snapshots.dumps(moved)), "live_view_bytes": len(snapshots.dumps(moved.live_view())),
    }, indent=1))


if __name__ == "__main__":
    main()
