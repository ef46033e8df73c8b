"""The same XGBoost run on a Dask cluster, through XGBoost's own :mod:`xgboost.dask` over ``distributed``.

The Python-native alternative to :mod:`engine.tabular.spark`: no JVM, the workers are Python processes.
Where it runs: a ``LocalCluster`` on this machine by default (started for the run and closed after it);
``ML_PLAYGROUND_DASK_SCHEDULER`` (``tcp://host:8786``) points the same code at a running scheduler.

What :func:`train_dask` does, so its model can be compared with the local trainer's:

- the same rows: the split's training rows in table order as a Dask DataFrame with one partition per
  XGBoost worker, each partition scattered to its own worker, the validation rows likewise; the test rows
  never go to Dask;
- the same columns and parameters as the Spark path (:func:`engine.tabular.spark.spark_frame`: categories
  as integer codes typed ``"c"``; :meth:`TabularConfig.xgb_params`, the stopping metric last), and
  ``early_stopping_rounds`` as the page's patience; the same per-round timer callback (those helpers of
  :mod:`engine.tabular.spark` need no pyspark).

With one worker XGBoost builds one ``DMatrix`` of exactly those rows and the model is the local one (the
tests hold it to 1e-6 in probability). With more, each worker holds its chunks and XGBoost's collective
sums histograms across them; the quantile sketch is merged from per-worker sketches, so split points can
differ slightly from a one-process run.

dask and distributed are imported here only, on first use.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np

from engine.tabular.data import Table
from engine.tabular.spark import SparkRun
from engine.tabular.split import Split
from engine.tabular.trainer import TabularConfig, metrics

SCHEDULER_ENV = "ML_PLAYGROUND_DASK_SCHEDULER"
LOCAL_WORKERS = 2
"""Worker processes of the default ``LocalCluster`` (one thread each), as Spark's default ``local[2]``."""
WORKER_MEMORY = "1GiB"


class DaskUnavailable(RuntimeError):
    """Dask is not installed, or its scheduler cannot be reached; the message says why and what to do."""


class DaskStopped(RuntimeError):
    """The caller asked to stop while the cluster was starting or training."""


@dataclass
class DaskWhere:
    """Where a Dask run ran (what the page shows)."""

    scheduler: str
    """The scheduler's address (``tcp://127.0.0.1:port`` for the local cluster)."""
    workers: int
    """Dask workers that held data and trained."""
    threads: int
    """Threads across them."""
    partitions: int
    """Chunks of the training rows: one per XGBoost worker."""
    dashboard: str | None
    """Dask's own dashboard for this cluster (None when it is off, e.g. without bokeh)."""
    dask_version: str
    local: bool
    """True for the ``LocalCluster`` this run started (and closed)."""


@dataclass
class DaskRun(SparkRun):
    """The result of :func:`train_dask`: :class:`engine.tabular.spark.SparkRun`'s fields and ``predict``, with
    :class:`DaskWhere` as ``where``."""

    where: DaskWhere


def dask_available() -> tuple[bool, str]:
    """``(True, "Dask <version>")``, or ``(False, why)`` when dask or distributed is missing."""
    try:
        import dask
        import distributed  # noqa: F401
        import xgboost.dask  # noqa: F401
    except ImportError as error:
        return False, (f"Dask is not installed ({error}): pip install dask distributed (see requirements.txt).")
    return True, f"Dask {dask.__version__}"


def resolve_scheduler(scheduler: str | None = None) -> str | None:
    """The scheduler to use: the argument, else ``$ML_PLAYGROUND_DASK_SCHEDULER``, else None (a local cluster)."""
    chosen = scheduler or os.environ.get(SCHEDULER_ENV, "").strip()
    return chosen or None


