"""engine.tabular.search: Optuna's trials see the training and validation rows only, and a search is a
live trainer (budgets, stop, pickled mid-trial to a worker and back)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import xgboost as xgb

from engine import snapshots
from engine.tabular import TabularConfig, load_bank, split_rows
from engine.tabular.search import TabularSearch, search

SMALL = TabularConfig(n_rounds=40, early_stopping=5)


@pytest.fixture(scope="module")
def bank():
    return snapshots.shared(load_bank)


@pytest.fixture(scope="module")
def bank_split(bank):
    return split_rows(bank, seed=0)


def test_the_search_never_touches_the_test_rows(bank, bank_split, monkeypatch):
    seen: list[np.ndarray] = []
    real = xgb.DMatrix

    class Spy(real):
        def __init__(self, data, *args, **kwargs):
            seen.append(np.asarray(data.index))  # the design frame keeps the table's row numbers
            super().__init__(data, *args, **kwargs)

    monkeypatch.setattr(xgb, "DMatrix", Spy)
    clean = search(bank, bank_split, SMALL, n_trials=3)
    monkeypatch.setattr(xgb, "DMatrix", real)
    assert seen and all(not np.isin(rows, bank_split.test).any() for rows in seen)
    assert {len(rows) for rows in seen} == {len(bank_split.train), len(bank_split.valid)}

    # Poison the test rows (every label flipped, every feature missing): the search cannot tell.
    y = bank.y.copy()
    y[bank_split.test] = 1 - y[bank_split.test]
    X = bank.X.copy()
    X.iloc[bank_split.test] = np.nan
    poisoned = search(replace(bank, X=X, y=y), bank_split, SMALL, n_trials=3)
    assert poisoned.trials["score"].tolist() == clean.trials["score"].tolist()
    assert poisoned.best_config == clean.best_config


def test_trials_are_reported_with_a_best_so_far_curve(bank, bank_split):
    reported = []
    result = search(bank, bank_split, SMALL, n_trials=4, on_trial=reported.append)
    assert [r["trial"] for r in reported] == [0, 1, 2, 3]
    best = result.trials["best_so_far"].to_numpy()
    assert np.all(np.diff(best) <= 0) and best[-1] == result.best_score == result.trials["score"].min()
    assert result.best_config.max_depth == result.trials.loc[result.trials["score"].idxmin(), "max_depth"]
    assert "trials" in result.message


def test_a_seconds_budget_and_stop_end_the_search(bank, bank_split):
    runner = TabularSearch(bank, bank_split, replace(SMALL, n_rounds=400, early_stopping=50), seconds=0.5)
    while not runner.finished:
        runner.step(0.1)
    assert runner.status_ == "done" and "seconds" in runner.message_
    assert runner.seconds_ < 1.5
    stopped = TabularSearch(bank, bank_split, SMALL, n_trials=50)
    stopped.step(0.05)
    stopped.stop()
    assert stopped.finished and stopped.history_[-1]["state"] == "cut short" and stopped.step(1.0) == 0


def test_a_search_pickled_mid_trial_continues_identically(bank, bank_split):
    straight = TabularSearch(bank, bank_split, SMALL, n_trials=3)
    while not straight.finished:
        straight.step(1.0)
    moved = TabularSearch(bank, bank_split, SMALL, n_trials=3)
    moves = 0
    while not moved.finished:
        moved.step(0.15)  # a tick, then to another process and back (a trial replays its rounds after a move)
        moved = snapshots.loads(snapshots.dumps(moved))
        moves += moved.current_ is not None
    assert moves >= 2  # some moves happened in the middle of a trial
    keep = ["trial", "state", "score", "rounds", "params"]
    assert [{k: h[k] for k in keep} for h in moved.history_] == [{k: h[k] for k in keep} for h in straight.history_]
    view = snapshots.loads(snapshots.dumps(moved.live_view()))
    assert view.finished and view.progress == 1.0 and len(view.trials_frame()) == 3
