"""The live trainer: grows the ensemble tree by tree for the page's Play button (see :mod:`engine.live`).

One unit of work is one tree. As each tree is added its output on the training
points, the test points and the view's grid is recorded, so every picture of
every stage (:class:`EnsembleViews`) is a cumulative sum away: scrubbing through
the stages never predicts again, let alone refits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.boosting import losses
from engine.boosting.config import BoostingConfig
from engine.boosting.data import train_test, view_bounds
from engine.boosting.model import BoostedModel, EnsembleBuilder
from engine.live import DIVERGED, DONE, FINISHED, READY, STOPPED, TRAINING

GRID = 50
"""Cells per side of the prediction map."""


def grid_points(bounds: tuple[float, float, float, float], resolution: int) -> np.ndarray:
    """``(resolution², 2)`` cell centres over ``bounds = (x0, x1, y0, y1)``, row by row from the bottom."""
    x0, x1, y0, y1 = bounds
    xs = x0 + (np.arange(resolution) + 0.5) * (x1 - x0) / resolution
    ys = y0 + (np.arange(resolution) + 0.5) * (y1 - y0) / resolution
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


@dataclass(frozen=True)
class TreeRecord:
    """The ensemble after tree ``tree`` (so ``tree + 1`` trees): one row of ``history_``."""

    tree: int
    train_loss: float  # log-loss of the predicted probabilities
    test_loss: float
    train_accuracy: float
    test_accuracy: float


@dataclass(frozen=True)
class EnsembleViews:
    """Everything the page draws of an ensemble, for every stage ``k = 0..n_built`` (arrays read-only).

    ``grid_margins[k]`` is the margin after ``k`` trees on the ``resolution × resolution`` grid over
    ``bounds`` (rows from the bottom); ``tree_grid[k]`` tree ``k``'s own output there.
    """

    config: BoostingConfig
    model: BoostedModel
    bounds: tuple[float, float, float, float]
    resolution: int
    grid_margins: np.ndarray  # (n_built + 1, resolution²) float32
    tree_grid: np.ndarray  # (n_built, resolution²) float32
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_margins: np.ndarray  # (n_built + 1, n_train)
    test_margins: np.ndarray  # (n_built + 1, n_test)
    train_loss: np.ndarray  # (n_built + 1,) log-loss of the probabilities
    test_loss: np.ndarray
    train_objective: np.ndarray  # (n_built + 1,) the loss trained on
    test_objective: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: bool

    @property
    def n_trees(self) -> int:
        return len(self.tree_grid)

    def probability_map(self, k: int) -> np.ndarray:
        """``(resolution, resolution)`` probability of class 1 after ``k`` trees, row 0 at the bottom."""
        k = min(max(int(k), 0), self.n_trees)
        p = losses.probability(self.config.loss, self.grid_margins[k])
        return p.reshape(self.resolution, self.resolution)

    def tree_map(self, k: int) -> np.ndarray:
        """``(resolution, resolution)`` tree ``k``'s own output (a margin)."""
        return self.tree_grid[k].reshape(self.resolution, self.resolution)


