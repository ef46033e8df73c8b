"""engine.tabular.dask_cluster: the same XGBoost run on a real Dask cluster (a ``LocalCluster`` of two processes).

One cluster serves the module (the runs connect to its scheduler, as to a real one); one test lets
:func:`train_dask` start and close its own, as the page and the command line do by default.

Tolerances, as for Spark (tests/test_tabular_spark.py): one XGBoost worker trains on one DMatrix of the
training rows in table order with the trainer's parameters, so predictions agree to 1e-6 and the best
round exactly; two workers merge their quantile sketches, so on Bank Marketing the validation AUC must
stay within 0.01 of the local one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import numpy as np
import pytest

from engine.tabular import TabularConfig, fit, load_bank, make_table, split_rows
from engine.tabular import dask_cluster as dc
from engine.tabular.spark import spark_frame
from tests.helpers import clients_frame

pytest.importorskip("distributed")

CONFIG = TabularConfig(max_depth=4, n_rounds=80, early_stopping=10, seed=3)


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def table():
    return make_table(clients_frame(), "y", kinds={"job": "categorical"}, name="synthetic clients")


@pytest.fixture(scope="module")
def split(table):
    return split_rows(table, seed=0)


def test_one_worker_trains_the_local_model(scheduler, table, split):
    local = fit(table, split, CONFIG)
    run = dc.train_dask(table, split, CONFIG, scheduler=scheduler, num_workers=1)

    assert run.where.scheduler == scheduler and run.where.workers == 2 and run.where.partitions == 1
    assert not run.where.local and set(run.seconds) == {"startup", "data", "training", "total"}
    assert run.feature_names == local.feature_names_ and run.feature_types == ["q", "q", "c"]
    assert 5 < run.best_round < CONFIG.n_rounds - 1  # early stopping really decided it
    assert run.best_round == local.best_round_ and run.rounds == local.rounds_
    np.testing.assert_allclose(run.predict(spark_frame(table, split.valid)[0]), local.predict("valid"),
                               atol=1e-6, rtol=0)
    for name, value in local.scores("valid").items():
        assert run.valid[name] == pytest.approx(value, abs=1e-6), name
    np.testing.assert_allclose(run.history["valid"]["logloss"], [h["valid"]["logloss"] for h in local.history_],
                               atol=1e-5)


def test_two_workers_agree_within_tolerance(scheduler):
    table = load_bank(drop=("duration",))
    split = split_rows(table, seed=0)
    config = TabularConfig(max_depth=4, learning_rate=0.3, n_rounds=200, early_stopping=10)
    local = fit(table, split, config)
    run = dc.train_dask(table, split, config, scheduler=scheduler)

    assert run.where.partitions == 2 and run.where.workers == 2
    ours = run.predict(spark_frame(table, split.valid)[0])
    assert np.abs(ours - local.predict("valid")).mean() < 0.05
    assert run.valid["auc"] == pytest.approx(local.scores("valid")["auc"], abs=0.01)
    assert run.valid["auc"] > 0.75


def test_its_own_local_cluster_is_started_and_closed(table, split):
    run = dc.train_dask(table, split, TabularConfig(n_rounds=5, early_stopping=0))
    assert run.where.local and run.where.workers == dc.LOCAL_WORKERS and run.rounds == 5
    assert run.where.scheduler.startswith("tcp://127.0.0.1:")
    from distributed import Client

    with pytest.raises((OSError, TimeoutError)):  # closed with the run
        Client(run.where.scheduler, timeout=2)


def test_each_partition_is_on_its_own_worker_and_holds_training_rows_only(scheduler, table, split):
    from distributed import Client

    with Client(scheduler) as client:
        workers = sorted(client.scheduler_info()["workers"])
        X, y, names, _ = dc._frames(client, table, split.train, "native", workers)
        assert X.npartitions == 2 and len(names) == X.shape[1]
        placed = client.who_has()
        holders = [w for key in (k for k in placed if "from-delayed" not in str(k)) for w in placed[key]]
        assert sorted(set(holders)) == workers  # one part on each worker, not both on one
        np.testing.assert_array_equal(y.compute().to_numpy(), table.y[split.train].astype(np.float32))


def test_stop_during_training(scheduler, table, split):
    long = TabularConfig(max_depth=12, learning_rate=0.005, min_child_weight=0.0, n_rounds=5000, early_stopping=0)
    calls, asked = [], []

    def stop():
        calls.append(time.monotonic())
        if calls[-1] - calls[0] > 2.0:
            asked.append(calls[-1])
            return True
        return False

    with pytest.raises(dc.DaskStopped):
        dc.train_dask(table, split, long, scheduler=scheduler, num_workers=1, stop=stop)
    assert time.monotonic() - asked[0] < 5  # ended within a few rounds, not run to 5,000
    # the cluster still trains afterwards
    assert dc.train_dask(table, split, TabularConfig(n_rounds=3, early_stopping=0), scheduler=scheduler,
                         num_workers=1).rounds == 3


def test_unreachable_scheduler_says_so(table, split):
    start = time.monotonic()
    with pytest.raises(dc.DaskUnavailable, match=r"tcp://127\.0\.0\.1:1 did not answer"):
        dc.train_dask(table, split, CONFIG, scheduler="tcp://127.0.0.1:1", timeout=3)
    assert time.monotonic() - start < 15


@pytest.mark.parametrize("server", ["silent", "closes"])
def test_a_port_that_is_not_a_dask_scheduler_is_reported_within_the_timeout(table, split, server):
    """Something listens but never speaks (or hangs up): the Dask client would wait for its handshake for good."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if server == "closes":
                conn.close()
            else:
                held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    outcome = {}

    def attempt() -> None:
        try:
            dc.train_dask(table, split, CONFIG, scheduler=f"tcp://127.0.0.1:{port}", timeout=3)
        except Exception as error:  # noqa: BLE001 - checked below
            outcome["error"] = error

    start = time.monotonic()
    worker = threading.Thread(target=attempt, daemon=True)  # a thread: a hang fails the test instead of the suite
    worker.start()
    worker.join(30)
    listener.close()
    for conn in held:
        conn.close()
    assert not worker.is_alive(), "train_dask still waits on a port that never answers"
    assert isinstance(outcome.get("error"), dc.DaskUnavailable), outcome
    assert "not a Dask scheduler" in str(outcome["error"]) and time.monotonic() - start < 15


def test_scheduler_from_the_environment(monkeypatch):
    monkeypatch.setenv(dc.SCHEDULER_ENV, "tcp://cluster:8786")
    assert dc.resolve_scheduler() == "tcp://cluster:8786"
    assert dc.resolve_scheduler("tcp://other:1") == "tcp://other:1"
    monkeypatch.delenv(dc.SCHEDULER_ENV)
    assert dc.resolve_scheduler() is None


def test_missing_dask_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    ok, message = dc.dask_available()
    assert not ok and "pip install dask distributed" in message


def test_engine_import_stays_light():
    code = "import sys, engine.tabular; print('dask' in sys.modules, 'distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
