"""The same XGBoost run on Spark, through XGBoost's own PySpark estimators (:mod:`xgboost.spark`).

Where it runs: a local session ``local[2]`` by default (one JVM on this machine, its Python workers
doing XGBoost's work); ``ML_PLAYGROUND_SPARK_MASTER`` (``spark://host:7077``, ``yarn``, ``k8s://...``)
points the same code at a real cluster. Spark Connect (``SPARK_REMOTE=sc://...``) is recognised but
refused with a clear message: XGBoost 3.2's estimators drive the classic ``SparkContext`` (barrier RDDs),
which a Connect client does not have; Connect support arrives after 3.2 (dmlc/xgboost#11970).

What :func:`train_spark` does, so its model can be compared with :class:`~engine.tabular.trainer.TabularTrainer`'s:

- the same rows: the split's training rows, then its validation rows, each in table order, marked by a
  boolean ``validation_indicator_col``; the test rows never go to Spark;
- the same columns: the trainer's :func:`~engine.tabular.trainer.design` (categories travel as their
  integer codes, declared ``"c"`` in ``feature_types``, so XGBoost splits on categories as it does
  locally with ``enable_categorical``);
- the same parameters: :meth:`TabularConfig.xgb_params` (the stopping metric last, so early stopping
  watches it on the validation rows), ``n_rounds`` as ``n_estimators``, ``early_stopping`` as
  ``early_stopping_rounds``.

With ``num_workers=1`` one Spark task builds one ``DMatrix`` of exactly those rows in that order and runs
``xgboost.train``: the model is the local one (the tests hold it to 1e-6 in probability). With more
workers each builds its part and XGBoost's collective (rabit) sums histograms across them; the quantile
sketch is then merged from per-worker sketches, so split points, and therefore predictions, can differ
slightly from a one-process run.

pyspark is imported here only, on first use; ``import engine.tabular`` does not load it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.tabular.data import Table
from engine.tabular.split import Split
from engine.tabular.trainer import TabularConfig, design, metrics

DEFAULT_MASTER = "local[2]"
MASTER_ENV = "ML_PLAYGROUND_SPARK_MASTER"
REMOTE_ENV = "SPARK_REMOTE"
MIN_JAVA = 17
"""Spark 4 runs on Java 17 or 21."""
DRIVER_MEMORY = "1g"
_QUIET_LOG4J = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


class SparkUnavailable(RuntimeError):
    """Spark cannot run here or cannot reach its master; the message says why and what to do."""


class SparkStopped(RuntimeError):
    """The caller asked to stop while Spark was starting or training."""


@dataclass
class Where:
    """Where a Spark run ran (what the page shows)."""

    master: str
    """The master URL Spark used (``local[2]``, ``spark://host:7077``, ...)."""
    executors: int
    """Executors that did the work (local mode: 1, the driver JVM itself)."""
    cores: int
    """Task slots across them (``defaultParallelism``)."""
    partitions: int
    """Partitions of the training DataFrame: one per XGBoost worker."""
    ui_url: str | None
    """Spark's own web UI for this application (None when the UI is off)."""
    spark_version: str
    fell_back: bool = False
    """True when the requested master was unreachable and the caller asked to fall back to local."""
    note: str = ""


@dataclass
class SparkRun:
    """The result of :func:`train_spark`.

    Attributes
    ----------
    booster : the trained ``xgboost.Booster``, every round trained (:meth:`predict` stops at ``best_round``).
    best_round : 0-based best round on the validation rows (the last round without early stopping).
    rounds : rounds trained.
    history : ``{"train": {metric: [per round]}, "valid": {...}}`` as XGBoost recorded them on the workers.
    valid : the task's metrics on the validation rows for the model up to ``best_round`` (computed here).
    feature_names, feature_types : the columns XGBoost saw (``"c"`` marks a categorical code column).
    where : :class:`Where`.
    seconds : ``{"startup": session, "data": rows to Spark, "training": fit, "total": all}``.
    round_seconds : each round's seconds on the (first) worker: ``update`` plus the metrics, as the trainer's
        ``history_[i]["seconds"]``; ``training`` minus their sum is the job's fixed cost (tasks, Arrow, DMatrix).
    """

    booster: object
    best_round: int
    rounds: int
    history: dict
    valid: dict[str, float]
    feature_names: list[str]
    feature_types: list[str]
    where: Where
    seconds: dict[str, float] = field(default_factory=dict)
    round_seconds: list[float] = field(default_factory=list)

    def predict(self, frame: pd.DataFrame, margin: bool = False) -> np.ndarray:
        """Predictions for a :func:`spark_frame`-style frame (codes for categories), up to the best round."""
        import xgboost as xgb

        dm = xgb.DMatrix(frame.to_numpy(np.float32), missing=np.nan, feature_names=self.feature_names,
                         feature_types=self.feature_types, enable_categorical="c" in self.feature_types)
        return self.booster.predict(dm, output_margin=margin, iteration_range=(0, self.best_round + 1))


# ------------------------------------------------------------------------------------------ Java and the session
def java_available() -> tuple[bool, str]:
    """``(True, "Java 17.0.15 at /usr/bin/java")`` or ``(False, what to install)``; PySpark needs a JRE 17+."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    hint = ("Spark needs Java 17 or newer: install a JRE (Debian/Ubuntu: sudo apt-get install default-jre-headless; "
            "bash scripts/test.sh does it when run as root) or set JAVA_HOME.")
    if not java:
        return False, "No Java found. " + hint
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"{java} -version failed ({error}). " + hint
    text = out.stderr + out.stdout
    found = re.search(r'version "(\d+)(?:\.(\d+))?[^"]*"', text)
    if not found:
        return False, f"Could not read the Java version from {java}: {text.strip()[:200]!r}. " + hint
    major = int(found.group(1))
    if major == 1:  # "1.8.0_392": Java 8
        major = int(found.group(2) or 0)
    if major < MIN_JAVA:
        return False, f"{java} is Java {major}. " + hint
    return True, f"Java {found.group(0).split(chr(34))[1]} at {java}"


def resolve_master(master: str | None = None) -> str:
    """``master``, else ``$ML_PLAYGROUND_SPARK_MASTER``, else ``$SPARK_REMOTE``, else ``local[2]``."""
    return (master or os.environ.get(MASTER_ENV) or os.environ.get(REMOTE_ENV) or DEFAULT_MASTER).strip()


def _is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[") or master.startswith("local-cluster[")


def probe_master(master: str, timeout: float = 30.0) -> None:
    """Raise :class:`SparkUnavailable` when a ``spark://`` master's port does not answer within ``timeout`` s.

    A standalone master that is down would otherwise only show as a job waiting for executors forever
    (Spark retries its registration for a minute, then gives up in the background).
    """
    if not master.startswith("spark://"):
        return
    errors = []
    deadline = time.monotonic() + timeout
    for hostport in master[len("spark://"):].split(","):  # a standby list: spark://a:7077,b:7077
        host, _, port = hostport.strip().rpartition(":")
        if not host or not port.isdigit():
            raise SparkUnavailable(f"Cannot read the Spark master {master!r}: expected spark://HOST:PORT.")
        left = max(0.5, deadline - time.monotonic())
        try:
            with socket.create_connection((host, int(port)), timeout=min(left, 10.0)):
                return
        except OSError as error:
            errors.append(f"{host}:{port}: {error.strerror or error}")
    raise SparkUnavailable(f"The Spark master {master} is unreachable ({'; '.join(errors)}). Check that it is "
                           f"running and that {MASTER_ENV} is right, or train locally.")


def _active_session():
    """The process's classic session, if any (``getActiveSession`` is per thread; a page's script threads differ)."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession() or SparkSession._instantiatedSession


