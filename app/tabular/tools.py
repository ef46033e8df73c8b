"""The workflow's tools: the Optuna search (trials live, on the validation rows), the same run on Spark or
Dask, and the export of the model and of a script that retrains it outside the app.

The search, Spark and Dask modules of the engine import Optuna, PySpark and distributed; they are imported
here only when their tab is open, and a missing package or a missing Java is a message, never a crash.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time

import pandas as pd
import streamlit as st

from app import html_view
from app.live import live_controls
from app.tabular import keys as K
from app.tabular.figures import best_so_far_svg, metric_label
from app.tabular.settings import PENALTIES, RATES
from engine.tabular.data import Table, TableError
from engine.tabular.split import Split
from engine.tabular.trainer import TabularConfig

SEARCHED = ("max_depth", "learning_rate", "subsample", "colsample_bytree", "reg_lambda", "reg_alpha",
            "min_child_weight")


# ---------------------------------------------------------------- search
SEARCH_SPEEDS = {"slow": 0.05, "normal": 0.2, "fast": 0.45}
"""Seconds of boosting (inside the trial in progress) per screen update."""


def _use_best(params: dict) -> None:
    """Copy the best trial's settings into the controls (a callback: runs before the widgets exist)."""
    for name, value in params.items():
        if name not in SEARCHED:
            continue
        if name in ("learning_rate", "reg_lambda", "reg_alpha", "min_child_weight"):  # nearest on a log scale
            steps = [r for r in (RATES if name == "learning_rate" else PENALTIES) if r > 0]
            value = min(steps, key=lambda r: abs(math.log(r) - math.log(max(float(value), 1e-9))))
        elif name == "max_depth":
            value = int(value)
        else:
            value = round(round(float(value) / 0.05) * 0.05, 2)
        st.session_state[K.setting(name)] = value


