"""Evaluate a digit model: accuracy, confusion matrix, misclassified examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.digits.model import DigitModel


@dataclass(frozen=True)
class Evaluation:
    """Results on a labelled set.

    Attributes
    ----------
    accuracy : float
    confusion : (10, 10) int
        ``confusion[true, predicted]`` counts.
    wrong : (K,) int
        Indices of misclassified images, most confident mistakes first.
    predicted : (N,) int
    confidence : (N,) float
        Probability of the predicted class.
    """

    accuracy: float
    confusion: np.ndarray
    wrong: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray


def evaluate(model: DigitModel, images: np.ndarray, labels: np.ndarray, batch: int = 1000) -> Evaluation:
    """Run ``model`` on ``images`` ``(N, 28, 28)`` and compare with ``labels`` ``(N,)``."""
    proba = np.concatenate([model.predict_proba(images[i : i + batch]) for i in range(0, len(labels), batch)])
    predicted = proba.argmax(1)
    confidence = proba.max(1)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-confidence[wrong])]
    return Evaluation(float((predicted == labels).mean()), confusion, wrong, predicted, confidence)
