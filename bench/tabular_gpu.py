"""XGBoost on real data with ``device="cuda"`` against the CPU: the check to run on a machine with an NVIDIA GPU.

    python bench/tabular_gpu.py [--dataset bank|digits] [--repeat 3]

This project installs ``xgboost-cpu`` (no CUDA). On a GPU machine, first put the full build in its place:

    pip uninstall -y xgboost-cpu && pip install xgboost==3.2.0

Then, for the same table, split and default settings, it trains once on the CPU (one thread, as the app
does) and once on the GPU, and prints one JSON object: seconds per boosting round (median), the whole
early-stopped run, the best round, the validation scores, the largest difference in validation
probability between the two models, and SHAP (``pred_contribs``) for the validation rows on each device
(XGBoost's GPUTreeShap on the GPU). The two models are not expected to be identical (the GPU builds its
histograms in a different order); their validation scores should agree to about 1e-3.

Without CUDA (the CPU-only wheel, or no GPU visible) it says so, reports the CPU side only, and exits 0:
the page and the tests never need a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from engine.tabular import (  # noqa: E402
    TabularConfig,
    TabularTrainer,
    digits_split,
    load_bank,
    load_digits_table,
    shap_values,
    split_rows,
)
from engine.tabular.trainer import cuda_available  # noqa: E402


def _table(name: str):
    if name == "digits":
        table = load_digits_table()
        return table, digits_split(table, 0)
    table = load_bank()
    return table, split_rows(table, seed=0)


def _measure(table, split, config: TabularConfig, repeat: int) -> tuple[dict, TabularTrainer]:
    runs, trainer = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        trainer = TabularTrainer(table, split, config)
        while not trainer.finished:
            trainer.step(5.0)
        runs.append(time.perf_counter() - start)
    start = time.perf_counter()
    contribs, _ = shap_values(trainer, "valid")
    shap_seconds = time.perf_counter() - start
    rounds = [h["seconds"] for h in trainer.history_]
    return {"device": trainer.device_, "notes": trainer.notes_,
            "round_ms_median": round(1000 * statistics.median(rounds), 2),
            "whole_run_s_median": round(statistics.median(runs), 3),
            "rounds": trainer.rounds_, "best_round": trainer.best_round_,
            "valid": {k: round(v, 5) for k, v in trainer.scores("valid").items()},
            "shap_valid_rows": int(contribs.shape[0]), "shap_valid_s": round(shap_seconds, 3)}, trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("bank", "digits"), default="bank")
    parser.add_argument("--repeat", type=int, default=3, help="whole runs per device (the median is reported)")
    args = parser.parse_args(argv)
    import xgboost

    table, split = _table(args.dataset)
    out: dict = {"xgboost": xgboost.__version__, "built_with_cuda": bool(xgboost.build_info().get("USE_CUDA")),
                 "cuda_available": cuda_available(), "table": f"{table.name}: {table.n_rows:,} rows x "
                                                              f"{len(table.features)} features"}
    base = TabularConfig(seed=0)
    out["cpu"], cpu = _measure(table, split, replace(base, device="cpu"), args.repeat)
    if not out["cuda_available"]:
        out["gpu"] = None
        out["note"] = ("No CUDA here: this XGBoost is the CPU-only build or no NVIDIA GPU is visible. Install the full "
                       "xgboost==3.2.0 on a GPU machine and run again.")
    else:
        out["gpu"], gpu = _measure(table, split, replace(base, device="cuda"), args.repeat)
        p_cpu, p_gpu = cpu.predict("valid"), gpu.predict("valid")
        out["max_valid_probability_difference"] = float(np.max(np.abs(p_cpu - p_gpu)))
        out["speed_up_per_round"] = round(out["cpu"]["round_ms_median"] / max(out["gpu"]["round_ms_median"], 1e-9), 2)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
