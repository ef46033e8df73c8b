"""TensorFlow Playground's decision-boundary playground, trained live in Python (numba-compiled).

- :func:`make_dataset` — the original's six data sets (``data``).
- :class:`PlaygroundConfig` — one setup, read from the original's link keys and clamped (``config``).
- :class:`Trainer` — the network and its run, following :mod:`engine.live` (``trainer``).
- :class:`PairTrainer` — two setups on the same data, trained in lockstep (``compare``).
"""

from __future__ import annotations

from engine.playground.compare import PairTrainer
from engine.playground.config import (
    ACTIVATIONS,
    EPOCH_LIMITS,
    LEARNING_RATES,
    LOSSES,
    MAX_LAYERS,
    MAX_NEURONS,
    OPTIMIZERS,
    PROBLEMS,
    REGULARIZATION_RATES,
    REGULARIZATIONS,
    PlaygroundConfig,
)
from engine.playground.data import (
    CLASSIFICATION_SETS,
    DATASETS,
    DOMAIN,
    FEATURE_LABELS,
    FEATURES,
    REGRESSION_SETS,
    make_dataset,
)
from engine.playground.trainer import Trainer, warm_up

__all__ = ["ACTIVATIONS", "CLASSIFICATION_SETS", "DATASETS", "DOMAIN", "EPOCH_LIMITS", "FEATURES",
           "FEATURE_LABELS", "LEARNING_RATES", "LOSSES", "MAX_LAYERS", "MAX_NEURONS", "OPTIMIZERS", "PROBLEMS",
           "REGRESSION_SETS", "REGULARIZATIONS", "REGULARIZATION_RATES", "PairTrainer", "PlaygroundConfig",
           "Trainer", "make_dataset", "warm_up"]