def _trials_frame(history: list[dict]) -> pd.DataFrame:
    rows = []
    for h in history:
        row = {"trial": h["trial"] + 1, "state": h["state"], "score": h["score"], "best so far": h["best_so_far"],
               "rounds": h["rounds"], "seconds": round(float(h["seconds"]), 2)}
        row.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in h["params"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _show_search(search) -> None:
    with st.container(key=K.SEARCH_BOX):
        if search is None:
            st.info("Press **Play** to start the search: trials appear below as they finish, with the best "
                    "validation score so far. Pause or Reset stop it.", icon="🔎")
            return
        history = list(search.history_)
        done = sum(h["state"] == "complete" for h in history)
        budget = (f"{search.n_trials} trials" if search.n_trials else f"{search.seconds:.0f} s")
        st.progress(min(1.0, float(search.progress)), text=f"{done} trials done of a budget of {budget} · "
                                                           f"{search.seconds_:.1f} s of training")
        current = getattr(search, "current_", None)
        if isinstance(current, dict):  # the live view's trial in progress
            st.caption(f"Trial {current['trial'] + 1} is training: {current['rounds']} rounds so far.")
        if not history:
            return
        scores = [h["score"] if h["state"] == "complete" else None for h in history]
        html_view.svg(best_so_far_svg(scores, bool(search.maximize_), search.metric_), key="tabular_best_so_far")
        st.dataframe(_trials_frame(history), hide_index=True, key="tabular_trials")
        complete = [h for h in history if h["state"] == "complete"]
        if complete:
            best = (max if search.maximize_ else min)(complete, key=lambda h: h["score"])
            st.markdown(f"Best so far: trial {best['trial'] + 1}, validation {metric_label(search.metric_)} "
                        f"**{best['score']:.4f}**.")


def _settle_search(search) -> tuple[str, str]:
    return ("success" if search.status_ == "done" else "info"), search.message_


def search_section(table: Table, split: Split, config: TabularConfig, owner: str) -> None:
    st.caption("Optuna's TPE sampler proposes settings for depth, learning rate, row and column subsample, "
               "λ, α and minimum child weight; each trial is a fit with early stopping, scored on the "
               "**validation** rows only (every trial gets a split without the test rows). Trials train in the "
               "same training processes as a single run.")
    try:
        from engine.tabular.search import TabularSearch
    except ImportError as err:
        st.info(f"The search is not available in this install ({err}). It needs `optuna` (see requirements.txt).",
                icon="🧩")
        return
    a, b = st.columns(2)
    budget = a.radio("Budget", ["trials", "seconds"], key=K.SEARCH_BUDGET, horizontal=True, bind="query-params",
                     help="Stop after a number of trials, or once this many seconds of training are spent (a trial "
                          "still running then is cut short and not counted).")
    if budget == "seconds":
        kwargs = {"seconds": float(b.slider("Seconds", 5, 300, 30, 5, key=K.SEARCH_SECONDS, bind="query-params",
                                            help="Training seconds for the whole search."))}
    else:
        kwargs = {"n_trials": int(b.slider("Trials", 2, 100, 20, key=K.SEARCH_TRIALS, bind="query-params",
                                           help="Each trial is one fit on the training rows."))}

    def make() -> TabularSearch:
        return TabularSearch(table, split, config, **kwargs)

    run = live_controls(K.SEARCH_PREFIX, make, _settle_search, _show_search, speeds=SEARCH_SPEEDS)
    search = run.trainer
    if isinstance(search, TabularSearch) and not run.playing:
        _, params, _ = search.result_best()
        if params:
            st.button("Use the best settings", key=K.SEARCH_USE, on_click=_use_best, args=(dict(params),),
                      help="Copy the best trial's settings into the controls (rounded to the controls' steps); "
                           "then train with them on the Train tab and score the test set once.")


# ---------------------------------------------------------------- Spark and Dask
def _in_thread(work, stop: threading.Event, text: str, key: str):
    """Run ``work()`` in a thread while this script run shows its progress; return its result or raise its error.

    The progress updates are Streamlit calls, so any click (the Stop button included) interrupts this run at
    the next one; ``stop`` is then set, and the engine's ``stop`` callable ends the Spark or Dask job.
    """
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as err:  # noqa: BLE001 - handed to the script run below
            box["error"] = err

    thread = threading.Thread(target=target, name="tabular-cluster", daemon=True)
    st.button("■ Stop", key=key, help="Stop the run (start-up included); nothing is lost on this page.")
    bar = st.progress(0.0, text=text)
    start = time.perf_counter()
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.25)
            elapsed = time.perf_counter() - start
            bar.progress(min(0.95, elapsed / 60), text=f"{text} {elapsed:.0f} s")
    finally:
        stop.set()
    bar.empty()
    if "error" in box:
        raise box["error"]
    return box["value"]


CLUSTER_ENGINES = ("Spark", "Dask")
CLUSTER_WORKERS = {1: "1: the local model, exactly", 2: "2: the rows split in two"}
CLUSTER_SLOT_WAIT = 30.0
"""Seconds a cluster run waits for one of the server's training slots before it says the server is busy."""


def cluster_section(table: Table, split: Split, config: TabularConfig, local_trainer, owner: str) -> None:
    """The same training on a cluster engine: Spark (the lecture's) or Dask (Python-native)."""
    with st.container(key=K.SPARK_BOX):
        engine = st.radio("Engine", CLUSTER_ENGINES, key=K.CLUSTER_ENGINE, horizontal=True, bind="query-params",
                          help="Spark: XGBoost's PySpark estimators on a JVM (`xgboost.spark`). Dask: XGBoost's "
                               "`xgboost.dask` on Python worker processes. Both train the model of the Train tab.")
        workers = st.radio(
            "XGBoost workers", list(CLUSTER_WORKERS), format_func=CLUSTER_WORKERS.get, key=K.CLUSTER_WORKERS,
            horizontal=True, help="On a local cluster. 1: one worker boosts on all the training rows in their order, "
                                  "so the model is the Train tab's. 2: each worker holds half of the rows; every "
                                  "round they add up their gradient histograms before choosing a split, as on a "
                                  "real cluster, so the model is nearly (not exactly) the same: the split "
                                  "candidates come from two halves' sketches. A real cluster uses all its workers.")
        if engine == "Dask":
            _dask_part(table, split, config, local_trainer, owner, workers)
        else:
            _spark_part(table, split, config, local_trainer, owner, workers)


