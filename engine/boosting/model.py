"""Boosting with XGBoost one tree at a time: :func:`fit` and the :class:`BoostedModel` it returns.

The ensemble's margin starts at ``F₀ = 0`` and tree ``k`` adds ``η·f_k``:
``F_{k+1}(x) = F_k(x) + η f_k(x)``. Every tree is grown by XGBoost's exact
greedy algorithm (``tree_method="exact"``) from per-point gradients ``g`` and
hessians ``h`` of the loss at the training margins ``F_k``:

- a split's gain is ``G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)`` and a leaf's value is
  ``−η G/(H+λ)``, sums over the leaf's points;
- **gradient** mode (Rogozhnikov's default) passes ``h = 1`` and ``λ = 0``: the gain is
  the reduction of the residuals' variance and a leaf is ``η`` × the mean residual
  ``−g`` of its points: a least-squares tree fitted to the residuals;
- **newton** mode grows the same tree, then XGBoost's ``refresh`` updater resets
  every leaf over the *whole* training set as Rogozhnikov's code does: ``−η Σg/(Σh' + 10⁻⁴)``
  with ``h' = 2h`` (for log-loss ``2p(1−p)``, twice the true hessian: his comment says
  "this is wrong, but this is better for visualisation"), so a leaf is half a true Newton step;
- **xgboost** mode grows with the true hessians and XGBoost's λ, γ, minimum child
  weight and column sampling, as ``binary:logistic`` does for log-loss.

How XGBoost is driven: each round hands ``Booster.boost`` the gradients and
hessians of our loss at the current margins, which is what ``Booster.update``
does with a custom objective on a ``DMatrix`` whose ``base_margin`` holds ``F_k``
(tests check that both give the same trees, and that log-loss in ``xgboost``
mode reproduces ``xgb.train(objective="binary:logistic")``). ``base_score`` is
pinned to 0 and every prediction passes ``base_margin = 0``, so a tree's output
is the tree alone. With "rotate trees", tree ``k`` sees the points turned by
``k`` radians about the square's centre; the margins it adds are computed in
the same turned coordinates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.boosting import losses
from engine.boosting.config import BoostingConfig
from engine.boosting.data import rotate
from engine.boosting.trees import parse_dump, table
from engine.runtime import math_threads

FEATURES = ("x1", "x2")
ROTATED_FEATURES = ("u1", "u2")
"""Names of tree ``k``'s coordinates when it is rotated: the points turned by ``k`` radians (XGBoost itself
sees ``f0, f1`` for every tree, so one booster can hold trees grown in different coordinates)."""
MARGIN_LIMIT = 1e6
"""A margin beyond this (or NaN) counts as diverged."""
HIS_HESSIAN_FACTOR = 2.0
"""Rogozhnikov's "Newton-Raphson" leaves divide by Σ 2p(1−p), twice the log-loss hessian (his code's choice)."""
HIS_HESSIAN_EPS = 1e-4
"""...plus this, in his code (so a leaf never divides by zero): leaf = η Σ(y − p) / (Σ 2p(1−p) + 10⁻⁴)."""


def his_newton_hessian(loss: str, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The hessians Rogozhnikov's Newton-Raphson leaves divide by: ``2h`` (``2p(1−p)`` for log-loss).

    He had log-loss only; the other losses get the same factor, so the option means "half a Newton
    step" whatever the loss.
    """
    return HIS_HESSIAN_FACTOR * losses.hessian(loss, f, y)


def _xgb():
    import xgboost

    return xgboost


def tree_angle(config: BoostingConfig, k: int) -> float:
    """The angle (radians) of tree ``k``'s coordinates: ``k`` with "rotate trees", else 0."""
    return float(k) if config.rotate_trees else 0.0


def subsample_rows(config: BoostingConfig, k: int, n: int) -> np.ndarray:
    """The training rows tree ``k`` is grown from: a fixed draw from ``(seed, k)``, sorted (all rows at 100 %)."""
    if config.subsample >= 1.0:
        return np.arange(n)
    size = max(1, int(round(config.subsample * n)))
    rng = np.random.default_rng([config.seed, k])
    return np.sort(rng.choice(n, size=size, replace=False))


