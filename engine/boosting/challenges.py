"""Rogozhnikov's six challenges, in our words, each with a check the page runs on every ensemble.

A challenge names a dataset and a constraint on the settings (a depth, say) and a
target for the ensemble's test loss (log-loss of the predicted probability, after
all its trees). :func:`check_challenge` says whether a fitted ensemble meets it,
and why not. The targets were checked reachable (``bench/boosting_challenges.py``
finds settings for each); finding them is the student's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.boosting.config import BoostingConfig


@dataclass(frozen=True)
class Challenge:
    key: str
    title: str
    task: str  # what to do, in a sentence or two
    dataset: str | None  # None: any dataset
    start: dict = field(default_factory=dict)  # settings that load the challenge (dataset and constraint)
    target: float | None = None  # test loss to beat
    max_depth: int | None = None
    explanation: str = ""  # shown once solved


@dataclass(frozen=True)
class Verdict:
    solved: bool
    reason: str  # a sentence: what was measured against what


def _overfits(test_loss: np.ndarray, train_loss: np.ndarray) -> tuple[bool, str]:
    best = int(np.argmin(test_loss))
    final, low = float(test_loss[-1]), float(test_loss[best])
    rise = final - low
    # best > 0: it went down first (a curve that only rises from the start never improved)
    if 0 < best < len(test_loss) - 1 and rise >= max(0.05, 0.25 * low) and train_loss[-1] < train_loss[best]:
        return True, (f"test loss fell to {low:.3f} after {best} trees, then rose to {final:.3f} while the "
                      f"training loss kept falling ({train_loss[best]:.3f} → {train_loss[-1]:.3f}).")
    return False, (f"test loss ends at {final:.3f}, lowest {low:.3f} after {best} trees: it must end at least "
                   f"{max(0.05, 0.25 * low):.3f} above its lowest while the training loss keeps falling.")


CHALLENGES: tuple[Challenge, ...] = (
    Challenge("overfit", "Make it overfit",
              "On any dataset, find settings where the test loss goes down, then clearly up again while the "
              "training loss keeps falling.", None, {"depth": 8, "learning_rate": 1.0, "n_trees": 200},
              explanation="Every new tree fits the training points a little better, including the accidents of "
                          "where they happen to lie. Deep trees and a big learning rate memorise them fast, and the "
                          "ensemble grows confident in the empty space between points, where the test points "
                          "disagree. The lowest point of the test curve is where to stop (early stopping)."),
    Challenge("xor-depth-2", "XOR with depth 2",
              "XOR, trees of depth at most 2: get the test loss under 0.02.", "xor", {"depth": 2}, 0.02, 2,
              explanation="A depth-2 tree can cut the square into its four quadrants, which is exactly XOR. The "
                          "first cut has almost no gain (each half is still half and half), so greedy trees find "
                          "it only once earlier trees have tilted the residuals: the Newton leaves or a larger "
                          "learning rate get there in fewer trees."),
    Challenge("xor-depth-1", "XOR with stumps",
              "XOR with depth 1: get the test loss under 0.1.", "xor", {"depth": 1}, 0.1, 1,
              explanation="A sum of axis-aligned stumps is f(x₁) + g(x₂): it can never express 'x₁ high *and* "
                          "x₂ low'. Rotated trees escape: each stump cuts along its own oblique direction, and a "
                          "sum of functions of several directions can build the interaction "
                          "(x₁x₂ = ((x₁+x₂)² − (x₁−x₂)²)/4)."),
    Challenge("spiral", "Spiral, as shallow as possible",
              "Spiral: get the test loss under 0.1, then make the trees as shallow as you can.", "spiral", {},
              0.1, None,
              explanation="The arms wind through every direction, so each axis-aligned tree fits only a little "
                          "piece; deeper trees carve more per step, but many shallow ones, with a small enough "
                          "learning rate, add up to the same boundary."),
    Challenge("stripes", "Stripes with stumps — why does it work?",
              "Stripes, depth 1: get the test loss under 0.05, then say why stumps suffice here.", "stripes",
              {"depth": 1}, 0.05, 1,
              explanation="The class depends on x₂ alone. Stumps give a sum of one-coordinate functions, and a "
                          "function of x₂ alone is such a sum: every band edge is one stump threshold. No "
                          "interaction is needed, so depth 1 is enough (and deeper trees only add noise)."),
    Challenge("embedded", "Embedded circles",
              "Embedded circles: get the test loss under 0.2.", "embedded circles", {}, 0.2, None,
              explanation="Five nested rings need a closed curved boundary five times over; axis-aligned boxes "
                          "approximate each ring as a staircase. Rotated trees smooth the staircase, and Newton "
                          "leaves take the big steps the thin rings need."),
)
BY_KEY = {c.key: c for c in CHALLENGES}


def check_challenge(challenge: Challenge, config: BoostingConfig, test_loss: np.ndarray,
                    train_loss: np.ndarray, diverged: bool = False) -> Verdict:
    """Whether the ensemble of ``config`` (its loss curves over stages) meets ``challenge``.

    ``diverged``: the ensemble's margin ran away (:attr:`EnsembleViews.diverged`). Its log-loss is measured on
    clipped probabilities, so the curves stay finite and can even look good: only this flag tells.
    """
    if challenge.dataset is not None and config.dataset != challenge.dataset:
        return Verdict(False, f"Choose the {challenge.dataset} dataset.")
    if challenge.max_depth is not None and config.depth > challenge.max_depth:
        return Verdict(False, f"Tree depth must be at most {challenge.max_depth} (it is {config.depth}).")
    if diverged or not np.all(np.isfinite(test_loss)):
        return Verdict(False, "The ensemble diverged: no challenge counts.")
    if challenge.key == "overfit":
        ok, why = _overfits(test_loss, train_loss)
        return Verdict(ok, why[0].upper() + why[1:])
    final = float(test_loss[-1])
    if challenge.target is not None and final < challenge.target:
        depth = f" with depth {config.depth}" if challenge.key == "spiral" else ""
        return Verdict(True, f"Test loss {final:.3f} < {challenge.target:g}{depth}.")
    return Verdict(False, f"Test loss {final:.3f}: the target is under {challenge.target:g}.")


Checker = Callable[[Challenge, BoostingConfig, np.ndarray, np.ndarray, bool], Verdict]