class ClusterStopped(Exception):
    """A cluster run ended by a click (its Stop button or any other) before it finished."""


def _cluster_run(results: dict, key: tuple, owner: str, work, text: str, stop_key: str) -> None:
    """Run ``work(stop)`` in one of the server's training slots, showing progress; store its result or error.

    A click during the run ends this script run (Streamlit raises its rerun exception here); the run is
    then stopped (``stop`` is set) and recorded as :class:`ClusterStopped`, so the next run says so.
    """
    from app.resources import training_slots

    stop = threading.Event()
    with contextlib.ExitStack() as held:
        with st.spinner("Waiting for a free training slot (other runs on this server come first)…"):
            admission = held.enter_context(training_slots().slot(owner, wait=CLUSTER_SLOT_WAIT))
        if not admission.granted:
            results[key] = RuntimeError("the server is busy training other models; try again in a moment. "
                                        + admission.describe())
            return
        try:
            results[key] = _in_thread(lambda: work(stop.is_set), stop, text, stop_key)
        except Exception as err:  # noqa: BLE001
            results[key] = err
        except BaseException:  # the script run was ended by a click: the job is stopped, not failed
            results[key] = ClusterStopped()
            raise


def _stopped_or_failed(outcome, engine: str, icon: str, advice: str) -> bool:
    """Say how a cluster run ended when it did not train (True), or nothing (False)."""
    if isinstance(outcome, ClusterStopped):
        st.info(f"Stopped before {engine} finished: nothing was trained. Run it again when you like.", icon="⏹️")
        return True
    if isinstance(outcome, Exception):
        st.error(f"{engine} could not train this model: {outcome}", icon=icon)
        st.caption(advice)
        return True
    return False


def _spark_part(table: Table, split: Split, config: TabularConfig, local_trainer, owner: str,
                workers: int) -> None:
    st.caption("The same training through XGBoost's own PySpark estimators (`xgboost.spark`): a local Spark "
               "session (`local[2]`) by default, or the cluster that `ML_PLAYGROUND_SPARK_MASTER` points at. "
               "Same rows, same columns, same parameters; the test rows never go to Spark. On one small "
               "machine Spark only adds start-up and scheduling time; it pays off when the table no longer "
               "fits one machine.")
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
    try:
        master = spark.resolve_master()
    except Exception:  # noqa: BLE001
        master = "local[2]"
    st.caption(f"{message}. Master: `{master}`.")
    results = st.session_state.setdefault(K.RESULTS, {})
    local = master.startswith("local")
    key = ("spark", table.name, len(table.y), tuple(table.features), split.seed, config, workers if local else 0)
    run = st.button("⚡ Run on Spark", key=K.SPARK_RUN, type="primary",
                    help="Starts (or reuses) a Spark session and trains the same model there; an unreachable "
                         "master is reported within 30 s.")
    failed = isinstance(results.get(key), Exception) and not isinstance(results.get(key), ClusterStopped)
    fallback = failed and st.button(
        "Train on local[2] instead", key=K.SPARK_FALLBACK,
        help="The cluster could not be used: train the same model on a local Spark session on this machine.")
    if run or fallback:
        _cluster_run(results, key, owner, lambda stop: spark.train_spark(
            table, split, config, timeout=30, fallback=bool(fallback), stop=stop,
            num_workers=workers if local else None),
            "Starting Spark and training (the first start takes a while)…", "tabular_spark_stop")
        st.rerun()
    outcome = results.get(key)
    if outcome is None or _stopped_or_failed(outcome, "Spark", "⚡", "Nothing ran elsewhere instead. Train on "
                                                                    "local[2] (above), or use the Train tab."):
        return
    where = outcome.where
    _where_metrics(outcome, ("Master", where.master, ""), ("Executors", where.executors, f"{where.cores} task slots "
                                                                                     "in all."))
    if where.ui_url:
        st.markdown(f"Spark's own UI: [{where.ui_url}]({where.ui_url}) (Spark {where.spark_version}; open while "
                    "the session lives, from the machine that runs the app).")
    if where.fell_back or where.note:
        st.info(where.note or "Trained on local[2] instead, as asked.")
    _cluster_scores(outcome, local_trainer, "Spark", "moving the rows into Spark")


