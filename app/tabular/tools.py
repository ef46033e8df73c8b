"""The workflow's tools: the Optuna search (trials live, on the validation rows), the same run on Spark, and
the export of the model and of a script that retrains it outside the app.

The search and Spark modules of the engine import Optuna and PySpark; they are imported here only when
their tab is open, and a missing package or a missing Java is a message, never a crash.
"""

from __future__ import annotations

import math
import time

import pandas as pd
import streamlit as st

from app import html_view
from app.resources import training_slots
from app.tabular import keys as K
from app.tabular.figures import best_so_far_svg, metric_label
from app.tabular.settings import RATES
from engine.tabular.data import Table
from engine.tabular.split import Split
from engine.tabular.trainer import TabularConfig

SEARCH_SLOT_WAIT = 30.0
SEARCHED = ("max_depth", "learning_rate", "subsample", "colsample_bytree", "reg_lambda", "reg_alpha",
            "min_child_weight")


# ---------------------------------------------------------------- search
def _search_module():
    try:
        from engine.tabular import search
    except ImportError as err:
        return None, str(err)
    return search, None


def _trial_rows(trials: list) -> pd.DataFrame:
    rows = []
    for t in trials:
        record = t if isinstance(t, dict) else getattr(t, "__dict__", {})
        row = {"trial": record.get("number", len(rows)) + 1}
        row.update({k: v for k, v in (record.get("params") or {}).items()})
        for name in ("value", "best_round", "seconds"):
            if name in record:
                row[name] = record[name]
        rows.append(row)
    return pd.DataFrame(rows)


def _use_best(params: dict) -> None:
    """Copy the best trial's settings into the controls (a callback: runs before the widgets exist)."""
    for name, value in params.items():
        if name not in SEARCHED:
            continue
        if name == "learning_rate":
            value = min(RATES, key=lambda r: abs(math.log(r) - math.log(max(float(value), 1e-6))))
        elif name == "max_depth":
            value = int(value)
        else:
            step = 0.05 if name in ("subsample", "colsample_bytree") else 0.5
            value = round(round(float(value) / step) * step, 3)
        st.session_state[K.setting(name)] = value


def search_section(table: Table, split: Split, config: TabularConfig, signature: tuple, owner: str) -> None:
    with st.container(key=K.SEARCH_BOX):
        st.caption("Optuna's TPE sampler proposes settings for depth, learning rate, row and column subsample, "
                   "λ, α and minimum child weight; each trial is a full fit with early stopping, scored on the "
                   "**validation** rows only (the test rows are never given to the search).")
        module, error = _search_module()
        if module is None:
            st.info(f"The search is not available in this install ({error}). It needs `optuna` "
                    "(see requirements.txt).", icon="🧩")
            return
        a, b = st.columns(2)
        budget = a.radio("Budget", ["trials", "seconds"], key=K.SEARCH_BUDGET, horizontal=True, bind="query-params",
                         help="Stop after a number of trials, or when the time is up (the running trial finishes).")
        if budget == "trials":
            n = b.slider("Trials", 2, 100, 20, key=K.SEARCH_TRIALS, bind="query-params",
                         help="Each trial is one full fit on the training rows.")
            kwargs = {"n_trials": int(n)}
        else:
            s = b.slider("Seconds", 5, 300, 30, 5, key=K.SEARCH_SECONDS, bind="query-params",
                         help="Wall-clock budget for the whole search.")
            kwargs = {"seconds": float(s)}
        table_box, chart_box = st.empty(), st.empty()
        key = ("search", signature, config, tuple(sorted(kwargs.items())))
        if st.button("🔎 Run the search", key=K.SEARCH_RUN, type="primary",
                     help="Trials appear below as they finish. Pressing any other control stops the search."):
            trials: list = []
            progress = st.progress(0.0, text="Waiting for a training slot…")
            started = time.perf_counter()

            def on_trial(trial) -> None:
                trials.append(trial)
                rows = _trial_rows(trials)
                table_box.dataframe(rows, hide_index=True, key=f"tabular_trials_live_{len(trials)}")
                values = [float(v) for v in rows.get("value", pd.Series(dtype=float))]
                higher = getattr(trial, "maximize", None)
                if higher is None and isinstance(trial, dict):
                    higher = trial.get("maximize", False)
                with chart_box:
                    html_view.svg(best_so_far_svg(values, bool(higher), _metric(table, config)),
                                  key="tabular_best_so_far_live")
                done = (len(trials) / kwargs["n_trials"] if "n_trials" in kwargs
                        else (time.perf_counter() - started) / kwargs["seconds"])
                progress.progress(min(1.0, done), text=f"{len(trials)} trials")

            def work():
                return module.search(table, split, config, on_trial=on_trial, **kwargs)

            with training_slots().slot(owner, wait=SEARCH_SLOT_WAIT) as admission:
                result = work() if admission.granted else None
            progress.empty()
            if result is None:
                st.warning("The server is busy training other models: try again in a moment.")
            else:
                st.session_state.setdefault(K.RESULTS, {})[key] = result
        result = st.session_state.get(K.RESULTS, {}).get(key)
        if result is None:
            return
        _show_search(result, table_box, chart_box, table, config)


def _metric(table: Table, config: TabularConfig) -> str:
    return config.stopping_metric(table.task)