def booster_params(config: BoostingConfig) -> dict:
    """XGBoost parameters of the trees (the ``eta`` is the learning rate: leaves come out already shrunk)."""
    params = {
        "tree_method": "exact",
        "max_depth": config.depth,
        "eta": config.learning_rate,
        "objective": "reg:squarederror",  # identity link: with base_score 0 the margin starts at 0
        "base_score": 0.0,
        "nthread": math_threads(),
        "verbosity": 0,
        "seed": config.seed,
    }
    if config.second_order:
        params.update(reg_lambda=config.reg_lambda, gamma=config.gamma, min_child_weight=config.min_child_weight,
                      colsample_bytree=config.colsample)
    else:  # least squares on the residuals: no penalty, at least one point per leaf
        params.update(reg_lambda=0.0, gamma=0.0, min_child_weight=1.0)
    return params


def tree_gradients(config: BoostingConfig, f: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(g, h)`` a tree is grown from at margins ``f``: ``h = 1`` unless the mode is ``xgboost``."""
    g = losses.gradient(config.loss, f, y)
    h = losses.hessian(config.loss, f, y) if config.second_order else np.ones_like(g)
    return g, h


@dataclass(frozen=True)
class Tree:
    """One fitted tree: where XGBoost keeps it and what it was grown from."""

    booster: object  # xgboost.Booster
    index: int  # the tree's round in ``booster``
    angle: float  # radians its coordinates are turned by
    rows: np.ndarray  # training rows it was grown from


def predict_tree(booster, index: int, angle: float, x: np.ndarray) -> np.ndarray:
    """``(n,)`` float32: round ``index`` of ``booster`` alone at ``x`` (turned by ``angle`` first), no base score."""
    x = rotate(x, angle) if angle else np.asarray(x, dtype=float)
    return booster.inplace_predict(x, iteration_range=(index, index + 1), predict_type="margin",
                                   base_margin=np.zeros(len(x)))


class EnsembleBuilder:
    """Grows an ensemble tree by tree (used by :func:`fit` and by the live trainer).

    ``points`` (optional, ``(m, 2)``) are extra points whose tree outputs are
    recorded as each tree is added (the page's grid and test points), so views
    never have to predict again.
    """

    def __init__(self, config: BoostingConfig, x: np.ndarray, y: np.ndarray, points: np.ndarray | None = None):
        self.config = config
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=np.int64)
        self.points = np.zeros((0, 2)) if points is None else np.asarray(points, dtype=float)
        self.trees: list[Tree] = []
        self.margins = [np.zeros(len(self.x))]  # F_k on the training points, k = 0..
        self.point_outputs: list[np.ndarray] = []  # each tree's output on ``points`` (float32)
        self.diverged = False
        self._xgb = _xgb()
        self._params = booster_params(config)
        self._shared = None  # one booster for every tree (gradient and xgboost modes)
        self._stack = None  # [training points; points]
        self._train0 = None  # DMatrix of all training points unturned

    def __getstate__(self) -> dict:
        """Pickled without the xgboost module and the cached DMatrix (neither pickles; both come back on use)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_xgb", "_train0")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._xgb, self._train0 = _xgb(), None

    @property
    def n_built(self) -> int:
        return len(self.trees)

    def _dmatrix(self, x: np.ndarray):
        return self._xgb.DMatrix(x, nthread=math_threads())

    def add_tree(self) -> None:
        """Grow tree ``k = n_built`` from the current margins and record its outputs."""
        xgb, config, k = self._xgb, self.config, len(self.trees)
        f = self.margins[-1]
        angle = tree_angle(config, k)
        rows = subsample_rows(config, k, len(self.x))
        whole = len(rows) == len(self.x)
        if angle:
            turned = rotate(self.x, angle)
            dfull = self._dmatrix(turned)
        else:
            turned = self.x
            if self._train0 is None:
                self._train0 = self._dmatrix(self.x)
            dfull = self._train0
        dtrain = dfull if whole else self._dmatrix(turned[rows])
        g, h = tree_gradients(config, f, self.y)
        if config.mode == "newton":
            booster, index = xgb.Booster(self._params, [dtrain]), 0
            booster.boost(dtrain, 0, grad=g[rows], hess=h[rows])
            self._refresh(booster, dfull, f)
        else:
            if self._shared is None:
                self._shared = xgb.Booster(self._params, [dtrain])
            booster, index = self._shared, k
            booster.boost(dtrain, k, grad=g[rows], hess=h[rows])
        stacked = np.vstack([self.x, self.points]) if self._stack is None else self._stack
        self._stack = stacked
        outputs = predict_tree(booster, index, angle, stacked)
        n = len(self.x)
        f_next = f + outputs[:n].astype(float)
        self.trees.append(Tree(booster, index, angle, rows))
        self.margins.append(f_next)
        self.point_outputs.append(outputs[n:])
        if not np.all(np.isfinite(f_next)) or np.max(np.abs(f_next)) > MARGIN_LIMIT:
            self.diverged = True

    def _refresh(self, booster, dfull, f: np.ndarray) -> None:
        """His Newton leaves: XGBoost's ``refresh`` updater resets each leaf to ``−η Σg/(Σ2h + 10⁻⁴)`` over all
        training points (its leaf is ``−η G/(H + λ)``, so λ carries his 10⁻⁴)."""
        booster.set_param({"process_type": "update", "updater": "refresh", "refresh_leaf": True,
                           "min_child_weight": 0.0,  # a leaf's Σh may be below 1: keep its Newton value
                           "reg_lambda": HIS_HESSIAN_EPS})
        g = losses.gradient(self.config.loss, f, self.y)
        h = his_newton_hessian(self.config.loss, f, self.y)
        booster.boost(dfull, 0, grad=g, hess=h)

    def model(self) -> BoostedModel:
        """The ensemble built so far."""
        return BoostedModel(self.config, self.x, self.y, tuple(self.trees), np.array(self.margins))


class BoostedModel:
    """A fitted ensemble: its trees, and every stage's margins on the training points.

    Stage ``k`` means "after the first ``k`` trees" (stage 0 is ``F = 0``).
    """

    def __init__(self, config: BoostingConfig, x: np.ndarray, y: np.ndarray, trees: tuple[Tree, ...],
                 train_margins: np.ndarray):
        self.config = config
        self.x_train_ = x
        self.y_train_ = y
        self.trees_ = trees
        self.train_margins_ = train_margins  # (n_trees + 1, n_train)
        self.train_margins_.setflags(write=False)
        self._dumps: dict[int, str] = {}  # tree -> its JSON dump (dumped once)

    @property
    def n_trees(self) -> int:
        return len(self.trees_)

    def _check_tree(self, k: int) -> Tree:
        if not 0 <= k < self.n_trees:
            raise IndexError(f"tree {k} does not exist: the ensemble has trees 0 to {self.n_trees - 1}")
        return self.trees_[k]

    def _dmatrix(self, x: np.ndarray, angle: float):
        x = rotate(x, angle) if angle else np.asarray(x, dtype=float)
        return _xgb().DMatrix(x, base_margin=np.zeros(len(x)), nthread=math_threads())

    def tree_margin(self, x: np.ndarray, k: int) -> np.ndarray:
        """``(n,)`` what tree ``k`` alone adds to the margin at ``x : (n, 2)`` (already times η)."""
        tree = self._check_tree(k)
        return predict_tree(tree.booster, tree.index, tree.angle, x).astype(float)

    def tree_margins(self, x: np.ndarray) -> np.ndarray:
        """``(n_trees, n)`` every tree's own output at ``x``."""
        out = np.zeros((self.n_trees, len(x)))
        for k in range(self.n_trees):
            out[k] = self.tree_margin(x, k)
        return out

    def staged_margin(self, x: np.ndarray, k: int) -> np.ndarray:
        """``(n,)`` the margin ``F_k`` after the first ``k`` trees (``0 ≤ k ≤ n_trees``)."""
        if not 0 <= k <= self.n_trees:
            raise IndexError(f"stage {k} does not exist: stages run from 0 to {self.n_trees}")
        total = np.zeros(len(x))
        for j in range(k):
            total += self.tree_margin(x, j)
        return total

    def staged_margins(self, x: np.ndarray) -> np.ndarray:
        """``(n_trees + 1, n)``: row ``k`` is :meth:`staged_margin` ``(x, k)``."""
        return np.vstack([np.zeros((1, len(x))), np.cumsum(self.tree_margins(x), axis=0)])

    def predict_margin(self, x: np.ndarray) -> np.ndarray:
        """The full ensemble's margin at ``x``."""
        return self.staged_margin(x, self.n_trees)

    def predict_proba(self, x: np.ndarray, k: int | None = None) -> np.ndarray:
        """Probability of class 1 after ``k`` trees (all by default), through the loss's link."""
        k = self.n_trees if k is None else k
        return losses.probability(self.config.loss, self.staged_margin(x, k))

    def gradients(self, k: int) -> np.ndarray:
        """``(n_train,)`` the loss gradient ``g = ∂L/∂F`` at the training points at stage ``k``.

        These are the gradients tree ``k`` was grown from (its residuals are ``−g``);
        ``k = n_trees`` gives the gradients after the whole ensemble.
        """
        if not 0 <= k <= self.n_trees:
            raise IndexError(f"stage {k} does not exist: stages run from 0 to {self.n_trees}")
        return losses.gradient(self.config.loss, self.train_margins_[k], self.y_train_)

    def loss_curve(self, x: np.ndarray, y: np.ndarray, objective: bool = False) -> np.ndarray:
        """``(n_trees + 1,)`` mean loss on ``(x, y)`` after each number of trees.

        By default the log-loss of the predicted probability (the playground's score, comparable
        across losses); ``objective=True`` gives the mean of the loss the trees were trained on.
        """
        margins = self.staged_margins(x)
        if objective:
            return losses.value(self.config.loss, margins, np.broadcast_to(y, margins.shape)).mean(axis=1)
        return losses.log_losses(losses.probability(self.config.loss, margins), y)

    def tree_nodes(self, k: int) -> list[dict]:
        """Tree ``k`` as XGBoost dumps it (JSON, with gain and cover), flattened: one dict per node."""
        tree = self._check_tree(k)
        names = ROTATED_FEATURES if tree.angle else FEATURES
        text = self._dumps.get(k)
        if text is None:  # dump this tree alone (a one-round slice), not every tree of a shared booster
            one = tree.booster[tree.index : tree.index + 1]
            text = self._dumps[k] = one.get_dump(dump_format="json", with_stats=True)[0]
        return parse_dump(text, names)

    def tree_table(self, k: int) -> pd.DataFrame:
        """Tree ``k``'s nodes as a table (node, depth, split or leaf, feature, threshold, children, gain, cover)."""
        return table(self.tree_nodes(k))

    def contributions(self, x: np.ndarray, k: int | None = None) -> np.ndarray:
        """``(n, 3)`` SHAP values of the margin after ``k`` trees: x₁'s push, x₂'s push, and the base value.

        XGBoost's ``pred_contribs`` (TreeSHAP), summed over the trees (SHAP values add up over
        an ensemble's trees). Each row sums to the margin. Not defined with "rotate trees":
        those trees' features are turned coordinates, not x₁ and x₂.
        """
        if self.config.rotate_trees:
            raise ValueError("SHAP values need the original features; with rotate trees each tree has its own axes")
        k = self.n_trees if k is None else k
        out = np.zeros((len(x), 3))
        d = self._dmatrix(x, 0.0)
        by_booster: dict[int, list[Tree]] = {}
        for tree in self.trees_[:k]:
            by_booster.setdefault(id(tree.booster), []).append(tree)
        for group in by_booster.values():
            booster, first, last = group[0].booster, group[0].index, group[-1].index
            if last - first + 1 == len(group):  # contiguous rounds of one booster: one call
                out += booster.predict(d, pred_contribs=True, iteration_range=(first, last + 1))
            else:
                for tree in group:
                    out += booster.predict(d, pred_contribs=True, iteration_range=(tree.index, tree.index + 1))
        return out


def fit(config: BoostingConfig, x: np.ndarray, y: np.ndarray, max_seconds: float | None = None) -> BoostedModel:
    """Grow ``config.n_trees`` trees on ``(x, y)`` (``x : (n, 2)``, ``y`` in {0, 1}); stop early if it diverges.

    ``max_seconds`` (optional) stops after that long, with the trees built so far.
    """
    builder = EnsembleBuilder(config, x, y)
    start = time.perf_counter()
    while builder.n_built < config.n_trees and not builder.diverged:
        builder.add_tree()
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    return builder.model()
