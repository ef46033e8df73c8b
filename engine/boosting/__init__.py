"""Gradient boosting playground: Rogozhnikov's 2016 playground, with XGBoost growing the trees.

Public API::

    from engine.boosting import BoostingConfig, fit, make_dataset
    x, y = make_dataset("spiral", 300, seed=0)
    model = fit(BoostingConfig(depth=3), x, y)
    model.n_trees, model.staged_margin(x, 10), model.tree_margin(x, 3), model.gradients(3)
    model.loss_curve(x, y), model.tree_table(0), model.contributions(x)

    BoostingTrainer(config).step(0.1)      # the live protocol of engine.live, one tree per unit
    build_views(config)                    # every stage's map, margins and curves, for the page

Importing this package imports XGBoost (``import engine`` alone stays light).
"""

from __future__ import annotations

from engine.boosting.challenges import BY_KEY, CHALLENGES, Challenge, Verdict, check_challenge
from engine.boosting.config import LOSSES, MODES, BoostingConfig
from engine.boosting.data import DATASETS, DEFAULT_DATASET, make_dataset, train_test
from engine.boosting.model import BoostedModel, EnsembleBuilder, fit
from engine.boosting.trainer import GRID, BoostingTrainer, EnsembleViews, TreeRecord, build_views

__all__ = [
    "BY_KEY",
    "CHALLENGES",
    "DATASETS",
    "DEFAULT_DATASET",
    "GRID",
    "LOSSES",
    "MODES",
    "BoostedModel",
    "BoostingConfig",
    "BoostingTrainer",
    "Challenge",
    "EnsembleBuilder",
    "EnsembleViews",
    "TreeRecord",
    "Verdict",
    "build_views",
    "check_challenge",
    "fit",
    "make_dataset",
    "train_test",
]
