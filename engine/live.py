"""The live-training protocol every playground's trainer follows.

A page trains a model while the student watches: it calls :meth:`LiveTrainer.step`
once per screen update, each call doing a *bounded* amount of work, and draws
what the trainer reports in between. Every trainer of the engine (digits,
decision boundaries, boosting, mixture of experts) offers the same surface, so
one set of Play / Pause / Step / Reset controls (``app/live.py``) drives them
all and one scheduler (:mod:`engine.scheduler`) shares the CPU between them.

The contract, in scikit-learn's spirit:

- ``__init__`` stores the configuration and builds everything from ``seed``:
  all randomness comes from generators the trainer owns (``np.random.Generator``,
  ``torch.Generator``), never from a process-wide one. Two trainers built from the
  same configuration produce identical results, even in two threads at once.
- :meth:`step` does at most ``max_seconds`` of work (always at least one unit: a
  batch, an epoch, a tree) and returns how many units it did.
- :attr:`status_` is one of :data:`STATUSES`; :attr:`finished` is true once it
  is ``done``, ``diverged`` or ``stopped``, after which :meth:`step` does nothing.
  :attr:`message_` says why in a sentence a student can read.
- :attr:`history_` is a list of records, one per unit the page plots (an epoch, a
  tree), oldest first.
- :meth:`stop` ends the run early; the trainer keeps what it learned.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

READY = "ready"
"""Built, nothing trained yet."""
TRAINING = "training"
"""At least one step ran; more to do."""
DONE = "done"
"""Every planned unit ran."""
DIVERGED = "diverged"
"""The loss became NaN or infinite (or exploded): training stopped by itself."""
STOPPED = "stopped"
"""Stopped early by the user (or the page)."""

STATUSES = (READY, TRAINING, DONE, DIVERGED, STOPPED)
FINISHED = (DONE, DIVERGED, STOPPED)


@runtime_checkable
class LiveTrainer(Protocol):
    """What the app's live controls need from a trainer (see the module docstring)."""

    status_: str
    message_: str
    history_: list

    @property
    def seed(self) -> int:
        """The seed everything in this run derives from."""

    @property
    def finished(self) -> bool:
        """True once ``status_`` is in :data:`FINISHED`."""

    @property
    def progress(self) -> float:
        """Fraction of the planned work done, in [0, 1]."""

    def step(self, max_seconds: float) -> int:
        """Train for at most ``max_seconds`` (at least one unit); return the units done."""

    def stop(self) -> None:
        """End the run early, keeping what was learned."""


def run_to_end(trainer: LiveTrainer, max_seconds: float = 5.0, log=None) -> LiveTrainer:
    """Step ``trainer`` until it finishes (for scripts, notebooks and benchmarks).

    ``log(record)`` is called once for each new entry of ``history_``.
    """
    reported = 0
    while not trainer.finished:
        trainer.step(max_seconds)
        while log is not None and reported < len(trainer.history_):
            log(trainer.history_[reported])
            reported += 1
    return trainer