def _show_search(result, table_box, chart_box, table: Table, config: TabularConfig) -> None:
    trials = getattr(result, "trials", None)
    frame = trials if isinstance(trials, pd.DataFrame) else _trial_rows(trials or [])
    table_box.dataframe(frame, hide_index=True, key="tabular_trials")
    values = [float(v) for v in frame["value"]] if "value" in frame else []
    higher = bool(getattr(result, "maximize", False))
    with chart_box:
        html_view.svg(best_so_far_svg(values, higher, _metric(table, config)), key="tabular_best_so_far")
    best = getattr(result, "best_params", {}) or {}
    value = getattr(result, "best_value", None)
    st.success(f"Best of {len(frame)} trials: validation {metric_label(_metric(table, config))} "
               f"{value:.4f} with " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                                   for k, v in best.items()), icon="🏆")
    st.button("Use these settings", key=K.SEARCH_USE, on_click=_use_best, args=(dict(best),),
              help="Copy the best trial's settings into the controls (rounded to the controls' steps); then Play.")


# ---------------------------------------------------------------- Spark
def spark_section(table: Table, split: Split, config: TabularConfig, local_trainer) -> None:
    with st.container(key=K.SPARK_BOX):
        st.caption("The same training through XGBoost's own PySpark estimators (`xgboost.spark`): a local Spark "
                   "session (`local[2]`) by default, or the cluster that `ML_PLAYGROUND_SPARK_MASTER` (or Spark "
                   "Connect's `SPARK_REMOTE`) points at. On one small machine Spark adds start-up and scheduling "
                   "time; it pays off when the table no longer fits one machine.")
        try:
            from engine.tabular import spark
        except ImportError as err:
            st.info(f"Spark support is not available in this install ({err}).", icon="🧩")
            return
        try:
            ok, message = spark.java_available()
        except Exception as err:  # noqa: BLE001
            ok, message = False, str(err)
        if not ok:
            st.warning(f"Spark cannot start here: {message}", icon="☕")
            return
        results = st.session_state.setdefault(K.RESULTS, {})
        key = ("spark", id(table), split.seed, config)
        if st.button("⚡ Run on Spark", key=K.SPARK_RUN, type="primary",
                     help="Starts (or reuses) a Spark session and trains the same model there; at most 30 s to "
                          "reach the master."):
            with st.spinner("Starting Spark and training… (the first start takes a while)"):
                try:
                    results[key] = spark.train_spark(table, split, config, timeout=30)
                except Exception as err:  # noqa: BLE001
                    results[key] = err
        outcome = results.get(key)
        if outcome is None:
            return
        if isinstance(outcome, Exception):
            st.error(f"Spark could not train this model: {outcome}")
            st.caption("Nothing ran elsewhere instead. The Train tab trains the same model locally.")
            return
        where = getattr(outcome, "where", {}) or {}
        if not isinstance(where, dict):
            where = dict(getattr(where, "__dict__", {}))
        cols = st.columns(3)
        cols[0].metric("Master", str(where.get("master", "?")))
        cols[1].metric("Executors", str(where.get("executors", "?")))
        cols[2].metric("Partitions", str(where.get("partitions", "?")))
        ui = where.get("ui_url")
        if ui:
            st.markdown(f"Spark's own UI: [{ui}]({ui}) (reachable while the session lives, from this machine).")
        valid = getattr(outcome, "valid", None) or getattr(outcome, "metrics", None) or {}
        seconds = getattr(outcome, "seconds", {}) or {}
        if valid:
            st.markdown("Validation on Spark: " + " · ".join(f"{metric_label(k)} {v:.4f}" for k, v in valid.items()))
        if local_trainer is not None and local_trainer.history_:
            local = local_trainer.history_[local_trainer.rounds_used - 1]["valid"]
            st.caption("Local run, same settings: " + " · ".join(f"{metric_label(k)} {v:.4f}" for k, v in
                                                                 local.items()))
        if seconds:
            st.caption("Seconds: " + " · ".join(f"{k} {v:.2f}" for k, v in seconds.items()))


# ---------------------------------------------------------------- export
def export_section(trainer, config: TabularConfig, csv_name: str, target: str, drop: tuple, kinds: dict) -> None:
    with st.container(key=K.EXPORT_BOX):
        try:
            from engine.tabular import export
        except ImportError as err:
            st.info(f"Export is not available in this install ({err}).")
            return
        st.caption("The model in XGBoost's own JSON (load it with `xgboost.Booster(model_file=...)`), and a short "
                   "Python script that trains the same model again from the same CSV, outside the app.")
        a, b = st.columns(2)
        if trainer is not None:
            try:
                model = export.model_json(trainer)
            except Exception as err:  # noqa: BLE001
                a.warning(f"The model could not be exported: {err}")
            else:
                a.download_button("⬇ Model (XGBoost JSON)", model, file_name="xgboost-model.json",
                                  mime="application/json", key=K.EXPORT_MODEL, on_click="ignore",
                                  help=f"{len(model) / 1024:.0f} KiB: the trees up to the best round.")
        else:
            a.caption("Train a model first (the Train tab, or the button below) to download it.")
        script = export.retrain_script(config, csv_name, target, drop, kinds)
        b.download_button("⬇ Retrain script (Python)", script, file_name="retrain_xgboost.py", mime="text/x-python",
                          key=K.EXPORT_SCRIPT, on_click="ignore",
                          help="Needs pandas and xgboost; run it next to the CSV.")
        with st.expander("The script", key="tabular_script_box"):
            st.code(script, language="python")