def _dask_part(table: Table, split: Split, config: TabularConfig, local_trainer, owner: str, workers: int) -> None:
    st.caption("The same training through XGBoost's own Dask interface (`xgboost.dask`): a local cluster of "
               "two worker processes, started for the run and closed after it, or the scheduler that "
               "`ML_PLAYGROUND_DASK_SCHEDULER` points at. Same rows, columns and parameters as on Spark; no "
               "Java needed. The test rows never go to Dask.")
    try:
        from engine.tabular import dask_cluster as dc
    except ImportError as err:
        st.info(f"Dask support is not available in this install ({err}).", icon="🧩")
        return
    ok, message = dc.dask_available()
    if not ok:
        st.warning(message, icon="🧩")
        return
    scheduler = dc.resolve_scheduler()
    st.caption(f"{message}. Scheduler: `{scheduler or f'a local cluster ({dc.LOCAL_WORKERS} workers)'}`.")
    results = st.session_state.setdefault(K.RESULTS, {})
    key = ("dask", scheduler, table.name, len(table.y), tuple(table.features), split.seed, config,
           0 if scheduler else workers)
    if st.button("🧩 Run on Dask", key=K.DASK_RUN, type="primary",
                 help="Starts a local Dask cluster (or connects to the scheduler) and trains the same model there; "
                      "an unreachable scheduler is reported within 30 s."):
        _cluster_run(results, key, owner, lambda stop: dc.train_dask(
            table, split, config, timeout=30, stop=stop, num_workers=None if scheduler else workers),
            "Starting Dask workers and training…", "tabular_dask_stop")
        st.rerun()
    outcome = results.get(key)
    if outcome is None or _stopped_or_failed(outcome, "Dask", "🧩", "Nothing ran elsewhere instead: unset "
                                             "ML_PLAYGROUND_DASK_SCHEDULER for a local cluster, or use the Train tab."):
        return
    where = outcome.where
    _where_metrics(outcome, ("Scheduler", where.scheduler, " (a local cluster, closed after the run)" if where.local
                             else ""), ("Workers", where.workers, f"{where.threads} threads in all."))
    if where.dashboard and not where.local:
        st.markdown(f"Dask's own dashboard: [{where.dashboard}]({where.dashboard}) (Dask {where.dask_version}).")
    _cluster_scores(outcome, local_trainer, "Dask", "starting the workers and moving the rows to them")


def _where_metrics(outcome, place: tuple[str, str, str], machines: tuple[str, int, str]) -> None:
    """Where a cluster run trained: its address in full (a metric would cut it) and a note, then machines,
    partitions, best round."""
    st.markdown(f"Trained on {place[0].lower()} `{place[1]}`{place[2]}")
    cols = st.columns(3)
    cols[0].metric(machines[0], f"{machines[1]}", help=machines[2])
    cols[1].metric("Partitions", f"{outcome.where.partitions}",
                   help="Chunks of the training rows: one per XGBoost worker.")
    cols[2].metric("Best round", f"{outcome.best_round + 1}", help=f"{outcome.rounds} rounds trained.")


def _cluster_scores(outcome, local_trainer, engine: str, overhead: str) -> None:
    """A cluster run's validation scores beside this page's local run, and where its seconds went."""
    st.markdown(f"Validation on {engine}: " + " · ".join(f"{metric_label(k)} **{v:.4f}**"
                                                         for k, v in outcome.valid.items()))
    if local_trainer is not None and local_trainer.history_:
        local = local_trainer.scores("valid")
        st.caption(f"This page's local run (best round {local_trainer.rounds_used}): " + " · ".join(
            f"{metric_label(k)} {v:.4f}" for k, v in local.items() if k in outcome.valid))
    if outcome.seconds:
        st.caption("Seconds: " + " · ".join(f"{k} {v:.2f}" for k, v in outcome.seconds.items())
                   + f". Start-up and {overhead} are the overhead a local run does not pay.")


