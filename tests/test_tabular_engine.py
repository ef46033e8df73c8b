"""engine.tabular: the split, the live XGBoost trainer against xgb.train, SHAP, categories, missing values,
the leakage lesson and pickling (see tests/test_tabular_inputs.py for bad tables, test_tabular_search.py
for the search)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from engine import snapshots
from engine.tabular import (
    TabularConfig,
    TabularTrainer,
    compare_categorical,
    fit,
    importance,
    leakage_lesson,
    load_bank,
    make_table,
    shap_values,
    split_rows,
    trees_frame,
)

QUICK = TabularConfig(max_depth=3, learning_rate=0.3, early_stopping=10, n_rounds=200)


@pytest.fixture(scope="module")
def bank():
    return snapshots.shared(load_bank)


@pytest.fixture(scope="module")
def bank_split(bank):
    return split_rows(bank, seed=0)


# ------------------------------------------------------------------------------------------ split
def test_split_is_stratified_seeded_and_disjoint(bank):
    split = split_rows(bank, seed=3, valid=0.2, test=0.2)
    parts = (split.train, split.valid, split.test)
    assert sum(map(len, parts)) == bank.n_rows
    assert len(np.unique(np.concatenate(parts))) == bank.n_rows
    for part, share in ((split.valid, 0.2), (split.test, 0.2)):
        for klass in (0, 1):
            total = int((bank.y == klass).sum())
            assert abs(int((bank.y[part] == klass).sum()) - share * total) <= 1  # each class to the row
    again = split_rows(bank, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(parts, (again.train, again.valid, again.test), strict=True))
    other = split_rows(bank, seed=4)
    assert not np.array_equal(split.test, other.test)


def test_split_puts_a_rare_class_in_every_part():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=60), "y": ["a"] * 55 + ["b"] * 5})
    table = make_table(df, "y", check_leaks=False)
    split = split_rows(table, seed=0)
    for part in (split.train, split.valid, split.test):
        assert (table.y[part] == 1).any()


# ------------------------------------------------------------------------------------------ early stopping
def test_best_round_equals_xgboost_best_iteration(bank, bank_split):
    config = TabularConfig(max_depth=4, learning_rate=0.3, subsample=0.8, colsample_bytree=0.8,
                           early_stopping=8, n_rounds=300, seed=5)
    trainer = fit(bank, bank_split, config)
    dtrain, dvalid = trainer.matrix("train"), trainer.matrix("valid")
    evals_result: dict = {}
    oracle = xgb.train(trainer.params_, dtrain, num_boost_round=config.n_rounds,
                       evals=[(dtrain, "train"), (dvalid, "valid")], early_stopping_rounds=config.early_stopping,
                       evals_result=evals_result, verbose_eval=False)
    assert trainer.best_round_ == oracle.best_iteration
    assert trainer.rounds_ == oracle.num_boosted_rounds()
    assert trainer.status_ == "done" and "Early stopping" in trainer.message_
    assert [h["valid"]["logloss"] for h in trainer.history_] == pytest.approx(evals_result["valid"]["logloss"])
    np.testing.assert_array_equal(
        trainer.predict("valid"), oracle.predict(dvalid, iteration_range=(0, oracle.best_iteration + 1)))


def test_early_stopping_on_auc_maximises(bank, bank_split):
    trainer = fit(bank, bank_split, TabularConfig(max_depth=2, learning_rate=0.5, early_stopping=5, metric="auc"))
    aucs = [h["valid"]["auc"] for h in trainer.history_]
    assert trainer.best_round_ == int(np.argmax(aucs))
    assert trainer.rounds_ - 1 - trainer.best_round_ == 5


# ------------------------------------------------------------------------------------------ SHAP
@pytest.mark.parametrize("categorical", ["native", "onehot"])
def test_shap_rows_sum_to_the_margin(categorical):
    table = snapshots.shared(load_bank, unknown_as_missing=True)  # categories and missing values
    split = split_rows(table, seed=1)
    trainer = fit(table, split, TabularConfig(max_depth=4, learning_rate=0.3, early_stopping=5,
                                              categorical=categorical))
    rows = split.valid[:500]
    contribs, bias = shap_values(trainer, rows)
    assert contribs.shape == (500, len(table.features))
    margin = trainer.predict(rows, margin=True)
    np.testing.assert_allclose(contribs.sum(axis=1) + bias, margin, rtol=0, atol=1e-4)
    assert np.abs(contribs).sum(axis=0).min() >= 0 and np.abs(contribs).sum() > 1


def test_shap_multiclass_sums_per_class():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    df = pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=np.digitize(x[:, 0] + 0.5 * rng.normal(size=300), [-.5, .5]))
    table = make_table(df, "y", check_leaks=False)
    trainer = fit(table, split_rows(table), TabularConfig(max_depth=2, n_rounds=10, early_stopping=0))
    contribs, bias = shap_values(trainer, "valid")
    assert contribs.shape[1:] == (3, 3)
    np.testing.assert_allclose(contribs.sum(-1) + bias, trainer.predict("valid", margin=True), atol=1e-4)
    one, one_bias = shap_values(trainer, "valid", class_index=2)
    np.testing.assert_array_equal(one, contribs[:, 2])


# ------------------------------------------------------------------------------------------ categories
def test_native_and_onehot_agree_where_they_must():
    """Stumps on one column of three categories, some missing: XGBoost's native split on so few categories is
    one category against the rest, the same cut one-hot offers, and both learn where missing values go
    (here with "red", whose rows they resemble; a one-hot that wrote 0 for missing would send them to the rest)."""
    rng = np.random.default_rng(0)
    n = 600
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    gone = rng.random(n) < 0.15
    y = np.where((colour == "red") | gone, rng.random(n) < 0.9, rng.random(n) < 0.2).astype(int)
    colour[gone] = None
    table = make_table(pd.DataFrame({"colour": colour, "y": y}), "y", check_leaks=False)
    assert table.kinds == {"colour": "categorical"}
    split = split_rows(table, seed=0)
    config = TabularConfig(max_depth=1, learning_rate=0.3, n_rounds=15, early_stopping=0)
    native = fit(table, split, config)
    onehot = fit(table, split, TabularConfig(**{**config.__dict__, "categorical": "onehot"}))
    assert native.feature_names_ == ["colour"] and len(onehot.feature_names_) == 3
    np.testing.assert_allclose(native.predict("valid"), onehot.predict("valid"), rtol=0, atol=1e-6)
    np.testing.assert_allclose(native.predict(split.test), onehot.predict(split.test), rtol=0, atol=1e-6)
    missing = split.test[table.X["colour"].isna().to_numpy()[split.test]]
    assert len(missing) and native.predict(missing).min() > 0.7  # sent where the positive rows go


def test_compare_categorical_is_two_real_fits(bank, bank_split):
    result = compare_categorical(bank, bank_split, QUICK)
    native, onehot = result["native"], result["onehot"]
    assert native["n_columns"] == 16 and onehot["n_columns"] > 40  # one column per category
    assert native["trainer"].config.categorical == "native" and onehot["trainer"].config.categorical == "onehot"
    assert native["score"] == fit(bank, bank_split, QUICK).scores("valid")
    assert native["score"] != onehot["score"] and native["seconds"] > 0 and onehot["n_trees"] > 0


# ------------------------------------------------------------------------------------------ missing values
def test_missing_values_follow_the_learned_default_direction():
    """A stump on one feature: rows with x missing are mostly positive, like x > 3; check by hand that a
    missing x gets the leaf of the child the tree dump names as ``missing`` (a missing value read as 0
    would fall on the negative side)."""
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=n) + 3
    y = (x > 3).astype(int)
    gone = rng.random(n) < 0.2
    y[gone] = (rng.random(gone.sum()) < 0.9).astype(int)
    x[gone] = np.nan
    table = make_table(pd.DataFrame({"x": x, "y": y}), "y", check_leaks=False)
    split = split_rows(table, seed=0)
    trainer = fit(table, split, TabularConfig(max_depth=1, n_rounds=1, early_stopping=0))
    nodes = trees_frame(trainer)
    root = nodes[nodes["Node"] == 0].iloc[0]
    leaves = nodes[nodes["Feature"] == "Leaf"].set_index("ID")["Gain"]  # a leaf's value is in Gain
    threshold = root["Split"]
    assert 2.5 < threshold < 3.5
    assert root["Missing"] == root["No"] and root["Default"] == "right"  # with the positive side, x >= split
    below = leaves[root["Yes"]]
    above = leaves[root["No"]]
    assert above > 0 > below
    rows = split.valid
    margin = trainer.predict(rows, margin=True)
    xs = table.X["x"].to_numpy()[rows]
    base = margin[xs < threshold][0] - below
    np.testing.assert_allclose(margin[np.isnan(xs)], base + leaves[root["Missing"]], atol=1e-6)
    np.testing.assert_allclose(margin[xs >= threshold], base + above, atol=1e-6)


# ------------------------------------------------------------------------------------------ leakage
def test_leakage_lesson_scores_come_from_two_real_fits(bank, bank_split):
    lesson = leakage_lesson(bank, bank_split, QUICK, feature="duration")
    with_it, without = lesson["with"], lesson["without"]
    assert "duration" in with_it["trainer"].table.features
    assert "duration" not in without["trainer"].table.features
    assert with_it["score"] == fit(bank, bank_split, QUICK).scores("valid")
    assert without["score"] == fit(bank.without(["duration"]), bank_split, QUICK).scores("valid")
    assert with_it["score"]["auc"] > without["score"]["auc"] + 0.05  # the call's length flatters the model


# ------------------------------------------------------------------------------------------ importance
@pytest.mark.parametrize("kind", ["gain", "cover", "weight"])
def test_importance_matches_xgboost_per_feature(bank, bank_split, kind):
    trainer = fit(bank, bank_split, QUICK)
    scores = importance(trainer, kind)
    assert set(scores.index) == set(bank.features) and scores.is_monotonic_decreasing
    own = trainer.best_booster().get_score(importance_type=kind)
    for name, value in own.items():
        assert scores[name] == pytest.approx(value)


# ------------------------------------------------------------------------------------------ test rows
def test_test_rows_are_scored_once_at_the_end(bank, bank_split):
    trainer = TabularTrainer(bank, bank_split, QUICK)
    trainer.step(0.01)
    assert not trainer.test_scored_
    first = trainer.score_test()
    assert trainer.test_scored_ and trainer.finished  # scoring the test rows ends the run
    assert trainer.step(1.0) == 0
    assert trainer.score_test() == first
    assert set(first) == {"auc", "logloss", "error", "accuracy"}


# ------------------------------------------------------------------------------------------ pickling
def _same_run(a: TabularTrainer, b: TabularTrainer) -> None:
    assert a.history_ == [{**h, "seconds": a.history_[i]["seconds"]} for i, h in enumerate(b.history_)]
    assert a.best_round_ == b.best_round_ and a.status_ == b.status_
    assert a.booster_.save_raw("json") == b.booster_.save_raw("json")


def test_a_pickled_run_continues_identically(bank, bank_split):
    config = TabularConfig(max_depth=4, learning_rate=0.3, subsample=0.7, colsample_bytree=0.7, n_rounds=30,
                           early_stopping=0, seed=11)
    straight = TabularTrainer(bank, bank_split, config)
    while straight.rounds_ < 30:
        straight.step(0.0)
    moved = TabularTrainer(bank, bank_split, config)
    for _ in range(3):  # to a worker and back, three times
        for _ in range(5):
            moved.step(0.0)
        blob = snapshots.dumps(moved)
        assert len(blob) < 150_000  # the shared Bank Marketing table travels as its recipe, not its rows
        moved = snapshots.loads(blob)
        assert moved.table is bank
    while moved.rounds_ < 30:
        moved.step(0.0)
    _same_run(moved, straight)
    np.testing.assert_array_equal(moved.predict("valid"), straight.predict("valid"))


def test_interleaved_runs_do_not_share_a_random_stream(bank, bank_split):
    config = TabularConfig(max_depth=3, subsample=0.6, colsample_bytree=0.6, n_rounds=12, early_stopping=0, seed=2)
    alone = fit(bank, bank_split, config)
    a, b = TabularTrainer(bank, bank_split, config), TabularTrainer(bank, bank_split, config)
    while not (a.finished and b.finished):
        a.step(0.0)
        b.step(0.0)
    _same_run(a, alone)
    _same_run(b, alone)


def test_live_view_is_light_and_carries_what_the_page_draws(bank, bank_split):
    trainer = TabularTrainer(bank, bank_split, QUICK)
    trainer.step(0.05)
    view = snapshots.loads(snapshots.dumps(trainer.live_view()))
    assert len(snapshots.dumps(trainer.live_view())) < 50_000
    assert view.history_ == trainer.history_ and view.best_round_ == trainer.best_round_
    assert view.progress == trainer.progress and view.patience == 10 and not view.finished


# ------------------------------------------------------------------------------------------ config
def test_config_clamps_and_round_trips_through_a_link():
    config, notes = TabularConfig.from_query({"max_depth": "99", "learning_rate": "abc", "categorical": "onehot",
                                              "metric": "auc", "other": "x"})
    assert config.max_depth == 12 and config.learning_rate == 0.1 and config.categorical == "onehot"
    assert len(notes) == 2
    assert TabularConfig.from_query(config.to_query())[0] == config
    with pytest.raises(ValueError):
        TabularConfig(max_depth=0)
    with pytest.raises(ValueError, match="does not apply"):
        TabularTrainer(make_table(pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0) ** 1.5}), "y",
                                  check_leaks=False), None, TabularConfig(metric="auc"))


def test_importing_the_engine_stays_light():
    code = ("import sys, engine.tabular; heavy = [m for m in ('xgboost', 'optuna', 'pyspark', 'torch') "
            "if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cuda_falls_back_to_the_cpu_with_a_note_where_there_is_none(bank, bank_split):
    from engine.tabular.trainer import cuda_available

    if cuda_available():
        pytest.skip("a CUDA GPU and a CUDA build of XGBoost are present")
    trainer = TabularTrainer(bank, bank_split, TabularConfig(device="cuda", n_rounds=2, early_stopping=0))
    assert trainer.device_ == "cpu" and trainer.params_["device"] == "cpu"
    assert "No CUDA GPU" in trainer.notes_[0]
    trainer.step(1.0)
    assert trainer.rounds_ >= 1
    assert TabularTrainer(bank, bank_split, TabularConfig(device="auto")).notes_ == []


def test_cuda_is_seen_only_with_a_cuda_build_a_driver_and_visible_devices(monkeypatch):
    import xgboost as xgb

    from engine.tabular import trainer as T

    def seen(use_cuda: bool, driver: bool, visible: str | None) -> bool:
        monkeypatch.setattr(xgb, "build_info", lambda: {"USE_CUDA": use_cuda})
        monkeypatch.setattr(T.os.path, "exists", lambda path: driver and path == "/dev/nvidiactl")
        monkeypatch.setattr(T.shutil, "which", lambda name: None)
        if visible is None:
            monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        else:
            monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
        T.cuda_available.cache_clear()
        return T.cuda_available()

    try:
        assert seen(True, True, None) and seen(True, True, "0")
        assert T.resolve_device("auto") == ("cuda", None)
        assert not seen(False, True, None)  # xgboost-cpu
        assert not seen(True, False, None)  # the CUDA build on a machine without a driver
        assert not seen(True, True, "") and not seen(True, True, "-1")  # GPUs hidden
        assert T.resolve_device("cuda")[0] == "cpu"
        assert seen(True, True, None) and T.TabularConfig().device == "auto"  # the page's default uses the GPU...
        assert T.resolve_device("auto") == ("cuda", None) and T.resolve_device("cpu") == ("cpu", None)
        monkeypatch.setenv("ML_PLAYGROUND_DEVICE", "cpu")  # ...unless the server says CPU, as for torch
        assert T.resolve_device("auto") == ("cpu", None) and T.resolve_device("cuda") == ("cuda", None)
    finally:
        monkeypatch.undo()
        T.cuda_available.cache_clear()


def test_shap_of_the_validation_rows_is_computed_once_per_model(bank, bank_split, monkeypatch):
    trainer = TabularTrainer(bank, bank_split, QUICK)
    trainer.step(0.0)
    first, _ = shap_values(trainer, "valid")
    calls = []
    real = type(trainer.booster_).predict
    monkeypatch.setattr(type(trainer.booster_), "predict", lambda self, *a, **k: calls.append(k) or real(self, *a, **k))
    again, _ = shap_values(trainer, "valid")
    assert calls == [] and again is not None
    np.testing.assert_array_equal(again, first)
    trainer.step(0.0)  # one more round: a new model, new values
    newer, bias = shap_values(trainer, "valid")
    assert len(calls) == 1
    np.testing.assert_allclose(newer.sum(1) + bias, trainer.predict("valid", margin=True), atol=1e-4)
