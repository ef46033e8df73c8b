"""XGBoost on a real table, one boosting round at a time (the live protocol of :mod:`engine.live`).

:class:`TabularTrainer` builds its ``DMatrix`` objects once, then each unit of work is one call of
XGBoost's own ``Booster.update`` followed by ``Booster.eval_set`` on the training and validation
rows: the numbers on the page are XGBoost's. Early stopping follows ``xgboost.train``'s rule exactly
(the best round is the last strict improvement of the stopping metric on the validation rows;
training stops once ``early_stopping`` rounds in a row have not improved it), so a finished run's
``best_round_`` equals ``xgb.train(..., early_stopping_rounds=...).best_iteration``.

Randomness (row and column subsampling) is reseeded from ``seed`` and the round number every round
(XGBoost's ``seed_per_iteration``), so two runs never share a random stream. A run pickled to a training
worker (:mod:`engine.workers`) and back continues exactly as it would have in one process: without
sampling the booster alone decides the next tree; with sampling, the samplers' state (which XGBoost does
not pickle) is rebuilt by training the rounds again on the first step after unpickling (a second or so
for a few hundred Bank Marketing rounds, only when a run moves, never per tick: ticks send
:meth:`TabularTrainer.live_view`).
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from engine.live import DIVERGED, DONE, FINISHED, READY, STOPPED, TRAINING
from engine.tabular.data import Table
from engine.tabular.split import Split

INT_RANGES: dict[str, tuple[int, int]] = {
    "max_depth": (1, 12),
    "n_rounds": (1, 5000),
    "early_stopping": (0, 500),
    "seed": (0, 2**31 - 1),
    "n_jobs": (1, 64),
}
FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "learning_rate": (0.005, 1.0),
    "subsample": (0.1, 1.0),
    "colsample_bytree": (0.1, 1.0),
    "reg_lambda": (0.0, 100.0),
    "reg_alpha": (0.0, 100.0),
    "min_child_weight": (0.0, 100.0),
}
CATEGORICAL = ("native", "onehot")
DEVICES = ("cpu", "cuda", "auto")
METRICS = {
    "binary": ("logloss", "auc", "error"),
    "multiclass": ("mlogloss", "merror"),
    "regression": ("rmse", "mae"),
}
"""The metrics recorded every round per task; the first is the default stopping metric."""
MAXIMIZE = ("auc",)
OBJECTIVES = {"binary": "binary:logistic", "multiclass": "multi:softprob", "regression": "reg:squarederror"}


@dataclass(frozen=True)
class TabularConfig:
    """Everything a run depends on besides the data (hashable: a cache key and the page's link state).

    The defaults (depth 4, learning rate 0.1, patience 20) were chosen on Bank Marketing's validation rows
    by ``bench/tabular_select_defaults.py`` (best validation log-loss of depths 3-6 x rates 0.05-0.3,
    the cheapest patience within 0.001 of it).

    Attributes
    ----------
    max_depth, learning_rate, subsample, colsample_bytree, reg_lambda, reg_alpha, min_child_weight :
        XGBoost's parameters of the same names (λ = ``reg_lambda``, α = ``reg_alpha``).
    n_rounds : the most boosting rounds.
    early_stopping : patience: stop after this many rounds without a better validation score (0: off).
    categorical : "native" (XGBoost's ``enable_categorical`` splits on categories) or "onehot"
        (one 0/1 column per category; a missing category is missing in every one of them).
    metric : the stopping metric (None: log-loss, multi-class log-loss or RMSE by task).
    seed : subsampling derives from it (reseeded every round).
    device : "cpu", "cuda" or "auto" (the default: CUDA when XGBoost was built with it and a GPU is present,
        unless ``ML_PLAYGROUND_DEVICE=cpu``; the CPU otherwise).
    n_jobs : XGBoost threads.
    """

    max_depth: int = 4
    learning_rate: float = 0.1
    n_rounds: int = 500
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    reg_lambda: float = 1.0
    reg_alpha: float = 0.0
    min_child_weight: float = 1.0
    early_stopping: int = 20
    categorical: str = "native"
    metric: str | None = None
    seed: int = 0
    device: str = "auto"
    n_jobs: int = 1

    def __post_init__(self) -> None:
        for name, (low, high) in INT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
        for name, (low, high) in FLOAT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")
        if self.categorical not in CATEGORICAL:
            raise ValueError(f"categorical must be one of {', '.join(CATEGORICAL)}, not {self.categorical!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        all_metrics = {m for ms in METRICS.values() for m in ms}
        if self.metric is not None and self.metric not in all_metrics:
            raise ValueError(f"metric must be one of {', '.join(sorted(all_metrics))} or None, not {self.metric!r}")

    @classmethod
    def clamped(cls, values: Mapping[str, object], base: TabularConfig | None = None
                ) -> tuple[TabularConfig, list[str]]:
        """A valid config from untrusted ``values``, and a note for every correction (never raises).

        Unknown keys are ignored; a value of the wrong kind keeps ``base``'s; numbers are clamped.
        """
        base = base or cls()
        known = {f.name for f in fields(cls)}
        changes: dict[str, object] = {}
        notes: list[str] = []
        for name, value in values.items():
            if name not in known:
                continue
            default = getattr(base, name)
            if name in INT_RANGES or name in FLOAT_RANGES:
                low, high = INT_RANGES.get(name) or FLOAT_RANGES[name]
                try:
                    number = float(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    notes.append(f"{name} {value!r} is not a number: using {default}.")
                    continue
                if isinstance(value, bool) or not math.isfinite(number):
                    notes.append(f"{name} {value!r} is not a usable number: using {default}.")
                    continue
                clipped = min(max(number, low), high)
                if clipped != number:
                    notes.append(f"{name} {value} is outside {low:g}–{high:g}: clamped to {clipped:g}.")
                changes[name] = int(round(clipped)) if name in INT_RANGES else float(clipped)
            else:
                options = {"categorical": CATEGORICAL, "device": DEVICES,
                           "metric": (None, *sorted({m for ms in METRICS.values() for m in ms}))}[name]
                if value in ("", "None", "none", "default") and name == "metric":
                    value = None
                if value in options:
                    changes[name] = value
                else:
                    notes.append(f"{name} {value!r} is not one of {', '.join(map(str, options))}: using {default}.")
        return replace(base, **changes), notes

    @classmethod
    def from_query(cls, query: Mapping[str, object], prefix: str = "") -> tuple[TabularConfig, list[str]]:
        """A config from a link's query parameters (``prefix`` + field name; lists take their last value)."""
        values = {}
        for f in fields(cls):
            raw = query.get(prefix + f.name)
            if raw is None:
                continue
            values[f.name] = raw[-1] if isinstance(raw, list | tuple) and raw else raw
        return cls.clamped(values)

    def to_query(self, prefix: str = "") -> dict[str, str]:
        """The settings that differ from the defaults, as query parameters (the inverse of :meth:`from_query`)."""
        default = type(self)()
        return {prefix + f.name: str(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    def xgb_params(self, task: str, n_classes: int, device: str = "cpu") -> dict:
        """XGBoost's parameter dictionary for this config on a ``task`` table (metrics included, stopping one last)."""
        metric = self.stopping_metric(task)
        params = {
            "objective": OBJECTIVES[task],
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "lambda": self.reg_lambda,
            "alpha": self.reg_alpha,
            "min_child_weight": self.min_child_weight,
            "seed": self.seed,
            "seed_per_iteration": True,
            "nthread": self.n_jobs,
            "device": device,
            "eval_metric": [m for m in METRICS[task] if m != metric] + [metric],
            "validate_parameters": True,
        }
        if task == "multiclass":
            params["num_class"] = n_classes
        return params

    def stopping_metric(self, task: str) -> str:
        """The metric early stopping watches on ``task`` (raises ``ValueError`` if it does not fit the task)."""
        if self.metric is None:
            return METRICS[task][0]
        if self.metric not in METRICS[task]:
            raise ValueError(f"metric {self.metric!r} does not apply to a {task} target; use one of "
                             f"{', '.join(METRICS[task])}")
        return self.metric


@functools.lru_cache(maxsize=1)
def cuda_available() -> bool:
    """True when this XGBoost was built with CUDA and an NVIDIA GPU is visible.

    ``CUDA_VISIBLE_DEVICES`` set to nothing (or -1) hides every GPU, as it does from CUDA itself.
    """
    import xgboost as xgb

    if not xgb.build_info().get("USE_CUDA"):
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        return False
    return os.path.exists("/dev/nvidiactl") or shutil.which("nvidia-smi") is not None


def resolve_device(device: str) -> tuple[str, str | None]:
    """``(device XGBoost gets, note or None)`` for a config's ``device``."""
    from engine.runtime import DEVICE_ENV

    if device == "cpu" or (device == "auto" and os.environ.get(DEVICE_ENV, "").strip().lower() == "cpu"):
        return "cpu", None
    if cuda_available():
        return "cuda", None
    if device == "cuda":
        return "cpu", ("No CUDA GPU here (or this XGBoost is the CPU-only build, xgboost-cpu): training on the CPU.")
    return "cpu", None


# ------------------------------------------------------------------------------------------ design matrices
def safe_name(name: str) -> str:
    """A feature name XGBoost accepts (it rejects ``[``, ``]`` and ``<``)."""
    return str(name).replace("[", "(").replace("]", ")").replace("<", "lt ")


def design(table: Table, categorical: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The columns XGBoost sees, and for each the index of the table feature it comes from.

    "native": the table's own columns (categories stay categories). "onehot": each categorical column
    becomes one float column per category (1 / 0, all NaN where the category is missing).
    """
    columns: dict[str, object] = {}
    origin: list[int] = []
    for i, name in enumerate(table.X.columns):
        column = table.X[name]
        if categorical == "onehot" and isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            for j, category in enumerate(column.cat.categories):
                values = (codes == j).astype(np.float32)
                values[codes < 0] = np.nan
                columns[_unique(safe_name(f"{name}={category}"), columns)] = values
                origin.append(i)
        else:
            columns[_unique(safe_name(name), columns)] = column
            origin.append(i)
    frame = pd.DataFrame(columns, index=table.X.index)
    return frame, np.asarray(origin, dtype=np.int64)


def _unique(name: str, taken) -> str:
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name} ({k})"
    return candidate


# ------------------------------------------------------------------------------------------ the trainer
@dataclass
class TabularProgress:
    """What the page draws while a run trains in a worker (see :meth:`TabularTrainer.live_view`)."""

    config: TabularConfig
    history_: list
    status_: str
    message_: str
    best_round_: int
    best_score_: float | None
    rounds_since_best: int
    rounds_: int
    seconds_: float
    metric_: str
    maximize_: bool
    device_: str = "cpu"

    seed = property(lambda self: self.config.seed)
    finished = property(lambda self: self.status_ in FINISHED)
    progress = property(lambda self: 1.0 if self.status_ in FINISHED else self.rounds_ / self.config.n_rounds)
    patience = property(lambda self: self.config.early_stopping)


class TabularTrainer:
    """Boosts ``table`` on ``split.train``, watching ``split.valid``; call :meth:`step` until :attr:`finished`.

    Attributes (after training)
    ---------------------------
    booster_ : the ``xgboost.Booster`` with every round trained (:meth:`best_booster` truncates it).
    history_ : one record per round: ``{"round": i, "train": {metric: v}, "valid": {metric: v}, "seconds": s}``.
    best_round_ : 0-based round with the best validation ``metric_`` so far (-1 before the first round).
    rounds_since_best : rounds since then (early stopping ends the run when it reaches the patience).
    test_scored_ : True once :meth:`score_test` ran (it runs once; the result is cached).
    """

    def __init__(self, table: Table, split: Split, config: TabularConfig | None = None) -> None:
        self.table = table
        self.split = split
        self.config = config or TabularConfig()
        self.metric_ = self.config.stopping_metric(table.task)
        self.maximize_ = self.metric_ in MAXIMIZE
        self.device_, device_note = resolve_device(self.config.device)
        self.notes_ = [device_note] if device_note else []
        self.params_ = self.config.xgb_params(table.task, table.n_classes, self.device_)
        self.booster_ = None
        self.history_: list[dict] = []
        self.status_ = READY
        self.message_ = "Ready: press Play or Step to grow the first trees."
        self.best_round_ = -1
        self.best_score_: float | None = None
        self.rounds_since_best = 0
        self.seconds_ = 0.0
        self.test_scores_: dict | None = None
        self.test_scored_ = False
        self._cache: dict = {}

    seed = property(lambda self: self.config.seed)
    finished = property(lambda self: self.status_ in FINISHED)
    patience = property(lambda self: self.config.early_stopping)

    @property
    def progress(self) -> float:
        return 1.0 if self.finished else self.rounds_ / self.config.n_rounds

    @property
    def rounds_(self) -> int:
        """Boosting rounds trained so far."""
        return len(self.history_)

    @property
    def rounds_used(self) -> int:
        """Rounds in the model that predicts: up to the best round with early stopping, else all of them."""
        if self.config.early_stopping and self.best_round_ >= 0:
            return self.best_round_ + 1
        return self.rounds_

    # ------------------------------------------------------------------ data
    def _design(self) -> tuple[pd.DataFrame, np.ndarray]:
        if "design" not in self._cache:
            self._cache["design"] = design(self.table, self.config.categorical)
        return self._cache["design"]

    @property
    def feature_names_(self) -> list[str]:
        """The columns XGBoost sees (one per category with one-hot)."""
        return list(self._design()[0].columns)

    def matrix(self, rows: np.ndarray | str):
        """An ``xgboost.DMatrix`` of ``rows`` (indices, or "train" / "valid"; "test" only via :meth:`score_test`)."""
        import xgboost as xgb

        key = rows if isinstance(rows, str) else None
        if key is not None and key in self._cache:
            return self._cache[key]
        if isinstance(rows, str):
            if rows not in ("train", "valid"):
                raise ValueError(f"rows must be 'train', 'valid' or row indices, not {rows!r}")
            index = getattr(self.split, rows)
        else:
            index = np.asarray(rows, dtype=np.int64)
        frame = self._design()[0].iloc[index]
        dm = xgb.DMatrix(frame, label=self.table.y[index], missing=np.nan, nthread=self.config.n_jobs,
                         enable_categorical=self.config.categorical == "native")
        if key is not None:
            self._cache[key] = dm
        return dm

    # ------------------------------------------------------------------ training
    def step(self, max_seconds: float = 0.1) -> int:
        """Boost rounds for at most ``max_seconds`` (at least one); return how many."""
        if self.finished:
            return 0
        import xgboost as xgb

        start = time.perf_counter()
        dtrain, dvalid = self.matrix("train"), self.matrix("valid")
        if self.booster_ is None:
            self.booster_ = xgb.Booster(self.params_, cache=[dtrain, dvalid])
        elif self._cache.get("replay"):
            self._replay(dtrain, dvalid)
        done = 0
        while not self.finished:
            self._one_round(dtrain, dvalid)
            done += 1
            if time.perf_counter() - start >= max_seconds:
                break
        self.seconds_ += time.perf_counter() - start
        return done

    @property
    def samples(self) -> bool:
        """True when rounds draw random rows or columns (subsample or colsample_bytree below 1)."""
        return self.config.subsample < 1 or self.config.colsample_bytree < 1

    def _replay(self, dtrain, dvalid) -> None:
        """Rebuild the booster by training its rounds again from the start (after unpickling a sampling run).

        XGBoost keeps the random state of its row and column samplers inside the booster's updater, which
        pickling does not save: a reloaded booster would draw other rows from its next round on. Rounds
        are reseeded from ``seed`` and the round number, so training them again from the start gives the
        same trees and the samplers' state as well; checked against the pickled model.
        """
        import xgboost as xgb

        self._cache.pop("replay", None)
        rebuilt = xgb.Booster(self.params_, cache=[dtrain, dvalid])
        for iteration in range(self.booster_.num_boosted_rounds()):
            rebuilt.update(dtrain, iteration)
        if rebuilt.save_raw("ubj") != self.booster_.save_raw("ubj"):
            self.notes_.append("Could not rebuild the random state of a moved run: it continues with new draws.")
            return
        self.booster_ = rebuilt

    def _one_round(self, dtrain, dvalid) -> None:
        iteration = self.rounds_
        t0 = time.perf_counter()
        self.booster_.update(dtrain, iteration)
        scores = parse_eval(self.booster_.eval_set([(dtrain, "train"), (dvalid, "valid")], iteration))
        self.history_.append({"round": iteration, "train": scores["train"], "valid": scores["valid"],
                              "seconds": time.perf_counter() - t0})
        self.status_ = TRAINING
        score = scores["valid"][self.metric_]
        if not math.isfinite(score):
            self.status_ = DIVERGED
            self.message_ = f"The validation {self.metric_} became {score} in round {iteration + 1}: stopped."
            return
        better = self.best_score_ is None or (score > self.best_score_ if self.maximize_ else score < self.best_score_)
        if better:
            self.best_round_, self.best_score_, self.rounds_since_best = iteration, score, 0
        else:
            self.rounds_since_best += 1
        best = f"best round {self.best_round_ + 1} (validation {self.metric_} {self.best_score_:.4f})"
        if self.patience and self.rounds_since_best >= self.patience:
            self.status_ = DONE
            self.message_ = (f"Early stopping after round {iteration + 1}: the validation {self.metric_} has not "
                             f"improved for {self.patience} rounds; {best} is kept.")
        elif self.rounds_ >= self.config.n_rounds:
            self.status_ = DONE
            self.message_ = f"All {self.config.n_rounds} rounds trained; {best}."
        else:
            self.message_ = f"Round {iteration + 1}: {best}" + (
                f", {self.rounds_since_best} of {self.patience} rounds without improvement." if self.patience else ".")

    def stop(self) -> None:
        """End the run early; the model keeps its rounds."""
        if not self.finished:
            self.status_ = STOPPED
            self.message_ = f"Stopped after round {self.rounds_}" + (
                f"; best round {self.best_round_ + 1} is kept." if self.best_round_ >= 0 else ".")

    def live_view(self) -> TabularProgress:
        """The counters and history a page draws while training (no data, no model)."""
        return TabularProgress(self.config, list(self.history_), self.status_, self.message_, self.best_round_,
                               self.best_score_, self.rounds_since_best, self.rounds_, self.seconds_, self.metric_,
                               self.maximize_, self.device_)

    # ------------------------------------------------------------------ the model
    def best_booster(self):
        """The booster truncated to :attr:`rounds_used` rounds (a new ``xgboost.Booster``)."""
        self._require_model()
        if self.rounds_used == self.booster_.num_boosted_rounds():
            return self.booster_
        return self.booster_[: self.rounds_used]

    def _require_model(self) -> None:
        if self.booster_ is None or not self.history_:
            raise RuntimeError("Nothing trained yet: step the trainer first.")

    def predict(self, rows: np.ndarray | str, margin: bool = False) -> np.ndarray:
        """Predictions of the model (up to the best round) on ``rows``: probabilities ((n,) for binary,
        (n, k) multi-class), values for regression, or raw margins."""
        self._require_model()
        return self.booster_.predict(self.matrix(rows), output_margin=margin,
                                     iteration_range=(0, self.rounds_used))

    def scores(self, rows: np.ndarray | str) -> dict[str, float]:
        """Every metric of the task on ``rows`` (see :func:`metrics`), for the model up to the best round."""
        index = getattr(self.split, rows) if isinstance(rows, str) else np.asarray(rows)
        return metrics(self.table.task, self.table.y[index], self.predict(rows))

    def score_test(self) -> dict[str, float]:
        """Score the test rows, once: ends the run if it is still going, and caches the result."""
        if self.test_scores_ is None:
            self._require_model()
            if not self.finished:
                self.stop()
            self.test_scores_ = self.scores(self.split.test)
            self.test_scored_ = True
        return dict(self.test_scores_)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        """Pickled without the DMatrix objects and the design matrix (rebuilt from the table on first use)."""
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        # A sampling run's booster lost its samplers' random state: rebuild it before the next round.
        self._cache = {"replay": self.booster_ is not None and self.samples and not self.finished}


def parse_eval(text: str) -> dict[str, dict[str, float]]:
    """``Booster.eval_set``'s line (``[3]\\ttrain-logloss:0.5\\tvalid-logloss:0.6``) as nested dicts."""
    out: dict[str, dict[str, float]] = {}
    for item in text.strip().split("\t")[1:]:
        name, _, value = item.rpartition(":")
        data, _, metric = name.partition("-")
        out.setdefault(data, {})[metric] = float(value)
    return out


# ------------------------------------------------------------------------------------------ metrics
def metrics(task: str, y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The task's metrics from labels and predictions (probabilities, or values for regression).

    binary: ``auc``, ``logloss``, ``error``, ``accuracy``; multiclass: ``mlogloss``, ``merror``,
    ``accuracy``; regression: ``rmse``, ``mae``, ``r2``. Defined as XGBoost defines them.
    """
    y = np.asarray(y)
    p = np.asarray(predicted, dtype=np.float64)
    eps = 1e-16
    if task == "binary":
        q = np.clip(p, eps, 1 - eps)
        error = float(np.mean((p > 0.5) != (y == 1)))
        return {"auc": auc(y, p), "logloss": float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))),
                "error": error, "accuracy": 1 - error}
    if task == "multiclass":
        q = np.clip(p[np.arange(len(y)), y], eps, 1)
        error = float(np.mean(p.argmax(1) != y))
        return {"mlogloss": float(-np.mean(np.log(q))), "merror": error, "accuracy": 1 - error}
    residual = p - y
    total = float(((y - y.mean()) ** 2).sum())
    return {"rmse": float(np.sqrt(np.mean(residual**2))), "mae": float(np.mean(np.abs(residual))),
            "r2": 1 - float((residual**2).sum()) / total if total > 0 else 0.0}


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties counted half); NaN with one class."""
    y = np.asarray(y) == 1
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        return float("nan")
    ranks = pd.Series(np.asarray(score)).rank(method="average").to_numpy()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def fit(table: Table, split: Split, config: TabularConfig | None = None) -> TabularTrainer:
    """Train to the end (early stopping or ``n_rounds``) and return the trainer."""
    trainer = TabularTrainer(table, split, config)
    while not trainer.finished:
        trainer.step(5.0)
    return trainer


# ------------------------------------------------------------------------------------------ explanations
IMPORTANCE_KINDS = ("gain", "cover", "weight")


def importance(trainer: TabularTrainer, kind: str = "gain") -> pd.Series:
    """XGBoost's feature importance of the model (up to the best round), one value per table feature.

    ``weight``: splits on the feature; ``gain`` / ``cover``: average loss reduction / hessian cover of
    those splits (XGBoost's ``get_score``). One-hot columns are added back to their feature (totals
    summed, then averaged over its splits). Unused features are 0. Sorted, largest first.
    """
    if kind not in IMPORTANCE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(IMPORTANCE_KINDS)}, not {kind!r}")
    booster = trainer.best_booster()
    names, origin = trainer.feature_names_, trainer._design()[1]
    n = len(trainer.table.features)
    weight = np.zeros(n)
    total = np.zeros(n)
    splits = booster.get_score(importance_type="weight")
    totals = booster.get_score(importance_type=f"total_{kind}") if kind != "weight" else splits
    for j, name in enumerate(names):
        weight[origin[j]] += splits.get(name, 0.0)
        total[origin[j]] += totals.get(name, 0.0)
    values = weight if kind == "weight" else np.divide(total, weight, out=np.zeros(n), where=weight > 0)
    return pd.Series(values, index=trainer.table.features, name=kind).sort_values(ascending=False)


def shap_values(trainer: TabularTrainer, rows: np.ndarray | str = "valid",
                class_index: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values from XGBoost's TreeSHAP (``Booster.predict(pred_contribs=True)``) of the best model.

    Returns ``(contribs, bias)``: ``contribs`` is (n_rows, n_features) in the table's feature order
    (one-hot columns summed back into their feature), ``bias`` (n_rows,) the expected margin; each row's
    contributions plus its bias equal the model's margin on that row. Multi-class tables give
    (n_rows, n_classes, n_features) and (n_rows, n_classes), or one class's slice with ``class_index``.
    For ``rows="train"`` / ``"valid"`` XGBoost's values are computed once per model and reused (the
    beeswarm, the dependence plot and one row's explanation all read them); they are not pickled.
    """
    trainer._require_model()
    key = ("shap", rows) if isinstance(rows, str) else None
    rounds, contribs = trainer._cache.get(key, (None, None)) if key else (None, None)
    if rounds != trainer.rounds_used:  # TreeSHAP is costly (1.5 s for Bank Marketing's validation rows): once per model
        contribs = trainer.booster_.predict(trainer.matrix(rows), pred_contribs=True,
                                            iteration_range=(0, trainer.rounds_used))
        contribs.flags.writeable = False
        if key:
            trainer._cache[key] = (trainer.rounds_used, contribs)  # only the latest model's values are kept
    bias = contribs[..., -1]
    per_column = contribs[..., :-1]
    origin = trainer._design()[1]
    n = len(trainer.table.features)
    if len(origin) != n or np.any(origin != np.arange(n)):
        grouped = np.zeros((*per_column.shape[:-1], n), dtype=per_column.dtype)
        for j, i in enumerate(origin):
            grouped[..., i] += per_column[..., j]
        per_column = grouped
    if class_index is not None and per_column.ndim == 3:
        return per_column[:, class_index], bias[:, class_index]
    return per_column, bias


def trees_frame(trainer: TabularTrainer) -> pd.DataFrame:
    """Every node of the model (up to the best round), XGBoost's ``trees_to_dataframe``.

    The ``Missing`` column is the child a row with a missing ``Feature`` goes to: the default direction
    XGBoost learned for that split (equal to ``Yes`` = left, or ``No`` = right). Added here:
    ``Default`` ("left" / "right", empty on leaves).
    """
    frame = trainer.best_booster().trees_to_dataframe()
    frame["Default"] = np.where(frame["Feature"] == "Leaf", "",
                                np.where(frame["Missing"] == frame["Yes"], "left", "right"))
    return frame


# ------------------------------------------------------------------------------------------ two-fit lessons
def _summary(trainer: TabularTrainer, seconds: float) -> dict:
    return {"seconds": seconds, "rounds": trainer.rounds_, "best_round": trainer.best_round_,
            "n_trees": trainer.best_booster().num_boosted_rounds() * max(1, trainer.table.n_classes
                                                                         if trainer.table.task == "multiclass"
                                                                         else 1),
            "n_columns": len(trainer.feature_names_), "score": trainer.scores("valid"),
            "metric": trainer.metric_, "trainer": trainer}


def _timed_fit(table: Table, split: Split, config: TabularConfig) -> dict:
    start = time.perf_counter()
    trainer = fit(table, split, config)
    return _summary(trainer, time.perf_counter() - start)


def compare_categorical(table: Table, split: Split, config: TabularConfig | None = None) -> dict:
    """Two real fits, native categorical splits against one-hot columns: seconds, trees, columns, validation score.

    Returns ``{"native": {...}, "onehot": {...}}``, each with ``seconds``, ``rounds``, ``best_round``,
    ``n_trees`` (in the kept model), ``n_columns`` (what XGBoost saw), ``score`` (validation metrics),
    ``metric`` and the ``trainer``.
    """
    config = config or TabularConfig()
    return {kind: _timed_fit(table, split, replace(config, categorical=kind)) for kind in CATEGORICAL}


def leakage_lesson(table: Table, split: Split, config: TabularConfig | None = None, feature: str = "duration") -> dict:
    """Two real fits: with ``feature`` and without it, on the same split and settings.

    Bank Marketing's ``duration`` (the call's length) is only known once the call has ended, when the
    answer is known too: a model that uses it looks better on paper and cannot be used to decide whom
    to call. Returns ``{"feature", "with": {...}, "without": {...}}`` (as :func:`compare_categorical`).
    """
    if feature not in table.features:
        raise ValueError(f"{feature!r} is not a feature of {table.name}")
    config = config or TabularConfig()
    return {"feature": feature, "with": _timed_fit(table, split, config),
            "without": _timed_fit(table.without([feature]), split, config)}
