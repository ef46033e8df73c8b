"""engine.tabular.export: the JSON model predicts as the trainer does, and the exported script, run on its
own with the same CSV, retrains the same model (same best round, same predictions)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from engine.tabular import TableError, TabularConfig, fit, make_table, read_csv, split_rows
from engine.tabular.export import model_json, predict_rows, retrain_script


def _csv(tmp_path, target_kind="text", european=False):
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    score = x + (colour == "red") + rng.normal(scale=0.8, size=n)
    colour[rng.random(n) < 0.1] = None
    x[rng.random(n) < 0.05] = np.nan
    y = np.where(score > 0.3, "buy", "pass") if target_kind == "text" else score
    path = tmp_path / "clients.csv"
    df = pd.DataFrame({"x [cm]": x, "colour": colour, "noise": rng.normal(size=n), "y": y})
    if european:  # decimal commas, ';' between fields, infinite values and rows without a target
        df.loc[rng.random(n) < 0.02, "x [cm]"] = np.inf
        df.loc[[5, 77, 300], "y"] = None
        df.to_csv(path, index=False, sep=";", decimal=",")
    else:
        df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("categorical", "target_kind", "european"), [
    ("native", "text", False), ("onehot", "text", False), ("native", "number", False), ("native", "text", True),
    ("native", "number", True)])
def test_the_exported_script_retrains_the_same_model(tmp_path, categorical, target_kind, european):
    path = _csv(tmp_path, target_kind, european)
    table = make_table(read_csv(path), "y", drop=("noise",), drop_missing_target=european)
    assert european == any("decimal commas" in note for note in table.notes)
    split = split_rows(table, seed=4)
    config = TabularConfig(max_depth=3, learning_rate=0.3, subsample=0.8, early_stopping=5, seed=4,
                           categorical=categorical)
    trainer = fit(table, split, config)
    script = retrain_script(config, path.name, "y", drop=("noise",), kinds=table.kinds, task=table.task,
                            class_names=table.class_names, n_classes=table.n_classes,
                            decimal_commas=table.decimal_commas)
    (tmp_path / "retrain.py").write_text(script)
    done = subprocess.run([sys.executable, "retrain.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["best_round"] == trainer.best_round_
    retrained = xgb.Booster(model_file=str(tmp_path / "model.json"))
    np.testing.assert_allclose(retrained.predict(trainer.matrix("valid")), trainer.predict("valid"), atol=1e-6)


def test_model_json_predicts_like_the_trainer(tmp_path):
    table = make_table(read_csv(_csv(tmp_path)), "y")
    trainer = fit(table, split_rows(table), TabularConfig(max_depth=2, early_stopping=3))
    blob = model_json(trainer)
    assert json.loads(blob)["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] == str(
        trainer.rounds_used)
    booster = xgb.Booster(model_file=bytearray(blob))
    np.testing.assert_array_equal(booster.predict(trainer.matrix("valid")), trainer.predict("valid"))


@pytest.mark.parametrize("categorical", ["native", "onehot"])
def test_predictions_for_new_rows_are_the_models_own(tmp_path, categorical):
    """The test rows, uploaded again as new rows without their target, get the trainer's own probabilities."""
    path = _csv(tmp_path)
    raw = read_csv(path)
    table = make_table(raw, "y")
    split = split_rows(table, seed=1)
    trainer = fit(table, split, TabularConfig(max_depth=3, early_stopping=5, categorical=categorical))
    new = raw.iloc[split.test].drop(columns="y").reset_index(drop=True).assign(id=np.arange(len(split.test)))
    out, notes = predict_rows(trainer, new, keep=("id",))
    assert notes == [] and list(out.columns) == ["id", "predicted y", "probability y=pass"]
    np.testing.assert_allclose(out["probability y=pass"], trainer.predict(split.test), atol=1e-6)
    assert (out["predicted y"] == np.where(trainer.predict(split.test) >= 0.5, "pass", "buy")).all()


def test_new_rows_with_unseen_categories_bad_numbers_or_missing_columns(tmp_path):
    raw = read_csv(_csv(tmp_path))
    table = make_table(raw, "y")
    trainer = fit(table, split_rows(table), TabularConfig(max_depth=3, early_stopping=5))
    rows = raw.iloc[:4].drop(columns="y").reset_index(drop=True)
    odd = rows.copy()
    odd = odd.astype({"colour": object, "x [cm]": object})
    odd.loc[0, "colour"] = "purple"  # never seen in training: goes where a missing colour goes
    odd.loc[1, "x [cm]"] = "tall"
    odd.loc[2, "x [cm]"] = np.inf
    out, notes = predict_rows(trainer, odd)
    blank = rows.copy()
    blank["colour"] = blank["colour"].astype(object)
    blank.loc[0, "colour"] = None
    blank.loc[[1, 2], "x [cm]"] = np.nan
    expected, _ = predict_rows(trainer, blank)
    np.testing.assert_allclose(out.iloc[:, 1], expected.iloc[:, 1], atol=1e-7)
    assert any("'colour': 1 row has a value training never saw ('purple')" in n for n in notes), notes
    assert any("'x [cm]': 2 values that are not a usable number" in n for n in notes), notes
    with pytest.raises(TableError, match="lack 1 of the model's columns: 'colour'"):
        predict_rows(trainer, rows.drop(columns="colour"))


def test_new_rows_of_a_multiclass_and_a_regression_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    df = pd.DataFrame({"x": x, "kind": np.digitize(x + rng.normal(scale=0.3, size=300), [-0.5, 0.5]).astype(str)})
    table = make_table(df, "kind")
    trainer = fit(table, split_rows(table), TabularConfig(max_depth=2, early_stopping=5))
    out, _ = predict_rows(trainer, pd.DataFrame({"x": [-2.0, 0.0, 2.0]}))
    assert list(out.columns) == ["predicted kind", "probability kind=0", "probability kind=1", "probability kind=2"]
    assert list(out["predicted kind"]) == ["0", "1", "2"]
    np.testing.assert_allclose(out.iloc[:, 1:].sum(axis=1), 1.0, atol=1e-6)
    reg = make_table(pd.DataFrame({"x": x, "v": 3 * x + rng.normal(scale=0.1, size=300)}), "v", check_leaks=False)
    trainer = fit(reg, split_rows(reg), TabularConfig(max_depth=3, early_stopping=5))
    out, _ = predict_rows(trainer, pd.DataFrame({"x": [-1.0, 1.0]}))
    assert list(out.columns) == ["predicted v"] and out["predicted v"][0] < -2 and out["predicted v"][1] > 2
