"""A hyperparameter search with Optuna (TPE), scored on the validation rows only.

:class:`TabularSearch` is a live trainer (:mod:`engine.live`): each :meth:`~TabularSearch.step` advances
the trial in progress by a bounded amount of boosting (Optuna's ask-and-tell interface: ask for a
trial's settings, train it tick by tick, tell Optuna its score), so a search runs in the same training
slots and workers as a single run, and the page's Play / Pause / Step / Reset drive it. Each trial is
a :class:`~engine.tabular.trainer.TabularTrainer` with early stopping on the validation rows; its score
is its best validation metric. It stops on a budget of trials or of training seconds.

The test rows are never given to it: every trial trains on a split whose test part is empty (the
same training and validation rows), so no trial can build a ``DMatrix`` of a test row, let alone score
one. Only the caller scores the test rows, once, with the chosen settings.
"""

from __future__ import annotations

import math
import pickle
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine.live import DONE, FINISHED, READY, STOPPED, TRAINING
from engine.tabular.data import Table
from engine.tabular.split import Split
from engine.tabular.trainer import TabularConfig, TabularTrainer

SPACE: dict[str, tuple[str, float, float]] = {
    "max_depth": ("int", 2, 10),
    "learning_rate": ("log", 0.01, 0.3),
    "subsample": ("float", 0.5, 1.0),
    "colsample_bytree": ("float", 0.5, 1.0),
    "reg_lambda": ("log", 1e-3, 30.0),
    "reg_alpha": ("log", 1e-3, 10.0),
    "min_child_weight": ("log", 0.1, 30.0),
}
"""What the search varies: (kind, low, high); "log" is a float sampled on a log scale."""
DEFAULT_TRIALS = 20


def validation_only(split: Split) -> Split:
    """The same training and validation rows, and no test rows: what every trial is given."""
    return Split(split.train, split.valid, np.zeros(0, dtype=np.int64), split.seed)


@dataclass
class SearchProgress:
    """What the page draws while a search runs in a worker (see :meth:`TabularSearch.live_view`)."""

    history_: list
    status_: str
    message_: str
    metric_: str
    maximize_: bool
    n_trials: int | None
    seconds: float | None
    seconds_: float
    current_: dict | None  # the trial in progress: number, params, rounds, best score so far
    seed: int

    finished = property(lambda self: self.status_ in FINISHED)

    @property
    def progress(self) -> float:
        return _progress(self)

    def trials_frame(self) -> pd.DataFrame:
        return _frame(self.history_)


@dataclass
class SearchResult:
    """A finished search: every trial, the best settings and how it ended."""

    trials: pd.DataFrame
    best_config: TabularConfig | None
    best_score: float | None
    best_trial: int | None
    metric: str
    maximize: bool
    seconds: float
    message: str


