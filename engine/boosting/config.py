"""The settings of one boosted ensemble: a frozen :class:`BoostingConfig`.

The defaults are those of Rogozhnikov's 2016 playground (depth 4, learning rate
0.1, 50 trees, no subsampling, no rotation, a plain gradient step on log-loss).
Building a config directly is strict (a bad value raises ``ValueError``);
values from a page or a link go through :meth:`BoostingConfig.clamped`, which
never raises and says what it corrected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from engine.boosting.data import DATASETS, DEFAULT_DATASET

MODES = ("gradient", "newton", "xgboost")
"""How a tree's leaves are set: ``gradient`` — his default: each tree fits the residuals (the negative
gradient) by least squares, a leaf is the mean residual of its samples; ``newton`` — his "Newton-Raphson"
checkbox: the same tree, its leaves reset over the whole training set as his code does, Σ(−g)/(Σ2h + 10⁻⁴)
(for log-loss h = p(1−p): he doubles the hessian, so a leaf is half a true Newton step);
``xgboost`` — XGBoost's own second-order trees: splits and leaves both from gradients and hessians, with
L2 penalty λ, split penalty γ, minimum child weight and column sampling."""
LOSSES = ("logloss", "exponential", "squared")
"""Training loss on the margin F: log-loss (logistic), exponential (AdaBoost's), squared error on ±1 labels."""

INT_RANGES: dict[str, tuple[int, int]] = {
    "depth": (1, 8),
    "n_trees": (1, 200),
    "rotate_deg": (0, 90),
    "seed": (0, 2**31 - 1),
}
FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "learning_rate": (0.01, 1.0),
    "subsample": (0.1, 1.0),
    "reg_lambda": (0.0, 100.0),
    "gamma": (0.0, 100.0),
    "min_child_weight": (0.0, 100.0),
    "colsample": (0.5, 1.0),
}
CHOICES: dict[str, tuple[str, ...]] = {"dataset": DATASETS, "mode": MODES, "loss": LOSSES}
BOOLS = ("rotate_trees",)


@dataclass(frozen=True)
class BoostingConfig:
    """Everything an ensemble depends on (hashable: a cache key and the page's URL state).

    Attributes
    ----------
    dataset : one of :data:`engine.boosting.data.DATASETS` (used by the page and the trainer; :func:`fit`
        takes its data as arguments).
    depth : maximum depth of every tree, 1 (stumps) to 8.
    learning_rate : every tree's leaves are multiplied by it (shrinkage η).
    n_trees : trees in the ensemble.
    subsample : fraction of the training points each tree is built from (a fixed draw per tree and seed).
    rotate_deg : the dataset turned about the square's centre by this many degrees.
    rotate_trees : tree ``k`` is built in coordinates turned by ``k`` radians, so its cuts are oblique.
    mode : one of :data:`MODES`.
    loss : one of :data:`LOSSES`.
    reg_lambda, gamma, min_child_weight, colsample : XGBoost's λ, γ, minimum hessian per leaf and
        ``colsample_bytree`` (used in ``xgboost`` mode only; with two features, anything below 1 keeps one).
    seed : the subsample draws and XGBoost's column sampling derive from it.
    """

    dataset: str = DEFAULT_DATASET
    depth: int = 4
    learning_rate: float = 0.1
    n_trees: int = 50
    subsample: float = 1.0
    rotate_deg: int = 0
    rotate_trees: bool = False
    mode: str = "gradient"
    loss: str = "logloss"
    reg_lambda: float = 1.0
    gamma: float = 0.0
    min_child_weight: float = 1.0
    colsample: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name, (low, high) in INT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
        for name, (low, high) in FLOAT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")
        for name, options in CHOICES.items():
            if getattr(self, name) not in options:
                raise ValueError(f"{name} must be one of {', '.join(options)}, not {getattr(self, name)!r}")
        for name in BOOLS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, not {getattr(self, name)!r}")

    @property
    def second_order(self) -> bool:
        """True when XGBoost's own regularisation settings are in force (``xgboost`` mode)."""
        return self.mode == "xgboost"

    @classmethod
    def clamped(cls, values: Mapping[str, object], base: BoostingConfig | None = None
                ) -> tuple[BoostingConfig, list[str]]:
        """A valid config from untrusted ``values`` (a page, a link), and a note for every correction.

        Unknown keys are ignored; a missing key keeps ``base``'s value; a value of the wrong kind
        falls back to ``base``'s; a number out of range is clamped into it.
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
            elif name in CHOICES:
                if value in CHOICES[name]:
                    changes[name] = value
                else:
                    notes.append(f"{name} {value!r} is not one of {', '.join(CHOICES[name])}: using {default}.")
            elif name in BOOLS:
                changes[name] = bool(value) if isinstance(value, bool | int) else default
        return replace(base, **changes), notes
