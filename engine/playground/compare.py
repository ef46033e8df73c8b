"""Compare mode: two setups trained side by side on the same points, in lockstep.

:class:`PairTrainer` is itself a live trainer (:mod:`engine.live`): each step trains
both networks the *same number of epochs*, so at every screen update the two maps
and curves belong to the same epoch — the comparison lecture slides make with two
screenshots (ReLU vs Tanh, 2 vs 4 neurons ...).
"""

from __future__ import annotations

import time

from engine.live import DIVERGED, DONE, READY, STOPPED, TRAINING
from engine.playground.trainer import Trainer


class PairTrainer:
    """Two :class:`Trainer` s, ``a`` and ``b``; a unit is one epoch of both."""

    def __init__(self, a: Trainer, b: Trainer) -> None:
        self.a, self.b = a, b
        self.status_ = READY
        self.message_ = "Press Play to train both."
        self._rate: float | None = None  # units per second, measured (see Trainer.step)

    @property
    def trainers(self) -> tuple[Trainer, Trainer]:
        return self.a, self.b

    @property
    def history_(self):
        return self.a.history_ if len(self.a.history_) <= len(self.b.history_) else self.b.history_

    @property
    def seed(self) -> int:
        return self.a.seed

    @property
    def epoch(self) -> int:
        return max(self.a.epoch, self.b.epoch)

    @property
    def finished(self) -> bool:
        return self.status_ in (DONE, DIVERGED, STOPPED)

    @property
    def progress(self) -> float:
        return max(self.a.progress, self.b.progress)

    def set_learning_rate(self, rate: float) -> None:
        self.a.set_learning_rate(rate)
        self.b.set_learning_rate(rate)

    def train_epochs(self, n: int) -> int:
        """``n`` epochs of each network still running; a diverged one stays where it stopped."""
        done = 0
        for t in self.trainers:
            if not t.finished:
                done = max(done, t.train_epochs(n))
        if self.a.finished and self.b.finished:
            diverged = [name for name, t in zip("AB", self.trainers, strict=True) if t.status_ == DIVERGED]
            self.status_ = DIVERGED if len(diverged) == 2 else DONE
            self.message_ = " ".join(f"{name}: {t.message_}" for name, t in zip("AB", self.trainers, strict=True))
        else:
            self.status_ = TRAINING
            self.message_ = " ".join(f"{name}: {t.message_}" for name, t in zip("AB", self.trainers, strict=True)
                                     if t.status_ == DIVERGED)
        return done

    def step(self, max_seconds: float) -> int:
        """Epochs of both for at most about ``max_seconds`` plus one epoch (as :meth:`Trainer.step`)."""
        start = time.perf_counter()
        total = 0
        while not self.finished:
            left = max_seconds - (time.perf_counter() - start)
            if total and left <= 0:
                break
            chunk = 1 if self._rate is None else max(1, int(self._rate * max(left, 0.0) * 0.8))
            t0 = time.perf_counter()
            done = self.train_epochs(chunk)
            spent = time.perf_counter() - t0
            if done and spent > 0:
                self._rate = done / spent
            total += done
            if done == 0:
                break
        return total

    def stop(self) -> None:
        for t in self.trainers:
            t.stop()
        if not self.finished:
            self.status_ = STOPPED
            self.message_ = f"Stopped at epoch {self.epoch}."