def _connect(scheduler: str | None, timeout: float, n_workers: int, worker_memory: str = WORKER_MEMORY):
    """``(client, cluster or None)``: a client of the given scheduler, or of a fresh ``LocalCluster``."""
    ok, message = dask_available()
    if not ok:
        raise DaskUnavailable(message)
    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               memory_limit=worker_memory, dashboard_address=":0", silence_logs=logging.ERROR)
        try:
            return Client(cluster, timeout=timeout), cluster
        except Exception:
            cluster.close()
            raise
    _probe(scheduler, timeout)
    try:
        return Client(scheduler, timeout=timeout), None
    except (OSError, TimeoutError) as error:
        raise DaskUnavailable(f"The Dask scheduler at {scheduler} did not answer within {timeout:.0f} s ({error}). "
                              f"Check {SCHEDULER_ENV}, or unset it to use a local cluster.") from None


def _probe(scheduler: str, timeout: float) -> None:
    """Check a ``tcp://host:port`` scheduler before the client connects.

    Fail at once when nothing listens on the port (the client would retry until its timeout), and within
    ``timeout`` (10 s at most) when something accepts the connection but never speaks: a Dask server sends
    its handshake first, and the client, which waits for it without a deadline, would hang for good.
    """
    match = re.fullmatch(r"(?:tcp://)?\[?([^\]/]+?)\]?:(\d+)/?", scheduler.strip())
    if not match:
        return
    advice = f"Check {SCHEDULER_ENV}, or unset it to use a local cluster."
    wait = min(timeout, 10.0)
    try:
        with socket.create_connection((match.group(1), int(match.group(2))), timeout=min(timeout, 5.0)) as sock:
            sock.settimeout(wait)
            try:
                first = sock.recv(1)
            except TimeoutError:
                raise DaskUnavailable(f"Something at {scheduler} accepted the connection but sent nothing in "
                                      f"{wait:.0f} s: it is not a Dask scheduler. {advice}") from None
    except OSError as error:
        raise DaskUnavailable(f"The Dask scheduler at {scheduler} did not answer ({error}). {advice}") from None
    if not first:
        raise DaskUnavailable(f"Something at {scheduler} closed the connection at once: it is not a Dask "
                              f"scheduler. {advice}")