class TabularSearch:
    """Optuna's TPE over :data:`SPACE`, one trial after another, in bounded steps.

    Parameters
    ----------
    table, split : the data; only ``split.train`` and ``split.valid`` are used.
    config : the settings a trial starts from (its stopping metric, patience, rounds, encoding, seed).
    n_trials, seconds : the budget: stop after this many trials, or once this many training seconds are
        spent (a trial still running then is cut short and not counted). Neither: 20 trials.
    """

    def __init__(self, table: Table, split: Split, config: TabularConfig | None = None,
                 n_trials: int | None = None, seconds: float | None = None) -> None:
        self.table = table
        self.split = validation_only(split)
        self.config = config or TabularConfig()
        if n_trials is None and seconds is None:
            n_trials = DEFAULT_TRIALS
        if n_trials is not None and n_trials < 1:
            raise ValueError(f"n_trials must be at least 1, not {n_trials}")
        if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"seconds must be a positive number, not {seconds}")
        self.n_trials = n_trials
        self.seconds = seconds
        self.metric_ = self.config.stopping_metric(table.task)
        self.maximize_ = self.metric_ == "auc"
        self.history_: list[dict] = []
        self.status_ = READY
        self.message_ = "Ready: press Play to start the search."
        self.seconds_ = 0.0
        self.current_: TabularTrainer | None = None
        self._trial = None  # Optuna's trial in progress
        self._study = None

    seed = property(lambda self: self.config.seed)
    finished = property(lambda self: self.status_ in FINISHED)

    @property
    def progress(self) -> float:
        return _progress(self)

    # ------------------------------------------------------------------ Optuna
    def _make_study(self, sampler=None, trials=()):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = sampler or optuna.samplers.TPESampler(seed=self.config.seed, n_startup_trials=5)
        study = optuna.create_study(direction="maximize" if self.maximize_ else "minimize", sampler=sampler)
        for trial in trials:
            study.add_trial(trial)
        return study

    def _ask(self) -> None:
        if self._study is None:
            self._study = self._make_study()
        trial = self._study.ask()
        params = {}
        for name, (kind, low, high) in SPACE.items():
            if kind == "int":
                params[name] = trial.suggest_int(name, int(low), int(high))
            else:
                params[name] = trial.suggest_float(name, low, high, log=kind == "log")
        self._trial = trial
        self.current_ = TabularTrainer(self.table, self.split, replace(self.config, **params))

    def _tell(self, cut_short: bool) -> None:
        from optuna.trial import TrialState

        trainer, trial = self.current_, self._trial
        score = trainer.best_score_
        if cut_short or score is None or not math.isfinite(score):
            self._study.tell(trial.number, state=TrialState.PRUNED)
            state = "cut short" if cut_short else "failed"
        else:
            self._study.tell(trial.number, score)
            state = "complete"
        done = [h["score"] for h in self.history_ if h["state"] == "complete"]
        if state == "complete":
            done.append(score)
        best = (max(done) if self.maximize_ else min(done)) if done else None
        self.history_.append({"trial": trial.number, "state": state, "score": score, "best_so_far": best,
                              "best_round": trainer.best_round_, "rounds": trainer.rounds_,
                              "seconds": trainer.seconds_, "params": dict(trial.params)})
        self.current_, self._trial = None, None

    # ------------------------------------------------------------------ live protocol
    def _budget_left(self) -> bool:
        complete = sum(h["state"] != "cut short" for h in self.history_)
        if self.n_trials is not None and complete >= self.n_trials:
            return False
        return self.seconds is None or self.seconds_ < self.seconds

    def step(self, max_seconds: float = 0.1) -> int:
        """Train the trial in progress (starting the next when one ends) for about ``max_seconds``; return rounds."""
        if self.finished:
            return 0
        start = time.perf_counter()
        rounds = 0
        while not self.finished:
            if self.current_ is None:
                if not self._budget_left():
                    self._finish()
                    break
                self._ask()
            left = max_seconds - (time.perf_counter() - start)
            if self.seconds is not None:
                left = min(left, self.seconds - self.seconds_)
            before = time.perf_counter()
            rounds += self.current_.step(max(left, 0.0))
            self.seconds_ += time.perf_counter() - before
            self.status_ = TRAINING
            if self.current_.finished:
                self._tell(cut_short=False)
            elif self.seconds is not None and self.seconds_ >= self.seconds:
                self._tell(cut_short=True)
            self.message_ = self._describe()
            if time.perf_counter() - start >= max_seconds:
                break
        return rounds

    def _describe(self) -> str:
        complete = [h for h in self.history_ if h["state"] == "complete"]
        best = f"; best validation {self.metric_} {self.result_best()[0]:.4f}" if complete else ""
        return f"{len(complete)} trial{'s' * (len(complete) != 1)} done{best}."

    def _finish(self) -> None:
        self.status_ = DONE
        why = "seconds" if self.n_trials is None or sum(h["state"] != "cut short" for h in self.history_) \
            < self.n_trials else "trials"
        self.message_ = f"Search finished (budget of {why} spent): " + self._describe()

    def stop(self) -> None:
        """End the search; a trial in progress is cut short (not counted)."""
        if self.finished:
            return
        if self.current_ is not None:
            self.current_.stop()
            self._tell(cut_short=True)
        self.status_ = STOPPED
        self.message_ = "Search stopped: " + self._describe()

    def live_view(self) -> SearchProgress:
        current = None
        if self.current_ is not None:
            current = {"trial": self._trial.number, "params": dict(self._trial.params),
                       "rounds": self.current_.rounds_, "best_score": self.current_.best_score_}
        return SearchProgress(list(self.history_), self.status_, self.message_, self.metric_, self.maximize_,
                              self.n_trials, self.seconds, self.seconds_, current, self.seed)

    # ------------------------------------------------------------------ results
    def result_best(self) -> tuple[float | None, dict | None, int | None]:
        """(best score, its params, its trial number) over the complete trials."""
        complete = [h for h in self.history_ if h["state"] == "complete"]
        if not complete:
            return None, None, None
        best = (max if self.maximize_ else min)(complete, key=lambda h: h["score"])
        return best["score"], best["params"], best["trial"]

    @property
    def best_config_(self) -> TabularConfig | None:
        """The settings of the best complete trial (the base config with its parameters)."""
        params = self.result_best()[1]
        return None if params is None else replace(self.config, **params)

    def trials_frame(self) -> pd.DataFrame:
        """One row per trial: number, state, score, best so far, rounds, seconds and the parameters."""
        return _frame(self.history_)

    def result(self) -> SearchResult:
        score, _, number = self.result_best()
        return SearchResult(self.trials_frame(), self.best_config_, score, number, self.metric_, self.maximize_,
                            self.seconds_, self.message_)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        """Optuna's in-memory study holds locks: pickle its sampler (with its random state) and its trials."""
        state = dict(self.__dict__)
        study = state.pop("_study")
        state["_study_state"] = None if study is None else (
            pickle.dumps(study.sampler), study.get_trials(deepcopy=True))
        if self._trial is not None:  # Optuna's trial refers to its study: keep its number and settings
            state["_trial"] = _Asked(self._trial.number, dict(self._trial.params))
        return state

    def __setstate__(self, state: dict) -> None:
        saved = state.pop("_study_state", None)
        self.__dict__.update(state)
        self._study = None
        if saved is not None:
            sampler, trials = saved
            self._study = self._make_study(pickle.loads(sampler), trials)


@dataclass
class _Asked:
    """A trial in progress after unpickling: Optuna is told about it by number."""

    number: int
    params: dict


def _progress(search) -> float:
    if search.status_ in FINISHED:
        return 1.0
    done = sum(h["state"] != "cut short" for h in search.history_)
    parts = []
    if search.n_trials:
        parts.append(done / search.n_trials)
    if search.seconds:
        parts.append(search.seconds_ / search.seconds)
    return min(1.0, max(parts)) if parts else 0.0


def _frame(history: list[dict]) -> pd.DataFrame:
    rows = [{k: v for k, v in h.items() if k != "params"} | h["params"] for h in history]
    return pd.DataFrame(rows)


def search(table: Table, split: Split, config: TabularConfig | None = None, n_trials: int | None = None,
           seconds: float | None = None, on_trial=None) -> SearchResult:
    """Run a whole search (see :class:`TabularSearch`); ``on_trial(record)`` is called after each trial."""
    runner = TabularSearch(table, split, config, n_trials=n_trials, seconds=seconds)
    reported = 0
    while not runner.finished:
        runner.step(1.0)
        while on_trial is not None and reported < len(runner.history_):
            on_trial(runner.history_[reported])
            reported += 1
    return runner.result()
