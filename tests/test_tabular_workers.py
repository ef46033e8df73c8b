"""A tabular run in a real training worker (engine.workers): light views while it trains, the whole trainer
at the end, and the same model as in this process, also after Pause and Step."""

from __future__ import annotations

import time

import pytest

from engine import snapshots
from engine.tabular import TabularConfig, TabularTrainer, fit, load_bank, split_rows
from engine.tabular.trainer import TabularProgress
from engine.workers import CYCLE, TrainingPool

WAIT = 60.0
CONFIG = TabularConfig(max_depth=3, learning_rate=0.3, subsample=0.8, colsample_bytree=0.8, n_rounds=60,
                       early_stopping=0, seed=7)


@pytest.fixture(scope="module")
def pool():
    pool = TrainingPool(1, stale_seconds=5.0)
    assert pool.wait_ready(120), "the worker did not start"
    yield pool
    pool.close()


def _trainer() -> TabularTrainer:
    bank = snapshots.shared(load_bank)
    return TabularTrainer(bank, split_rows(bank, seed=0), CONFIG)


def _final(pool, owner):
    received = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        update = pool.latest(owner)
        if update is not None:
            assert not update.error, update.error
            received.append(update)
            if update.final:
                return received
        time.sleep(0.02)
    pytest.fail("the run did not come back")


def test_a_run_in_a_worker_equals_a_run_here(pool):
    local = fit(_trainer().table, _trainer().split, CONFIG)
    pool.start("tab", _trainer(), seconds=0.02, period=CYCLE)
    received = _final(pool, "tab")
    remote = received[-1].trainer
    assert isinstance(remote, TabularTrainer) and remote.finished and remote.rounds_ == 60
    assert all(isinstance(u.trainer, TabularProgress) for u in received[:-1])
    assert remote.booster_.save_raw("json") == local.booster_.save_raw("json")


def test_pause_and_step_continue_the_true_state(pool):
    pool.start("tab-pause", _trainer(), seconds=0.01, period=CYCLE)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        update = pool.latest("tab-pause")
        if update is not None and update.trainer is not None and update.trainer.rounds_ >= 3:
            break
        time.sleep(0.02)
    paused = pool.pause("tab-pause")
    assert paused is not None and 0 < paused.rounds_ < 60
    while not paused.finished:
        paused = pool.step("tab-pause", paused, seconds=0.02)
        assert paused is not None
    local = fit(_trainer().table, _trainer().split, CONFIG)
    assert paused.booster_.save_raw("json") == local.booster_.save_raw("json")
    assert [h["valid"] for h in paused.history_] == [h["valid"] for h in local.history_]