def _stop_check(event_name: str, every: int = 5):
    """An XGBoost callback, run on each worker, that ends training once the named Dask ``Event`` is set.

    Made inside a function so that cloudpickle ships the class by value: workers need xgboost and
    distributed, not this project.
    """
    from distributed import Event
    from xgboost.callback import TrainingCallback

    class StopCheck(TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            return epoch % every == 0 and Event(event_name).is_set()

    return StopCheck()


def _frames(client, table: Table, rows: np.ndarray, categorical: str, workers: list[str]):
    """``(X, y, names, types)``: ``rows`` of the design as a Dask DataFrame and Series, one partition per
    worker in ``workers``, each scattered to its own worker (rows in table order; a Dask graph built from
    the arrays would leave the placement to the scheduler, which put both halves on one worker)."""
    import dask.dataframe as dd

    from engine.tabular.spark import spark_frame

    frame, names, types = spark_frame(table, rows, categorical)
    frame["label"] = table.y[rows].astype(np.float32)
    bounds = np.linspace(0, len(frame), len(workers) + 1).astype(int)
    parts = [client.scatter(frame.iloc[a:b].reset_index(drop=True), workers=[worker], direct=True)
             for worker, a, b in zip(workers, bounds[:-1], bounds[1:], strict=True)]
    data = dd.from_delayed(parts, meta=frame.iloc[:0], verify_meta=False)
    features = [c for c in frame.columns if c != "label"]
    return data[features], data["label"], names, types


def train_dask(table: Table, split: Split, config: TabularConfig | None = None, scheduler: str | None = None,
               timeout: float = 30.0, num_workers: int | None = None, stop=None,
               worker_memory: str = WORKER_MEMORY) -> DaskRun:
    """Train ``config`` on ``table``'s training rows with ``xgboost.dask``, early-stopping on the validation rows.

    Parameters
    ----------
    scheduler : a scheduler address; default :func:`resolve_scheduler` (a ``LocalCluster`` when unset).
    timeout : seconds to wait for the scheduler before :class:`DaskUnavailable`.
    num_workers : chunks of the training rows, i.e. XGBoost workers (at most the cluster's workers);
        default 1 (the local model, exactly) on the local cluster, every worker on a real one.
    stop : a callable returning True to stop (checked during start-up and every 0.2 s while training);
        raises :class:`DaskStopped`.
    worker_memory : each local worker's memory limit (Dask spills, then pauses, a worker near it).
    """
    import xgboost.dask as dxgb

    from engine.tabular.spark import ROUND_SECONDS_ATTR, _round_timer

    config = config or TabularConfig()
    stop = stop or (lambda: False)
    address = resolve_scheduler(scheduler)
    t0 = time.perf_counter()
    client, cluster = _connect(address, timeout, LOCAL_WORKERS, worker_memory)
    try:
        if stop():
            raise DaskStopped("Stopped while the Dask cluster was starting.")
        info = client.scheduler_info()
        addresses = sorted(info.get("workers", {}))
        n_cluster = max(1, len(addresses))
        chosen = addresses[:max(1, min(num_workers or (1 if cluster is not None else n_cluster), n_cluster))]
        t1 = time.perf_counter()
        X, y, names, types = _frames(client, table, split.train, config.categorical, chosen)
        Xv, yv, _, _ = _frames(client, table, split.valid, config.categorical, chosen)
        kwargs = dict(feature_names=names, feature_types=types, enable_categorical="c" in types, missing=np.nan)
        dtrain = dxgb.DaskDMatrix(client, X, y, **kwargs)
        dvalid = dxgb.DaskDMatrix(client, Xv, yv, **kwargs)
        params = config.xgb_params(table.task, table.n_classes, "cpu")
        params["nthread"] = 1
        t2 = time.perf_counter()

        from distributed import Event

        event = Event(f"ml-playground-stop-{uuid.uuid4().hex}", client=client)
        done, stopped = threading.Event(), threading.Event()

        def watch() -> None:
            while not done.wait(0.2):
                if stop():
                    stopped.set()
                    event.set()
                    return

        watcher = threading.Thread(target=watch, name="tabular-dask-stop", daemon=True)
        watcher.start()
        try:
            output = dxgb.train(client, params, dtrain, num_boost_round=config.n_rounds,
                                evals=[(dtrain, "train"), (dvalid, "valid")],
                                early_stopping_rounds=config.early_stopping or None, verbose_eval=False,
                                callbacks=[_stop_check(event.name), _round_timer()])
        except Exception as error:
            if stopped.is_set():
                raise DaskStopped("Stopped during Dask training.") from error
            raise
        finally:
            done.set()
            watcher.join()
        if stopped.is_set():
            raise DaskStopped("Stopped during Dask training.")
        t3 = time.perf_counter()
        booster = output["booster"]
        timed = booster.attr(ROUND_SECONDS_ATTR)
        booster.set_attr(**{ROUND_SECONDS_ATTR: None})
        rounds = booster.num_boosted_rounds()
        best = booster.best_iteration if config.early_stopping and getattr(booster, "best_iteration", None) \
            is not None else rounds - 1
        where = DaskWhere(scheduler=info.get("address", address or ""), workers=n_cluster,
                          threads=sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()),
                          partitions=X.npartitions, dashboard=_dashboard(client),
                          dask_version=_version(), local=cluster is not None)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    run = DaskRun(booster=booster, best_round=int(best), rounds=rounds, history=dict(output["history"]), valid={},
                  feature_names=names, feature_types=types, where=where,
                  round_seconds=json.loads(timed) if timed else [],
                  seconds={"startup": t1 - t0, "data": t2 - t1, "training": t3 - t2, "total": t3 - t0})
    from engine.tabular.spark import spark_frame

    frame, _, _ = spark_frame(table, split.valid, config.categorical)
    run.valid = metrics(table.task, table.y[split.valid], run.predict(frame))
    return run


def _dashboard(client) -> str | None:
    try:
        return client.dashboard_link or None
    except Exception:  # noqa: BLE001 - no bokeh, no dashboard
        return None


def _version() -> str:
    import dask

    return dask.__version__