class BoostingTrainer:
    """Grows ``config.n_trees`` trees on the config's dataset, a bounded number per :meth:`step`."""

    def __init__(self, config: BoostingConfig, resolution: int = GRID):
        self.config = config
        self.resolution = resolution
        self.x_train, self.y_train, self.x_test, self.y_test = train_test(config.dataset, config.rotate_deg)
        self.bounds = view_bounds(self.x_train, self.x_test)
        self.grid = grid_points(self.bounds, resolution)
        self._builder = EnsembleBuilder(config, self.x_train, self.y_train, np.vstack([self.grid, self.x_test]))
        self._test_margin = np.zeros(len(self.x_test))
        self.status_ = READY
        self.message_ = "Ready: nothing grown yet."
        self.history_: list[TreeRecord] = []
        self.seconds_ = 0.0
        self._views: EnsembleViews | None = None

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def finished(self) -> bool:
        return self.status_ in FINISHED

    @property
    def progress(self) -> float:
        return self._builder.n_built / self.config.n_trees

    @property
    def n_built(self) -> int:
        return self._builder.n_built

    def step(self, max_seconds: float) -> int:
        """Grow trees for at most ``max_seconds`` (at least one); return how many were grown."""
        if self.finished:
            return 0
        start = time.perf_counter()
        done = 0
        while True:
            self._builder.add_tree()
            done += 1
            self._record()
            if self._builder.diverged:
                self.status_ = DIVERGED
                self.message_ = (f"The margin ran away (NaN or beyond ±{1e6:g}) at tree {self.n_built}: "
                                 "the Newton step divided by tiny hessians. Lower the learning rate.")
                break
            if self.n_built >= self.config.n_trees:
                self.status_ = DONE
                self.message_ = f"Done: {self.n_built} trees."
                break
            self.status_ = TRAINING
            if time.perf_counter() - start >= max_seconds:
                break
        self.seconds_ += time.perf_counter() - start
        self._views = None
        return done

    def _record(self) -> None:
        b, n_grid = self._builder, len(self.grid)
        self._test_margin = self._test_margin + b.point_outputs[-1][n_grid:]
        loss = self.config.loss
        f_train = b.margins[-1]
        p_train, p_test = losses.probability(loss, f_train), losses.probability(loss, self._test_margin)
        self.history_.append(TreeRecord(
            tree=b.n_built - 1,
            train_loss=losses.log_loss(p_train, self.y_train), test_loss=losses.log_loss(p_test, self.y_test),
            train_accuracy=float(np.mean((p_train > 0.5) == self.y_train)),
            test_accuracy=float(np.mean((p_test > 0.5) == self.y_test))))

    def stop(self) -> None:
        if not self.finished:
            self.status_ = STOPPED
            self.message_ = f"Stopped after {self.n_built} of {self.config.n_trees} trees."

    def run(self, max_seconds: float = 1e9) -> BoostingTrainer:
        """Grow every tree (or until divergence); for scripts and the page's instant view."""
        while not self.finished:
            self.step(max_seconds)
        return self

    def views(self) -> EnsembleViews:
        """The pictures and curves of every stage built so far (computed once per number of trees)."""
        if self._views is not None:
            return self._views
        b, n_grid = self._builder, len(self.grid)
        outputs = np.array(b.point_outputs, dtype=np.float32).reshape(b.n_built, n_grid + len(self.x_test))
        tree_grid = outputs[:, :n_grid]
        grid_margins = np.vstack([np.zeros((1, n_grid), np.float32), np.cumsum(tree_grid, axis=0)])
        test_margins = np.vstack([np.zeros((1, len(self.x_test))),
                                  np.cumsum(outputs[:, n_grid:].astype(float), axis=0)])
        train_margins = np.array(b.margins)
        loss = self.config.loss
        p_train, p_test = losses.probability(loss, train_margins), losses.probability(loss, test_margins)
        views = EnsembleViews(
            config=self.config, model=b.model(), bounds=self.bounds, resolution=self.resolution,
            grid_margins=grid_margins, tree_grid=tree_grid, x_train=self.x_train, y_train=self.y_train,
            x_test=self.x_test, y_test=self.y_test, train_margins=train_margins, test_margins=test_margins,
            train_loss=losses.log_losses(p_train, self.y_train), test_loss=losses.log_losses(p_test, self.y_test),
            train_objective=losses.value(loss, train_margins, np.broadcast_to(self.y_train, train_margins.shape))
            .mean(axis=1),
            test_objective=losses.value(loss, test_margins, np.broadcast_to(self.y_test, test_margins.shape))
            .mean(axis=1),
            train_accuracy=np.mean((p_train > 0.5) == self.y_train, axis=1),
            test_accuracy=np.mean((p_test > 0.5) == self.y_test, axis=1),
            diverged=b.diverged)
        for value in vars(views).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
        self._views = views
        return views


def build_views(config: BoostingConfig, resolution: int = GRID) -> EnsembleViews:
    """Grow the whole ensemble for ``config`` and return its views (the page caches this by config)."""
    return BoostingTrainer(config, resolution).run().views()