def _quiet_log_config() -> str:
    path = Path(tempfile.gettempdir()) / "ml-playground-spark-log4j2.properties"
    if not path.exists() or path.read_text() != _QUIET_LOG4J:
        path.write_text(_QUIET_LOG4J)
    return str(path)


def spark_session(master: str | None = None, timeout: float = 30.0, conf: dict | None = None):
    """A classic ``SparkSession`` on ``master`` (see :func:`resolve_master`), made or reused.

    Spark allows one ``SparkContext`` per process: a live session on the same master is reused; one on
    another master is stopped first. Raises :class:`SparkUnavailable` when Java is missing, the master is
    Spark Connect, the master does not answer, or no executor registers within ``timeout`` seconds.
    ``conf`` adds Spark settings (``{"spark.driver.memory": "2g"}``).
    """
    master = resolve_master(master)
    if master.startswith("sc://") or os.environ.get(REMOTE_ENV):
        raise SparkUnavailable(
            f"Spark Connect ({master if master.startswith('sc://') else os.environ.get(REMOTE_ENV)}) is not supported "
            "by the installed XGBoost 3.2: xgboost.spark needs a classic SparkContext (Connect support comes "
            f"after 3.2, dmlc/xgboost#11970). Unset {REMOTE_ENV} and set {MASTER_ENV}=spark://HOST:7077 instead.")
    ok, java = java_available()
    if not ok:
        raise SparkUnavailable(java)
    probe_master(master, timeout)
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - pyspark is in requirements.txt
        raise SparkUnavailable(f"pyspark is not installed ({error}): pip install -r requirements.txt") from error

    session = _active_session()
    if session is not None:
        if session.sparkContext.master == master and session.sparkContext._jsc is not None:
            return session
        session.stop()

    settings = {
        "spark.driver.memory": os.environ.get("ML_PLAYGROUND_SPARK_DRIVER_MEMORY", DRIVER_MEMORY),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false" if os.environ.get("ML_PLAYGROUND_SPARK_UI", "1") == "0" else "true",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{_quiet_log_config()}",
        "spark.sql.shuffle.partitions": "4",
        **(conf or {}),
    }
    if _is_local(master):  # loopback only (not the environment: a later cluster session shares the JVM)
        settings.setdefault("spark.driver.host", "127.0.0.1")
        settings.setdefault("spark.driver.bindAddress", "127.0.0.1")
    builder = SparkSession.builder.master(master).appName("ML Playground: XGBoost on Spark")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate() if _is_local(master) else _bounded_start(builder, master, timeout)
    except SparkUnavailable:
        raise
    except Exception as error:  # the JVM did not start: say why in one line
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        raise SparkUnavailable(f"Spark did not start on {master}: {first}") from error
    if _is_local(master) and not os.environ.get("PYSPARK_PYTHON"):
        # Local Python workers must be this interpreter (the venv with xgboost), not the system's python3;
        # set on this context rather than in os.environ, so a later cluster session does not inherit it.
        session.sparkContext.pythonExec = sys.executable
    session.sparkContext.setLogLevel("ERROR")
    logging.getLogger("XGBoost-PySpark").setLevel(logging.WARNING)
    if not _is_local(master):
        _wait_for_executors(session, master, timeout)
    return session


