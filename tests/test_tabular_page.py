"""AppTest: the XGBoost-on-real-data page — the workflow on Bank Marketing, shared and tampered links, and every
bad upload (1 row, 10,000 columns, too large, not UTF-8, mixed types, a target with NaNs or one class).

Numbers the page shows are compared with the engine's own for the same table, split and settings, so a page
that ignored a control, or trained on other rows, would fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.tabular import keys as K
from engine.tabular import data as D
from engine.tabular.split import split_rows
from engine.tabular.trainer import TabularConfig, TabularTrainer, fit, importance, shap_values

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "tabular.py")
TIMEOUT = 180


def page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.warning, at.error, at.info, at.success, at.caption, at.markdown) for e in kind]
    return "\n".join(str(p) for p in parts)


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def run_of(at: AppTest):
    return at.session_state[K.RUN]


def bank(drop_duration: bool = True, unknown: bool = False) -> D.Table:
    return D.load_bank(unknown, ("duration",) if drop_duration else ())


def csv_bytes(df: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return df.to_csv(index=False).encode(encoding)


def small_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n)
    y = (x + (colour == "red") + rng.normal(scale=0.7, size=n)) > 0.5
    return pd.DataFrame({"x": x, "colour": colour, "noise": rng.normal(size=n),
                         "bought": np.where(y, "yes", "no")})


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key=K.DATASET).set_value("Your CSV").run()
    at.file_uploader(key=K.UPLOAD).set_value((name, data, "text/csv"))
    return at.run()


# ---------------------------------------------------------------- Bank Marketing, the default
def test_default_page_states_the_table_and_its_split():
    at = page()
    assert not at.exception
    assert at.radio(key=K.DATASET).value == "Bank Marketing"
    table = bank()
    split = split_rows(table, seed=0)
    shown = texts(at)
    assert f"{len(table.y):,} rows, {table.X.shape[1]} features" in shown
    assert "duration" not in table.features
    assert f"**{len(split.train):,}** training rows" in shown
    assert f"**{len(split.valid):,}** validation rows" in shown and f"**{len(split.test):,}** test rows" in shown
    assert "stratified by class, seed 0" in shown
    for key in (K.PLAY, K.PAUSE, K.STEP, K.RESET, K.SCORE_TEST):
        assert at.button(key=key) is not None
    assert at.button(key=K.SCORE_TEST).disabled  # nothing trained: the test rows stay unseen
    for key in ("max_depth", "n_rounds", "early_stopping", "subsample", "colsample_bytree"):
        assert at.slider(key=K.setting(key)).help, key
    for key in ("learning_rate", "reg_lambda", "reg_alpha", "min_child_weight"):
        assert at.select_slider(key=K.setting(key)).help, key
    assert at.radio(key=K.DATASET).help and at.toggle(key=K.UNKNOWN_MISSING).help


def test_step_trains_rounds_the_engine_would_train():
    at = page({K.SPEED: "slow"})
    at.button(key=K.STEP).click().run()
    assert not at.exception
    trainer = run_of(at).trainer
    assert isinstance(trainer, TabularTrainer) and trainer.history_
    n = len(trainer.history_)
    assert metric(at, "Rounds") == str(n)
    assert "XGBoost trains on the CPU (1 thread)." in texts(at)  # no GPU here (engine test: the GPU by default)
    # The same rounds from the engine directly, on the same table and split, give the same numbers.
    table = bank()
    reference = TabularTrainer(table, split_rows(table, 0), TabularConfig())
    while len(reference.history_) < n:
        reference.step(0.0)
    assert reference.history_[n - 1]["valid"] == pytest.approx(trainer.history_[n - 1]["valid"])
    assert at.get("tabular_curve_logloss") is not None or "Log-loss train" in texts(at)
    at.button(key=K.STEP).click().run()
    assert len(run_of(at).trainer.history_) > n


def test_train_to_the_end_marks_the_best_round_and_scores_the_test_set_once():
    at = page({K.setting("max_depth"): "3", K.setting("early_stopping"): "5", K.SPEED: "fast"})
    config = TabularConfig(max_depth=3, early_stopping=5)
    for _ in range(40):
        at.button(key=K.STEP).click().run()
        if run_of(at).trainer.finished:
            break
    assert not at.exception
    trainer = run_of(at).trainer
    assert trainer.config == config and trainer.finished
    reference = fit(bank(), split_rows(bank(), 0), config)
    assert trainer.best_round_ == reference.best_round_
    assert len(trainer.history_) == len(reference.history_) == reference.best_round_ + 1 + 5
    at.run()  # the run settles: its message and the best round
    assert metric(at, "Best round") == str(reference.best_round_ + 1)
    assert "Early stopping" in texts(at)
    button = at.button(key=K.SCORE_TEST)
    assert not button.disabled
    button.click().run()
    scores = reference.score_test()
    shown = texts(at)
    assert f"AUC **{scores['auc']:.4f}**" in shown and f"Log-loss **{scores['logloss']:.4f}**" in shown
    assert at.button(key=K.SCORE_TEST).disabled  # once


def test_explain_shows_importance_and_the_row_that_adds_up_to_the_margin():
    at = page({K.setting("max_depth"): "3", K.setting("early_stopping"): "5", K.VIEW: "Explain",
               K.IMPORTANCE_KIND: "cover", K.SHAP_ROW: "7"})
    at.button(key=f"{K.FIT_NOW}_explain").click().run()
    assert not at.exception
    reference = fit(bank(), split_rows(bank(), 0), TabularConfig(max_depth=3, early_stopping=5))
    top = importance(reference, "cover").index[0]
    assert "By cover" in texts(at) and f"**{top}** comes first" in texts(at)
    contribs, bias = shap_values(reference, rows="valid")
    margin = float(bias[7] + contribs[7].sum())
    assert f"margin {margin:+.3f}" in texts(at)
    assert "Why this client?" in texts(at)
    assert at.selectbox(key=K.SHAP_FEATURE).value == reference.table.features[
        int(np.argmax(np.abs(contribs).mean(axis=0)))]


def test_unknown_as_missing_says_what_changes():
    at = page({K.UNKNOWN_MISSING: "true"})
    assert not at.exception
    assert at.toggle(key=K.UNKNOWN_MISSING).value is True
    plain, missing = bank(unknown=False), bank(unknown=True)
    shown = texts(at)
    for column in ("job", "education", "contact", "poutcome"):
        count = int(missing.X[column].isna().sum())
        assert count > int(plain.X[column].isna().sum())
        assert f"{column} {count:,}" in shown
    assert f"{int(missing.X.isna().sum().sum()):,} missing values" in shown


def test_a_shared_link_restores_the_settings():
    query = {K.setting("max_depth"): "3", K.setting("learning_rate"): "0.3", K.setting("early_stopping"): "7",
             K.setting("categorical"): "One-hot", K.setting("seed"): "4", K.DROP_DURATION: "false"}
    at = page(query)
    assert not at.exception
    assert at.slider(key=K.setting("max_depth")).value == 3
    assert at.select_slider(key=K.setting("learning_rate")).value == 0.3
    assert at.slider(key=K.setting("early_stopping")).value == 7
    assert at.radio(key=K.setting("categorical")).value == "One-hot"
    assert at.number_input(key=K.setting("seed")).value == 4
    assert at.toggle(key=K.DROP_DURATION).value is False
    assert "16 features" in texts(at) and "seed 4" in texts(at)
    at.button(key=K.STEP).click().run()
    assert run_of(at).trainer.config == TabularConfig(max_depth=3, learning_rate=0.3, early_stopping=7,
                                                      categorical="onehot", seed=4)


@pytest.mark.parametrize("query", [
    {K.setting("max_depth"): "abc", K.setting("learning_rate"): "7", K.DATASET: "evil",
     K.setting("categorical"): "both"},
    {K.setting("n_rounds"): "-5", K.setting("seed"): "1e99", K.VIEW: "nowhere", K.SHAP_ROW: "-3"},
])
def test_a_tampered_link_falls_back_to_valid_settings(query):
    at = page(query)
    assert not at.exception
    at.button(key=K.STEP).click().run()
    assert not at.exception
    assert isinstance(run_of(at).trainer, TabularTrainer)


def test_the_two_fit_lessons_come_from_two_fits():
    at = page({K.VIEW: "Leakage", K.setting("max_depth"): "3"})
    at.button(key=K.LEAK_RUN).click().run()
    assert not at.exception
    values = [float(metric) for metric in (m.value for m in at.metric if m.label == "Validation AUC")]
    assert len(values) == 2 and values[0] > values[1] + 0.05  # duration leaks: with it looks far better
    at = page({K.VIEW: "Compare encodings", K.setting("max_depth"): "3"})
    at.button(key=K.COMPARE_RUN).click().run()
    assert not at.exception
    shown = texts(at)
    assert "**Native categories**: 15 columns" in shown
    onehot_columns = sum(len(bank().X[c].cat.categories) if k == "categorical" else 1
                         for c, k in bank().kinds.items())
    assert f"**One-hot columns**: {onehot_columns} columns" in shown


# ---------------------------------------------------------------- your CSV
def test_upload_pick_a_target_and_train():
    at = page()
    at = upload(at, "shop.csv", csv_bytes(small_table()))
    assert not at.exception and not errors(at)
    assert widget(at.selectbox, K.TARGET).value == "bought"
    assert "**shop.csv**: 300 rows, 3 features (1 categorical, 2 numeric)" in texts(at)
    at.button(key=K.STEP).click().run()
    trainer = run_of(at).trainer
    assert isinstance(trainer, TabularTrainer) and trainer.table.target == "bought" and trainer.history_
    # Override a kind: ignore "noise"; the trainer then sees two features.
    ignored = widget(at.multiselect, K.IGNORED)
    ignored.set_value(["noise"]).run()
    assert "2 features" in texts(at)
    assert run_of(at).trainer is None  # other data: the old run is dropped
    at.button(key=K.STEP).click().run()
    assert run_of(at).trainer.table.features == ["x", "colour"]


def test_a_kaggle_zip_is_unpacked():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("train.csv", csv_bytes(small_table()))
    at = upload(page(), "train.csv.zip", buffer.getvalue())
    assert not at.exception and not errors(at), errors(at)
    assert "**train.csv.zip**: 300 rows, 3 features" in texts(at) and "Unpacked train.csv from the ZIP." in texts(at)


def test_the_task_can_be_chosen_when_the_guess_is_wrong():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    stars = np.clip(np.round(3 + x + rng.normal(scale=0.5, size=300)), 1, 5).astype(int)  # guessed: 5 classes
    at = upload(page(), "reviews.csv", csv_bytes(pd.DataFrame({"x": x, "length": rng.normal(size=300),
                                                               "stars": stars})))
    assert widget(at.selectbox, K.TARGET).value == "stars"  # no usual name: the last column
    assert "target **stars** (5 classes)" in texts(at)
    widget(at.selectbox, K.TASK).set_value("Regression").run()
    assert not at.exception and "target **stars** (regression)" in texts(at)
    at.button(key=K.STEP).click().run()
    assert run_of(at).trainer.table.task == "regression" and "rmse" in run_of(at).trainer.history_[0]["valid"]
    widget(at.selectbox, K.TARGET).set_value("length").run()  # another target: the guess again
    assert widget(at.selectbox, K.TASK).value == "Automatic" and "(regression)" in texts(at)
    widget(at.selectbox, K.TASK).set_value("Classification").run()
    assert any("300 different values" in e for e in errors(at)), errors(at)


def widget(widgets, prefix: str):
    """The one widget whose key starts with ``prefix`` (the CSV's pickers are keyed per file)."""
    found = [w for w in widgets if str(w.key).startswith(prefix)]
    assert len(found) == 1, [w.key for w in widgets]
    return found[0]


BAD = {
    "one row": (b"x,bought\n1,yes\n", "1 row"),
    "10,000 columns": ((",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join(["1"] * 10_000) + "\n").encode(),
                       "10,000 columns"),
    "binary bytes": (bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)), "not a text CSV"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_file_gets_a_message_and_the_page_keeps_working(name):
    data, expected = BAD[name]
    at = upload(page(), "bad.csv", data)
    assert not at.exception
    assert any(expected in e for e in errors(at)), errors(at)
    assert at.button(key=K.PLAY).disabled and at.button(key=K.STEP).disabled
    at.radio(key=K.DATASET).set_value("Bank Marketing").run()  # nothing is lost: the bundled data still trains
    assert not at.exception and not errors(at)
    at.button(key=K.STEP).click().run()
    assert run_of(at).trainer.history_


def test_a_file_over_200_mb_is_refused_with_its_size():
    big = b"x,bought\n" + b"1,yes\n" * (201 * 2**20 // 6)
    at = upload(page(), "huge.csv", big)
    assert not at.exception
    assert any("takes files up to 200 MB" in e and "huge.csv is 201 MB" in e for e in errors(at)), errors(at)


def test_a_latin_1_file_is_read_with_a_note():
    df = small_table()
    df["colour"] = df["colour"].replace({"red": "rouge foncé"})
    at = upload(page(), "accents.csv", csv_bytes(df, "latin-1"))
    assert not at.exception and not errors(at)
    assert "not UTF-8" in texts(at)
    at.button(key=K.STEP).click().run()
    assert "rouge foncé" in list(run_of(at).trainer.table.X["colour"].cat.categories)


def test_mixed_types_in_a_column():
    df = small_table().astype({"x": object})
    df.loc[5, "x"] = "oops"
    at = upload(page(), "mixed.csv", csv_bytes(df))
    assert not at.exception and not errors(at)
    assert "column 'x' ignored" in texts(at)  # the engine's note: text among numbers
    # Forcing it to be used as a number is refused with the reason; choosing categorical works.
    ignored = widget(at.multiselect, K.IGNORED)
    ignored.set_value([]).run()
    assert any("'x' is set to numeric" in e and "'oops'" in e for e in errors(at)), errors(at)
    categorical = widget(at.multiselect, K.CATEGORICAL)
    categorical.set_value(["colour", "x"]).run()
    assert not errors(at) and not at.exception


def test_a_target_with_missing_values_or_one_class():
    df = small_table().astype({"bought": object})
    df.loc[[3, 7], "bought"] = None
    at = upload(page(), "gaps.csv", csv_bytes(df))
    assert not at.exception
    assert any("missing in 2 rows" in e for e in errors(at)), errors(at)
    widget(at.checkbox, K.DROP_EMPTY_TARGET).check().run()
    assert not errors(at) and "298 rows" in texts(at) and "2 rows without a value" in texts(at)

    df = small_table()
    df["bought"] = "yes"
    at = upload(page(), "one.csv", csv_bytes(df))
    assert any("one class only" in e for e in errors(at)), errors(at)
    assert at.button(key=K.STEP).disabled and not at.exception


def test_a_leaking_column_is_named():
    df = small_table()
    df["refund"] = df["bought"]
    at = upload(page(), "leak.csv", csv_bytes(df))
    widget(at.selectbox, K.TARGET).set_value("bought").run()
    assert any("'refund' predicts 'bought'" in e for e in errors(at)), errors(at)
    ignored = widget(at.multiselect, K.IGNORED)
    ignored.set_value(["refund"]).run()
    assert not errors(at) and not at.exception


# ---------------------------------------------------------------- the digits and the tools
def test_the_digits_use_the_digit_pages_validation_rows():
    at = page({K.DATASET: "Digit Recognizer", K.setting("n_rounds"): "10", K.setting("max_depth"): "2"})
    assert not at.exception
    shown = texts(at)
    assert "5,000 rows, 784 features" in shown and "the digit page's own" in shown
    from engine.digits.data import stratified_split

    table = D.load_digits_table()
    _, cnn_valid = stratified_split(np.asarray(table.y), 0.1, 0)
    assert f"**{len(cnn_valid):,}** validation rows" in shown


def test_export_offers_the_model_and_the_retrain_script():
    pytest.importorskip("engine.tabular.export")
    at = page({K.VIEW: "Export", K.setting("n_rounds"): "20"})
    at.button(key=f"{K.FIT_NOW}_export").click().run()
    assert not at.exception
    keys = {b.key for b in at.get("download_button")}
    assert {K.EXPORT_MODEL, K.EXPORT_SCRIPT} <= keys
    script = next(c.value for c in at.code)
    assert "bank-marketing.csv" in script and "xgboost" in script


def test_export_predicts_uploaded_rows_and_refuses_rows_without_the_models_columns():
    pytest.importorskip("engine.tabular.export")
    from engine.tabular.data import BANK_PATH
    from engine.tabular.export import predict_rows

    at = page({K.VIEW: "Export", K.setting("n_rounds"): "20"})
    at.button(key=f"{K.FIT_NOW}_export").click().run()
    clients = pd.read_csv(BANK_PATH).head(30).drop(columns="y")
    clients.insert(0, "client_id", np.arange(1000, 1030))
    at.file_uploader(key=K.PREDICT_UPLOAD).set_value(("next_week.csv", csv_bytes(clients), "text/csv")).run()
    assert not at.exception and not errors(at), errors(at)
    assert at.multiselect(key=K.PREDICT_KEEP).value == ["client_id"]
    preview = at.dataframe[-1].value
    expected, _ = predict_rows(run_of(at).trainer, D.read_csv(csv_bytes(clients)), keep=("client_id",))
    assert list(preview.columns) == ["client_id", "predicted y", "probability y=yes"]
    np.testing.assert_allclose(preview["probability y=yes"], expected["probability y=yes"][:10], atol=1e-7)
    assert K.PREDICT_DOWNLOAD in {b.key for b in at.get("download_button")}
    at.file_uploader(key=K.PREDICT_UPLOAD).set_value(
        ("short.csv", csv_bytes(clients.drop(columns=["age", "job"])), "text/csv")).run()
    assert not at.exception
    assert any("lack 2 of the model's columns: 'age', 'job'" in e for e in errors(at)), errors(at)
    at.file_uploader(key=K.PREDICT_UPLOAD).set_value(("photo.csv", BAD["binary bytes"][0], "text/csv")).run()
    assert not at.exception and any("not a text CSV" in e for e in errors(at)), errors(at)
    assert K.EXPORT_MODEL in {b.key for b in at.get("download_button")}  # the rest of the tab still works


def test_the_search_steps_through_trials_on_the_validation_rows_and_hands_over_the_best():
    at = page({K.VIEW: "Search", K.SEARCH_TRIALS: "3", K.setting("n_rounds"): "30", "tabular_search_speed": "fast"})
    for _ in range(30):
        at.button(key="tabular_search_step").click().run()
        if at.session_state[K.SEARCH_RUN_STATE].trainer.finished:
            break
    assert not at.exception
    search = at.session_state[K.SEARCH_RUN_STATE].trainer
    assert search.finished and sum(h["state"] == "complete" for h in search.history_) == 3
    assert len(search.split.test) == 0  # the trials never see a test row
    at.run()
    score, params, number = search.result_best()
    assert f"trial {number + 1}, validation Log-loss **{score:.4f}**" in texts(at)
    at.button(key=K.SEARCH_USE).click().run()
    assert at.slider(key=K.setting("max_depth")).value == params["max_depth"]
    from app.tabular.settings import PENALTIES

    nearest = min((p for p in PENALTIES if p > 0), key=lambda p: abs(np.log(p) - np.log(params["reg_lambda"])))
    assert at.select_slider(key=K.setting("reg_lambda")).value == nearest


def test_the_spark_tab_trains_on_local_spark_or_says_why_not():
    """A real local[2] session where Java and pyspark are present (the model equals the local one: one XGBoost
    worker sees the same rows in the same order); otherwise the reason, and the page keeps working."""
    at = page({K.VIEW: "Cluster", K.setting("max_depth"): "3", K.setting("learning_rate"): "0.3"})
    assert not at.exception
    try:
        from engine.tabular.spark import java_available
        ok, why = java_available()
    except ImportError as err:
        ok, why = False, str(err)
    if not ok:
        assert why.split(".")[0] in texts(at) and at.button(key=K.STEP) is not None
        return
    at.button(key=K.SPARK_RUN).click().run()
    assert not at.exception and not errors(at), errors(at)
    assert "Trained on master `local[2]`" in texts(at) and metric(at, "Partitions") == "1"
    assert "Spark's own UI: [http" in texts(at)
    reference = fit(bank(), split_rows(bank(), 0), TabularConfig(max_depth=3, learning_rate=0.3))
    assert metric(at, "Best round") == str(reference.best_round_ + 1)
    auc = reference.scores("valid")["auc"]
    assert f"AUC **{auc:.4f}**" in texts(at)


def test_the_cluster_tab_trains_on_a_local_dask_cluster(monkeypatch):
    """The Dask engine: a local cluster of two workers; one XGBoost worker gives the local model's best round and
    AUC, two (each with half of the rows) nearly the same AUC."""
    pytest.importorskip("distributed")
    from engine.tabular.dask_cluster import SCHEDULER_ENV

    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    at = page({K.VIEW: "Cluster", K.CLUSTER_ENGINE: "Dask", K.setting("max_depth"): "3",
               K.setting("learning_rate"): "0.3"})
    assert not at.exception
    at.button(key=K.DASK_RUN).click().run(timeout=120)
    assert not at.exception and not errors(at), errors(at)
    assert metric(at, "Workers") == "2" and metric(at, "Partitions") == "1"
    shown = texts(at)
    assert "Trained on scheduler `tcp://127.0.0.1:" in shown and "a local cluster, closed after the run" in shown
    reference = fit(bank(), split_rows(bank(), 0), TabularConfig(max_depth=3, learning_rate=0.3))
    assert metric(at, "Best round") == str(reference.best_round_ + 1)
    auc = reference.scores("valid")["auc"]
    assert f"AUC **{auc:.4f}**" in texts(at)
    # Two XGBoost workers, each with half of the rows: nearly the local model, not exactly.
    at.radio(key=K.CLUSTER_WORKERS).set_value(2).run()
    at.button(key=K.DASK_RUN).click().run(timeout=120)
    assert not at.exception and not errors(at), errors(at)
    assert metric(at, "Partitions") == "2"
    shown = float(re.search(r"Validation on Dask: AUC \*\*([0-9.]+)\*\*", texts(at)).group(1))
    assert abs(shown - auc) < 0.01


def test_a_cluster_run_waits_for_a_training_slot(monkeypatch):
    """A class server's slots are busy: the cluster run does not start and says so (it never starves the others)."""
    pytest.importorskip("distributed")
    from app.resources import training_slots
    from app.tabular import tools

    monkeypatch.setattr(tools, "CLUSTER_SLOT_WAIT", 0.1)
    at = page({K.VIEW: "Cluster", K.CLUSTER_ENGINE: "Dask"})
    slots = training_slots()
    holders = [slots.slot(f"other student {i}") for i in range(slots.slots)]
    for holder in holders:
        assert holder.__enter__().granted
    try:
        at.button(key=K.DASK_RUN).click().run(timeout=60)
    finally:
        for holder in holders:
            holder.__exit__(None, None, None)
    assert not at.exception
    assert any("the server is busy training other models" in e for e in errors(at)), errors(at)


def test_an_unreachable_dask_scheduler_is_reported(monkeypatch):
    pytest.importorskip("distributed")
    from engine.tabular.dask_cluster import SCHEDULER_ENV

    monkeypatch.setenv(SCHEDULER_ENV, "tcp://127.0.0.1:9")
    at = page({K.VIEW: "Cluster", K.CLUSTER_ENGINE: "Dask"})
    assert "tcp://127.0.0.1:9" in texts(at)
    at.button(key=K.DASK_RUN).click().run(timeout=120)
    assert not at.exception
    assert any("Dask could not train this model" in e and "did not answer" in e for e in errors(at)), errors(at)
    assert at.button(key=K.DASK_RUN) is not None  # the page keeps working: it can be tried again


def test_an_unreachable_spark_master_is_reported_and_local_is_only_used_on_request(monkeypatch):
    pytest.importorskip("pyspark")
    from engine.tabular.spark import MASTER_ENV, java_available

    if not java_available()[0]:
        pytest.skip("no Java: the Spark tab says so (see the test above)")
    monkeypatch.setenv(MASTER_ENV, "spark://127.0.0.1:9")  # nothing listens on the discard port
    at = page({K.VIEW: "Cluster", K.setting("max_depth"): "3"})
    at.button(key=K.SPARK_RUN).click().run()
    assert not at.exception
    assert any("Spark could not train this model" in e for e in errors(at)), errors(at)
    assert "Nothing ran elsewhere instead" in texts(at)
    at.button(key=K.SPARK_FALLBACK).click().run()
    assert not at.exception and not errors(at), errors(at)
    assert "Trained on master `local[2]`" in texts(at)


