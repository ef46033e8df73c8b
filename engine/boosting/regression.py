"""The regression companion (after Rogozhnikov's 2016-06-24 demo): boosting trees on a 2-D target surface.

A smooth surface ``z = target(x₁, x₂)`` on the unit square is sampled at noisy
points; each tree of depth 0-6 is fitted by least squares to the residuals
``z − F_k`` of the ensemble so far (squared error: the gradient is ``F − z`` and
the hessian 1), and added times the learning rate. Depth 0 is a single leaf: the
mean residual, so the ensemble only shifts up and down.

XGBoost grows the trees (exact method, ``λ = 0``); depth 0 is a depth-1 tree whose
split XGBoost prunes (``γ`` larger than any gain), which leaves its root a leaf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.boosting.trainer import grid_points
from engine.runtime import math_threads

N_POINTS = 200
NOISE = 0.1
SEED = 0
GRID = 30
DEPTHS = (0, 6)
PRUNE_ALL = 1e30


def target(x: np.ndarray) -> np.ndarray:
    """The surface: a bump, a dip and a slope, ``(n, 2) -> (n,)``."""
    x1, x2 = x[:, 0], x[:, 1]
    return (np.exp(-((x1 - 0.3) ** 2 + (x2 - 0.7) ** 2) / 0.03) - 0.8 * np.exp(-((x1 - 0.7) ** 2 + (x2 - 0.3) ** 2)
                                                                                 / 0.05) + 0.5 * x1 * x2)


@dataclass(frozen=True)
class RegressionRun:
    """Every stage of a boosted regression ensemble (``k = 0..n_trees``), arrays read-only.

    ``grid_pred[k]`` is ``F_k`` on the ``GRID × GRID`` grid (row-major from the bottom), ``tree_grid[k]``
    tree ``k``'s own fit (before the learning rate) there; ``train_pred[k]`` is ``F_k`` at the points.
    """

    depth: int
    learning_rate: float
    x: np.ndarray  # (N_POINTS, 2)
    z: np.ndarray  # (N_POINTS,) noisy targets
    grid: np.ndarray  # (GRID², 2)
    grid_target: np.ndarray  # (GRID²,)
    grid_pred: np.ndarray  # (n_trees + 1, GRID²)
    tree_grid: np.ndarray  # (n_trees, GRID²)
    train_pred: np.ndarray  # (n_trees + 1, N_POINTS)
    train_mse: np.ndarray  # (n_trees + 1,)

    @property
    def n_trees(self) -> int:
        return len(self.tree_grid)

    def residuals(self, k: int) -> np.ndarray:
        """``z − F_k``: what tree ``k`` is fitted to."""
        return self.z - self.train_pred[k]


def fit_regression(depth: int, learning_rate: float, n_trees: int) -> RegressionRun:
    """Boost ``n_trees`` trees of ``depth`` (0-6) on the noisy surface."""
    import xgboost as xgb

    if not DEPTHS[0] <= depth <= DEPTHS[1]:
        raise ValueError(f"depth must be from {DEPTHS[0]} to {DEPTHS[1]}, not {depth}")
    rng = np.random.default_rng(SEED)
    x = rng.random((N_POINTS, 2))
    z = target(x) + NOISE * rng.standard_normal(N_POINTS)
    grid = grid_points((0.0, 1.0, 0.0, 1.0), GRID)
    params = {"tree_method": "exact", "max_depth": max(depth, 1), "eta": 1.0, "reg_lambda": 0.0,
              "min_child_weight": 1.0, "gamma": PRUNE_ALL if depth == 0 else 0.0, "base_score": 0.0,
              "objective": "reg:squarederror", "nthread": math_threads(), "verbosity": 0}
    dtrain = xgb.DMatrix(x, nthread=math_threads())
    booster = xgb.Booster(params, [dtrain])
    stacked = np.vstack([x, grid])
    f = np.zeros(N_POINTS)
    train_pred, grid_pred, tree_grid = [f], [np.zeros(len(grid))], []
    for k in range(n_trees):
        booster.boost(dtrain, k, grad=f - z, hess=np.ones(N_POINTS))
        out = booster.inplace_predict(stacked, iteration_range=(k, k + 1), predict_type="margin",
                                      base_margin=np.zeros(len(stacked))).astype(float)
        f = f + learning_rate * out[:N_POINTS]
        train_pred.append(f)
        grid_pred.append(grid_pred[-1] + learning_rate * out[N_POINTS:])
        tree_grid.append(out[N_POINTS:])
    train_pred_a = np.array(train_pred)
    run = RegressionRun(depth=depth, learning_rate=learning_rate, x=x, z=z, grid=grid, grid_target=target(grid),
                        grid_pred=np.array(grid_pred), tree_grid=np.array(tree_grid).reshape(n_trees, len(grid)),
                        train_pred=train_pred_a, train_mse=np.mean((train_pred_a - z) ** 2, axis=1))
    for value in vars(run).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return run