def _bounded_start(builder, master: str, timeout: float):
    """``builder.getOrCreate()`` for a cluster master, given up on after ``timeout`` seconds.

    A port that accepts connections but is not a Spark master (or a master too busy to answer) passes
    :func:`probe_master`; Spark's own client then blocks the constructor while it retries registering,
    three times 20 s, fixed in Spark's code. The start runs in a daemon thread instead, and the caller
    hears within ``timeout`` that the master did not accept this application. The abandoned start ends
    on its own when Spark gives up (its context is then stopped by Spark); a later start waits for it.
    """
    box: dict = {}

    def start() -> None:
        try:
            box["session"] = builder.getOrCreate()
        except BaseException as error:  # reported to the caller below, or dropped if it gave up
            box["error"] = error

    thread = threading.Thread(target=start, name="spark-start", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise SparkUnavailable(
            f"The Spark master {master} answers on its port but did not accept this application within "
            f"{timeout:g} s: it is not a Spark master (the master's port is usually 7077), or it is overloaded. "
            f"Check {MASTER_ENV}, or train locally.")
    if "error" in box:
        raise box["error"]
    return box["session"]


def _executor_count(session) -> int:
    """Executors registered, the driver excluded (local mode: 0)."""
    return max(0, session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1)


def _wait_for_executors(session, master: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _executor_count(session):
            return
        time.sleep(0.25)
    session.stop()
    raise SparkUnavailable(f"No Spark executor registered with {master} within {timeout:g} s: the cluster has no "
                           "free workers (or they cannot reach this driver). Train locally, or try again later.")


# ------------------------------------------------------------------------------------------ the rows
def spark_frame(table: Table, rows: np.ndarray, categorical: str = "native"
                ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """``(frame, feature_names, feature_types)``: ``rows`` of the trainer's design, all float32.

    Columns are renamed ``f0, f1, ...`` (Spark column names cannot hold every CSV header: a dot means a
    struct field); the real names go to XGBoost as ``feature_names``. A categorical column becomes its
    integer codes (NaN where missing) with type ``"c"``; a numeric one keeps type ``"q"``.
    """
    frame, _ = design(table, categorical)
    frame = frame.iloc[np.asarray(rows, dtype=np.int64)]
    columns, types = {}, []
    for i, name in enumerate(frame.columns):
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy().astype(np.float32)
            codes[codes < 0] = np.nan
            columns[f"f{i}"] = codes
            types.append("c")
        else:
            columns[f"f{i}"] = column.to_numpy(np.float32)
            types.append("q")
    return pd.DataFrame(columns), list(frame.columns), types


def _training_dataframe(session, table: Table, split: Split, categorical: str, num_workers: int):
    """The training then validation rows as a Spark DataFrame in ``num_workers`` partitions, order kept."""
    rows = np.concatenate([split.train, split.valid])
    frame, names, types = spark_frame(table, rows, categorical)
    frame["label"] = table.y[rows].astype(np.float64)
    frame["is_valid"] = np.arange(len(rows)) >= len(split.train)
    frame["row_id"] = np.arange(len(rows), dtype=np.int64)
    sdf = session.createDataFrame(frame)
    # One array<float> column of features: with one column per feature (features_col=[...]) XGBoost 3.2
    # fails on an Arrow batch that holds no validation row (KeyError 'values' in create_dmatrix_from_partitions).
    from pyspark.sql import functions as F

    features = [f"f{i}" for i in range(len(names))]
    sdf = sdf.select(F.array(*features).cast("array<float>").alias("features"), "label", "is_valid", "row_id")
    # One partition per XGBoost worker, rows back in table order inside each (a shuffle would reorder them,
    # and XGBoost's quantile sketch depends a little on row order). coalesce() is not allowed before a
    # barrier stage, so this is a repartition by row range plus a sort within partitions.
    if num_workers == 1:
        sdf = sdf.repartition(1)  # (no sampling job, unlike a range repartition)
    else:
        sdf = sdf.repartitionByRange(num_workers, "row_id")
    sdf = sdf.sortWithinPartitions("row_id")
    return sdf, names, types


# ------------------------------------------------------------------------------------------ training
ROUND_SECONDS_ATTR = "ml_playground_round_seconds"


def _round_timer():
    """An XGBoost callback that times every round on the worker and leaves the list in a model attribute.

    Made inside a function so that cloudpickle ships the class by value: executors need xgboost, not
    this project.
    """
    import json as _json
    import time as _time

    from xgboost.callback import TrainingCallback

    class RoundTimer(TrainingCallback):
        def before_training(self, model):
            self.seconds, self.last = [], _time.perf_counter()
            return model

        def after_iteration(self, model, epoch, evals_log):
            now = _time.perf_counter()
            self.seconds.append(now - self.last)
            self.last = now
            return False

        def after_training(self, model):
            model.set_attr(**{ROUND_SECONDS_ATTR: _json.dumps([round(s, 6) for s in self.seconds])})
            return model

    return RoundTimer()


def _estimator(table: Table, config: TabularConfig, names: list[str], types: list[str], num_workers: int):
    from xgboost.spark import SparkXGBClassifier, SparkXGBRegressor

    params = config.xgb_params(table.task, table.n_classes, "cpu")
    for key in ("nthread", "objective", "num_class", "device"):  # Spark sets these itself
        params.pop(key, None)
    cls = SparkXGBRegressor if table.task == "regression" else SparkXGBClassifier
    return cls(
        features_col="features", label_col="label",
        validation_indicator_col="is_valid", num_workers=num_workers, device="cpu",
        feature_names=names, feature_types=types, missing=float("nan"),
        n_estimators=config.n_rounds, early_stopping_rounds=config.early_stopping or None,
        verbose=False, callbacks=[_round_timer()], **params)


def _watch(session, group: str, stop, done: threading.Event, stopped: threading.Event) -> None:
    """Cancel the group's jobs once ``stop()`` says so, and every later one (a fit runs several jobs)."""
    while not done.wait(0.2):
        if stopped.is_set() or stop():
            stopped.set()
            session.sparkContext.cancelJobGroup(group)


def train_spark(table: Table, split: Split, config: TabularConfig | None = None, master: str | None = None,
                timeout: float = 30.0, fallback: bool = False, num_workers: int | None = None,
                stop=None, conf: dict | None = None) -> SparkRun:
    """Train ``config`` on ``table``'s training rows with ``xgboost.spark``, early-stopping on the validation rows.

    Parameters
    ----------
    master : see :func:`resolve_master` (default ``local[2]``).
    timeout : seconds to wait for an unreachable master or for executors before :class:`SparkUnavailable`.
    fallback : when the master cannot be used, train on ``local[2]`` instead (``where.fell_back``), rather
        than raising. Only when the caller (the user) chose it.
    num_workers : XGBoost workers (Spark tasks); default 1 locally (the local model, exactly), the
        cluster's task slots otherwise.
    stop : a callable returning True to stop (checked during start-up and every 0.2 s while training);
        raises :class:`SparkStopped`.
    """
    config = config or TabularConfig()
    stop = stop or (lambda: False)
    t0 = time.perf_counter()
    wanted = resolve_master(master)
    note, fell_back = "", False
    try:
        session = spark_session(wanted, timeout, conf)
    except SparkUnavailable as error:
        if not fallback or _is_local(wanted):
            raise
        note, fell_back = f"{error} Trained on {DEFAULT_MASTER} instead, as asked.", True
        session = spark_session(DEFAULT_MASTER, timeout, conf)
    sc = session.sparkContext
    if stop():
        raise SparkStopped("Stopped while Spark was starting.")
    local = _is_local(sc.master)
    workers = num_workers or (1 if local else max(1, sc.defaultParallelism))
    t1 = time.perf_counter()
    sdf, names, types = _training_dataframe(session, table, split, config.categorical, workers)
    estimator = _estimator(table, config, names, types, workers)
    t2 = time.perf_counter()

    group = f"ml-playground-{os.getpid()}-{threading.get_ident()}-{time.time_ns()}"
    sc.setJobGroup(group, "XGBoost training", interruptOnCancel=True)
    done, stopped = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(session, group, stop, done, stopped), daemon=True)
    watcher.start()
    try:
        model = estimator.fit(sdf)
    except Exception as error:
        if stopped.is_set() or stop():
            raise SparkStopped("Stopped during Spark training.") from error
        raise
    finally:
        done.set()
        watcher.join()
        sc.setLocalProperty("spark.jobGroup.id", None)
    if stopped.is_set():  # asked between two of the fit's jobs: its result is not wanted
        raise SparkStopped("Stopped during Spark training.")
    t3 = time.perf_counter()

    booster = model.get_booster()
    timed = booster.attr(ROUND_SECONDS_ATTR)
    booster.set_attr(**{ROUND_SECONDS_ATTR: None})
    summary = model.training_summary
    history = {"train": dict(summary.train_objective_history), "valid": dict(summary.validation_objective_history)}
    rounds = booster.num_boosted_rounds()
    best = booster.best_iteration if config.early_stopping and getattr(booster, "best_iteration", None) is not None \
        else rounds - 1
    run = SparkRun(booster=booster, best_round=int(best), rounds=rounds, history=history, valid={},
                   feature_names=names, feature_types=types, round_seconds=json.loads(timed) if timed else [],
                   where=Where(master=sc.master, executors=_executor_count(session) or 1,
                               cores=sc.defaultParallelism, partitions=sdf.rdd.getNumPartitions(),
                               ui_url=sc.uiWebUrl, spark_version=session.version, fell_back=fell_back, note=note),
                   seconds={"startup": t1 - t0, "data": t2 - t1, "training": t3 - t2, "total": t3 - t0})
    frame, _, _ = spark_frame(table, split.valid, config.categorical)
    run.valid = metrics(table.task, table.y[split.valid], run.predict(frame))
    return run
