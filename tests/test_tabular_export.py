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

from engine.tabular import TabularConfig, fit, make_table, read_csv, split_rows
from engine.tabular.export import model_json, retrain_script


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
