"""python -m engine.tabular: one JSON object with what the issue lists; clear errors with status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from engine.tabular.__main__ import main


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(1)
    n = 500
    x = rng.normal(size=n)
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    y = np.where(x + (plan == "pro") + rng.normal(scale=0.7, size=n) > 0.5, "yes", "no")
    path = tmp_path / "customers.csv"
    pd.DataFrame({"x": x, "plan": plan, "call_id": np.arange(n), "bought": y}).to_csv(path, index=False, sep=";")
    return path


def test_json_has_rows_columns_best_round_metrics_backend_seconds(csv, capsys):
    assert main([str(csv), "--target", "bought", "--drop", "call_id", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 500 and out["columns"] == ["x", "plan"] and out["backend"] == "local"
    assert {"auc", "logloss"} <= set(out["valid"]) and {"auc", "logloss"} <= set(out["test"])
    assert 0 <= out["best_round"] < out["rounds"] and out["seconds"] > 0 and out["config"]["seed"] == 3
    assert out["split"] == {"train": 300, "valid": 100, "test": 100}


def test_trials_run_a_search_first(csv, capsys):
    assert main([str(csv), "--target", "bought", "--trials", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["search"]["trials"] == 3 and out["config"]["max_depth"] == out["search"]["best_params"]["max_depth"]


def test_regression_reports_rmse(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    path = tmp_path / "r.csv"
    pd.DataFrame({"x": x, "price": 3 * x + rng.normal(size=300)}).to_csv(path, index=False)
    assert main([str(path), "--target", "price", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "regression" and "rmse" in out["valid"] and "rmse" in out["test"]


def test_task_can_be_set_and_rows_without_a_target_dropped(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    stars = np.clip(np.round(3 + x + rng.normal(scale=0.5, size=400)), 1, 5)  # 1-5: guessed as classes
    stars[[10, 20]] = np.nan
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"x": x, "stars": stars}).to_csv(path, index=False)
    assert main([str(path), "--target", "stars", "--json"]) == 2
    assert "missing in 2 rows" in capsys.readouterr().err
    assert main([str(path), "--target", "stars", "--drop-missing-target", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "multiclass" and out["rows"] == 398 and "2 rows without a value" in out["notes"][0]
    assert main([str(path), "--target", "stars", "--drop-missing-target", "--task", "regression", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "regression"
    x_path = tmp_path / "x.csv"
    pd.DataFrame({"x": x, "z": x * 10 + rng.normal(size=400)}).to_csv(x_path, index=False)
    assert main([str(x_path), "--target", "z", "--task", "classification", "--json"]) == 2
    assert "400 different values" in capsys.readouterr().err


def test_predict_writes_the_models_predictions_for_new_rows(csv, tmp_path, capsys):
    new = pd.read_csv(csv, sep=";").drop(columns="bought").head(25)
    new_path, out_path = tmp_path / "new.csv", tmp_path / "out.csv"
    new.to_csv(new_path, index=False)
    assert main([str(csv), "--target", "bought", "--drop", "call_id", "--predict", str(new_path), "--out",
                 str(out_path), "--keep", "call_id", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["predictions"]
    written = pd.read_csv(out_path)
    assert summary["rows"] == 25 and list(written.columns) == ["call_id", "predicted bought", "probability bought=yes"]
    assert written["call_id"].tolist() == list(range(25)) and written["probability bought=yes"].between(0, 1).all()
    assert main([str(csv), "--target", "bought", "--predict", str(new_path), "--backend", "dask"]) == 2
    assert "--predict uses the local model" in capsys.readouterr().err


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("a,b\n1,2\n")
    assert main([str(path), "--target", "b", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The table has 1 row") and "Traceback" not in err
    assert main([str(path), "--json"]) == 2
    assert "--target" in capsys.readouterr().err


def test_spark_backend_missing_says_so(csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "engine.tabular.spark", None)  # as if spark.py (or pyspark) were absent
    assert main([str(csv), "--target", "bought", "--backend", "spark", "--json"]) == 2
    assert "Spark backend is not available" in capsys.readouterr().err


def test_dask_backend_gives_the_local_result(csv, capsys):
    pytest.importorskip("distributed")
    args = [str(csv), "--target", "bought", "--drop", "call_id", "--seed", "3", "--json"]
    assert main(args) == 0
    local = json.loads(capsys.readouterr().out)
    assert main([*args, "--backend", "dask"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backend"] == "dask" and out["where"]["local"] and out["where"]["partitions"] == 1
    assert out["best_round"] == local["best_round"] and set(out["dask_seconds"]) >= {"startup", "training"}
    for part in ("valid", "test"):
        for name, value in local[part].items():
            assert out[part][name] == pytest.approx(value, abs=1e-6), (part, name)


def test_unreachable_dask_scheduler_is_one_line_and_status_3(csv, capsys):
    pytest.importorskip("distributed")
    code = main([str(csv), "--target", "bought", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9", "--json"])
    assert code == 3 and "did not answer" in capsys.readouterr().err


def test_runs_as_a_module(csv):
    done = subprocess.run([sys.executable, "-m", "engine.tabular", str(csv), "--target", "bought", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 500
