"""Losses on the ensemble's margin ``F`` (its raw sum of trees), with their gradients and hessians.

Labels are ``y ∈ {0, 1}``; ``s = 2y − 1 ∈ {−1, +1}`` where a formula reads better with signs.

=============  ==========================  ======================  ==================  =====================
loss           L(F, y)                     g = ∂L/∂F               h = ∂²L/∂F²         probability of class 1
=============  ==========================  ======================  ==================  =====================
log-loss       log(1 + e^(−sF))            σ(F) − y                σ(F)(1 − σ(F))      σ(F)
exponential    e^(−sF)                     −s e^(−sF)              e^(−sF)             σ(2F)
squared        ½ (F − s)²                  F − s                   1                   (F + 1)/2, clipped
=============  ==========================  ======================  ==================  =====================

For log-loss the negative gradient ``y − σ(F)`` is the residual Rogozhnikov's trees fit.
AdaBoost minimises the exponential loss, whose minimiser is half the log-odds (hence σ(2F)).
"""

from __future__ import annotations

import numpy as np

TITLES = {"logloss": "Log-loss", "exponential": "Exponential (AdaBoost)", "squared": "Squared error"}
HESS_FLOOR = 1e-16
"""XGBoost's own floor on the logistic hessian (``binary:logistic``)."""
PROB_EPS = 1e-6
"""Probabilities are kept in [ε, 1 − ε] when the log-loss of a prediction is measured."""
EXP_CAP = 50.0
"""Exponents are capped so a runaway margin gives a huge, finite loss rather than inf."""


def sigmoid(f: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(f, dtype=float)))  # = 1/(1+e^−f), without overflow


def signs(y: np.ndarray) -> np.ndarray:
    return 2.0 * np.asarray(y, dtype=float) - 1.0


def value(loss: str, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-point loss ``L(F, y)``."""
    f, s = np.asarray(f, dtype=float), signs(y)
    if loss == "logloss":
        return np.logaddexp(0.0, -s * f)
    if loss == "exponential":
        return np.exp(np.minimum(-s * f, EXP_CAP))
    if loss == "squared":
        return 0.5 * (f - s) ** 2
    raise ValueError(f"unknown loss {loss!r}")


def gradient(loss: str, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``g = ∂L/∂F`` per point (the residual a tree fits is ``−g``)."""
    f, s = np.asarray(f, dtype=float), signs(y)
    if loss == "logloss":
        return sigmoid(f) - np.asarray(y, dtype=float)
    if loss == "exponential":
        return -s * np.exp(np.minimum(-s * f, EXP_CAP))
    if loss == "squared":
        return f - s
    raise ValueError(f"unknown loss {loss!r}")


def hessian(loss: str, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``h = ∂²L/∂F²`` per point (floored where XGBoost floors it)."""
    f, s = np.asarray(f, dtype=float), signs(y)
    if loss == "logloss":
        p = sigmoid(f)
        return np.maximum(p * (1.0 - p), HESS_FLOOR)
    if loss == "exponential":
        return np.exp(np.minimum(-s * f, EXP_CAP))
    if loss == "squared":
        return np.ones_like(f)
    raise ValueError(f"unknown loss {loss!r}")


def probability(loss: str, f: np.ndarray) -> np.ndarray:
    """The probability of class 1 that margin ``F`` stands for under ``loss`` (see the table above)."""
    f = np.asarray(f, dtype=float)
    if loss == "logloss":
        return sigmoid(f)
    if loss == "exponential":
        return sigmoid(2.0 * f)
    if loss == "squared":
        return np.clip(0.5 * (f + 1.0), 0.0, 1.0)
    raise ValueError(f"unknown loss {loss!r}")


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean log-loss of probabilities ``p`` (kept in [ε, 1 − ε]) for labels ``y``: the playground's score."""
    p = np.clip(np.asarray(p, dtype=float), PROB_EPS, 1.0 - PROB_EPS)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def log_losses(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`log_loss` of each row of ``p : (stages, n)``: the loss curve over stages."""
    p = np.clip(np.asarray(p, dtype=float), PROB_EPS, 1.0 - PROB_EPS)
    y = np.asarray(y, dtype=float)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p), axis=-1)