# ---------------------------------------------------------------- export
def export_section(trainer, config: TabularConfig, table: Table, split: Split, csv_name: str, dataset: str) -> None:
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
        try:
            script = export.retrain_script(config, csv_name, table.target, kinds=dict(table.kinds), task=table.task,
                                           class_names=table.class_names, seed=split.seed,
                                           n_classes=table.n_classes or None, decimal_commas=table.decimal_commas)
        except Exception as err:  # noqa: BLE001
            b.warning(f"The script could not be written: {err}")
            script = None
        else:
            b.download_button("⬇ Retrain script (Python)", script, file_name="retrain_xgboost.py",
                              mime="text/x-python", key=K.EXPORT_SCRIPT, on_click="ignore",
                              help="Needs pandas and xgboost; run it next to the CSV.")
        _predict_part(trainer, table, export)
        if script is None:
            return
        if dataset == "digits":
            st.caption("The digits use the digit page's own split, which the script does not repeat: it splits "
                       "a digits CSV (label, pixel0..pixel783) the app's usual way, 60/20/20 by class.")
        elif dataset == "bank":
            st.caption("Bank Marketing ships in the repository: `python retrain_xgboost.py "
                       "assets/tabular/bank-marketing.csv.gz` retrains on it (pandas reads the gzip as it is) and "
                       "prints the same best round and validation scores as this page.")
        with st.expander("The script", key="tabular_script_box"):
            st.code(script, language="python")


def _predict_part(trainer, table: Table, export) -> None:
    """Predictions of the trained model for rows the user uploads (a Kaggle submission), as a CSV to download."""
    from app.tabular.data import read_upload, upload_limit_mb

    st.markdown("**Predict new rows** (a Kaggle submission, the next clients to call)")
    if trainer is None:
        st.caption("Train a model first, then upload rows with the same columns to get its predictions.")
        return
    limit = upload_limit_mb()
    upload = st.file_uploader(
        "New rows (CSV)", type=["csv", "txt", "tsv", "gz", "zip"], key=K.PREDICT_UPLOAD, max_upload_size=limit,
        help=f"The training table's feature columns ({len(table.features)}); the target may be missing. Up to "
             f"{limit} MB. Each row gets the model's prediction up to its best round.")
    if upload is None:
        return
    frame, notes, error = read_upload(upload, K.PREDICT_FRAME)
    if error is not None or frame is None:
        st.error(error or "This file could not be read.", icon="📄")
        return
    extra = [str(c) for c in frame.columns if c not in table.features and c != table.target]
    keep = st.multiselect("Copy these columns into the predictions", extra, extra[:1], key=K.PREDICT_KEEP,
                          help="An id column, so each prediction can be matched to its row (Kaggle's submission "
                               "format: id, prediction).")
    # Predicted once per file, model and kept columns (a rerun for another widget does not predict again).
    signature = (st.session_state[K.PREDICT_FRAME][0], id(trainer.booster_), trainer.rounds_used, tuple(keep))
    cached = st.session_state.get(K.PREDICTIONS)
    if cached is None or cached[0] != signature:
        try:
            with st.spinner(f"Predicting {len(frame):,} rows…"):
                out, more = export.predict_rows(trainer, frame, keep=tuple(keep))
                cached = (signature, out, more, out.to_csv(index=False).encode())
        except TableError as err:
            cached = (signature, None, [], str(err))
        except Exception as err:  # noqa: BLE001 - a strange file must never take the page down
            cached = (signature, None, [], f"These rows cannot be predicted ({type(err).__name__}: {err}).")
        st.session_state[K.PREDICTIONS] = cached
    _, out, more, data = cached
    if out is None:
        st.error(data, icon="📄")
        return
    for note in [*notes, *more]:
        st.caption(f"ℹ️ {note}")
    st.dataframe(out.head(10), hide_index=True, key="tabular_predict_preview")
    st.download_button(
        f"⬇ Predictions for {len(out):,} rows (CSV)", data, key=K.PREDICT_DOWNLOAD,
        file_name=f"predictions-{upload.name.rsplit('.', 1)[0]}.csv", mime="text/csv", on_click="ignore",
        help=f"The model up to its best round (round {trainer.rounds_used}).")
