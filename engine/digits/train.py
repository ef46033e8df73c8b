"""Train a :class:`~engine.digits.model.DigitNet` in bounded steps.

:class:`DigitTrainer` follows the live-training protocol of :mod:`engine.live`
(and scikit-learn's habits): ``__init__`` stores and prepares, :meth:`DigitTrainer.step`
does a bounded amount of work (so a page can show progress and Pause between
steps), fitted state ends in ``_``. Training stops by itself when the loss
becomes NaN or infinite (``status_ == "diverged"``); whatever model the caller
was using stays untouched.

Everything random (initial weights, shuffling, augmentation, dropout) comes
from generators this trainer owns and seeds from ``config.seed``: two trainers
with the same configuration give identical weights, even when built and run in
two threads at the same moment. The training digits are shared, never copied:
each batch is gathered from the read-only arrays by index.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from engine.digits.augment import LIGHT, AugmentConfig, augment
from engine.digits.data import DigitData
from engine.digits.model import Architecture, DigitModel, DigitNet
from engine.live import DIVERGED, DONE, FINISHED, READY, STOPPED, TRAINING, run_to_end
from engine.runtime import resolve_device

EXPLODED_LOSS = 50.0
"""A batch cross-entropy above this (chance level is ln 10 = 2.3) counts as divergence."""


LEARNED_ACCURACY = 0.2
"""Validation accuracy a finished run must beat to count as having learned (chance is 0.1)."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on.

    ``extra_fraction`` sets how many extra digits (e.g. synthetic pen-style ones
    passed to the trainer) join each epoch, as a fraction of the training set.
    """

    arch: Architecture = field(default_factory=Architecture)
    epochs: int = 10
    learning_rate: float = 1e-2
    batch_size: int = 64
    augment: bool = True
    augmentation: AugmentConfig = LIGHT
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    extra_fraction: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 500:
            raise ValueError("epochs must be between 1 and 500")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch_size must be between 1 and 4096")
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError("learning_rate must be a positive number")


@dataclass(frozen=True)
class EpochRecord:
    """Metrics after one epoch (loss is mean cross-entropy; accuracy in [0, 1])."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float


@dataclass
class DigitProgress:
    """What a page shows of a run while it trains elsewhere: counters and history, no model.

    :meth:`DigitTrainer.live_view` makes one; a training worker sends it after each tick
    instead of the whole trainer (whose tensors cost the web process more to unpickle than
    the page costs to draw), and the whole trainer only when the run leaves the worker.
    """

    config: TrainConfig
    history_: list
    epoch_: int
    batch_: int
    batches_per_epoch_: int
    seconds_: float
    status_: str
    message_: str

    seed = property(lambda self: self.config.seed)
    finished = property(lambda self: self.status_ in FINISHED)
    progress = property(lambda self: min(1.0, (self.epoch_ * self.batches_per_epoch_ + self.batch_)
                                         / (self.batches_per_epoch_ * self.config.epochs)))


class DigitTrainer:
    """Trains one network; call :meth:`step` until :attr:`finished`.

    Parameters
    ----------
    config : TrainConfig
    data : DigitData
    device : torch device or name, optional
    extra : (images (M, 28, 28), labels (M,)), optional
        Additional training digits (never validation ones); ``config.extra_fraction``
        of the training set's size is drawn from them each epoch.
    """

    def __init__(self, config: TrainConfig, data: DigitData, device=None, extra=None) -> None:
        self.config = config
        self.data = data
        self.device = resolve_device(device) if device is None or isinstance(device, str) else device
        self.rng_ = np.random.default_rng(config.seed)
        self.torch_rng_ = torch.Generator().manual_seed(config.seed)
        self.net_ = DigitNet(config.arch, generator=self.torch_rng_).to(self.device)
        self.net_.dropout_generator = self.torch_rng_ if self.device.type == "cpu" else (
            torch.Generator(device=self.device).manual_seed(config.seed))
        self.extra = extra
        self._attach_data()
        n_extra = 0
        if self.y_extra_ is not None:
            n_extra = min(len(extra[1]), int(round(config.extra_fraction * len(self.y_train_))))
        self.n_extra_ = n_extra
        self.batches_per_epoch_ = max(1, -(-(len(self.y_train_) + n_extra) // config.batch_size))
        self.optimizer_ = torch.optim.Adam(
            self.net_.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.scheduler_ = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer_,
            max_lr=config.learning_rate,
            total_steps=self.batches_per_epoch_ * config.epochs,
            pct_start=0.2,
        )
        self.epoch_ = 0
        self.batch_ = 0
        self.status_ = READY
        self.message_ = ""
        self.history_: list[EpochRecord] = []
        self.seconds_ = 0.0
        self._order: torch.Tensor | None = None  # this epoch's indices; >= n_train means an extra digit
        self._loss_sum = 0.0
        self._correct = 0
        self._seen = 0

    @property
    def seed(self) -> int:
        """The seed of this run (weights, order, augmentation and dropout all derive from it)."""
        return self.config.seed

    @property
    def finished(self) -> bool:
        """True once all epochs ran, training diverged or was stopped."""
        return self.status_ in FINISHED

    @property
    def learned(self) -> bool:
        """False when the last validation accuracy is near chance (10 %): the run failed.

        A too-high learning rate does not always blow the loss up; it can also kill
        every ReLU unit, leaving a network that answers the same class for everything.
        """
        return bool(self.history_) and self.history_[-1].val_accuracy > LEARNED_ACCURACY

    @property
    def progress(self) -> float:
        """Fraction of the planned batches done, in [0, 1]."""
        total = self.batches_per_epoch_ * self.config.epochs
        return min(1.0, (self.epoch_ * self.batches_per_epoch_ + self.batch_) / total)

    def live_view(self) -> DigitProgress:
        """The run's counters and history for a page to draw (see :class:`DigitProgress`)."""
        return DigitProgress(self.config, list(self.history_), self.epoch_, self.batch_, self.batches_per_epoch_,
                             self.seconds_, self.status_, self.message_)

    def stop(self) -> None:
        """Stop early (the model keeps the weights it has)."""
        if not self.finished:
            self.status_ = STOPPED
            self.message_ = f"Stopped by the user during epoch {self.epoch_ + 1}."

    def _start_epoch(self) -> None:
        n_train = len(self.y_train_)
        order = self.rng_.permutation(n_train)
        if self.n_extra_:
            pick = n_train + self.rng_.choice(len(self.y_extra_), self.n_extra_, replace=False)
            order = self.rng_.permutation(np.concatenate([order, pick]))
        self._order = torch.from_numpy(order)
        self._loss_sum, self._correct, self._seen = 0.0, 0, 0

    def _batch(self, lo: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Gather batch ``[lo, lo + batch_size)`` of this epoch from the shared tensors."""
        idx = self._order[lo : lo + self.config.batch_size]
        n_train = len(self.y_train_)
        own = idx[idx < n_train].to(self.device)
        if self.x_extra_ is None:
            return self.x_train_[own], self.y_train_[own]
        more = (idx[idx >= n_train] - n_train).to(self.device)
        return (torch.cat([self.x_train_[own], self.x_extra_[more]]),
                torch.cat([self.y_train_[own], self.y_extra_[more]]))

    _DATA_TENSORS = ("x_train_", "y_train_", "x_val_", "y_val_", "x_extra_", "y_extra_")

    def _attach_data(self) -> None:
        """Tensors over the shared digit arrays (no copy on the CPU)."""
        data, extra = self.data, self.extra
        self.x_train_ = _shared_tensor(data.x_train, np.float32, self.device).unsqueeze(1)
        self.y_train_ = _shared_tensor(data.y_train, np.int64, self.device)
        self.x_val_ = _shared_tensor(data.x_val, np.float32, self.device).unsqueeze(1)
        self.y_val_ = _shared_tensor(data.y_val, np.int64, self.device)
        self.x_extra_ = self.y_extra_ = None
        if extra is not None and len(extra[1]) and self.config.extra_fraction > 0:
            self.x_extra_ = _shared_tensor(extra[0], np.float32, self.device).unsqueeze(1)
            self.y_extra_ = _shared_tensor(extra[1], np.int64, self.device)

    def __getstate__(self) -> dict:
        """Pickled without the data tensors: they are views of ``data`` and ``extra``, rebuilt on load
        (and those two travel as recipes when they came from :func:`engine.snapshots.shared`)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._DATA_TENSORS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._attach_data()
        # The LR scheduler marks optimizer.step to check the call order; that mark does not survive
        # pickling, and without it every scheduler step warns. Mark it again (it only sets a flag).
        optimizer, step = self.optimizer_, self.optimizer_.step

        def tracked_step(*args, **kwargs):
            optimizer._opt_called = True
            return step(*args, **kwargs)

        tracked_step._wrapped_by_lr_sched = True
        optimizer.step = tracked_step

    def step(self, max_seconds: float = 0.5, max_batches: int | None = None) -> int:
        """Train for at most ``max_seconds`` (and ``max_batches``), always at least one batch.

        Ends an epoch with a validation pass and appends an :class:`EpochRecord`.
        Returns the number of batches trained.
        """
        if self.finished:
            return 0
        self.status_ = TRAINING
        self.net_.train()
        started = time.perf_counter()
        done_batches = 0
        cfg = self.config
        while not self.finished:
            if self.batch_ == 0 and self._seen == 0:
                self._start_epoch()
            xb, yb = self._batch(self.batch_ * cfg.batch_size)
            if cfg.augment:
                xb = augment(xb, cfg.augmentation, self.torch_rng_)
            logits = self.net_(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=cfg.label_smoothing)
            loss_value = float(loss.detach())
            if not np.isfinite(loss_value) or loss_value > EXPLODED_LOSS:
                self.status_ = DIVERGED
                what = "became NaN" if np.isnan(loss_value) else f"exploded to {loss_value:.3g}"
                self.message_ = (
                    f"Training diverged: the loss {what} in epoch {self.epoch_ + 1}, so the learning rate "
                    f"({cfg.learning_rate:g}) is too high. Training stopped; the model in use did not change."
                )
                break
            self.optimizer_.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer_.step()
            self.scheduler_.step()
            self._loss_sum += loss_value * len(yb)
            self._correct += int((logits.argmax(1) == yb).sum())
            self._seen += len(yb)
            self.batch_ += 1
            done_batches += 1
            if self.batch_ >= self.batches_per_epoch_:
                self._end_epoch(time.perf_counter() - started)
            if max_batches is not None and done_batches >= max_batches:
                break
            if time.perf_counter() - started >= max_seconds:
                break
        self.seconds_ += time.perf_counter() - started
        return done_batches

    def _end_epoch(self, elapsed_this_step: float) -> None:
        val_loss, val_acc = self.evaluate(self.x_val_, self.y_val_)
        train_loss = self._loss_sum / max(1, self._seen)
        self.history_.append(
            EpochRecord(
                epoch=self.epoch_ + 1,
                train_loss=train_loss,
                train_accuracy=self._correct / max(1, self._seen),
                val_loss=val_loss,
                val_accuracy=val_acc,
                seconds=self.seconds_ + elapsed_this_step,
            )
        )
        self.epoch_ += 1
        self.batch_ = 0
        self._seen = 0
        if not np.isfinite(val_loss):
            self.status_ = DIVERGED
            self.message_ = ("Training diverged: the validation loss is not a number, so the learning rate is too "
                             "high. The model in use did not change.")
        elif self.epoch_ >= self.config.epochs:
            self.status_ = DONE
            self.message_ = f"Finished {self.epoch_} epochs."
        self.net_.train()

    def evaluate(self, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> tuple[float, float]:
        """Mean cross-entropy and accuracy of the current network on ``x`` ``(N, 1, 28, 28)``."""
        self.net_.eval()
        loss_sum, correct = 0.0, 0
        with torch.inference_mode():
            for lo in range(0, len(y), batch):
                logits = self.net_(x[lo : lo + batch])
                loss_sum += float(F.cross_entropy(logits, y[lo : lo + batch], reduction="sum"))
                correct += int((logits.argmax(1) == y[lo : lo + batch]).sum())
        self.net_.train()
        return loss_sum / max(1, len(y)), correct / max(1, len(y))

    def model(self, info: dict | None = None) -> DigitModel:
        """An independent evaluation-mode copy of the network trained so far."""
        details = {
            "trained_on": self.data.source,
            "epochs": self.epoch_,
            "val_accuracy": self.history_[-1].val_accuracy if self.history_ else None,
        }
        details.update(info or {})
        return DigitModel(copy.deepcopy(self.net_).cpu(), self.device, details)


DEFAULT_CONFIG = TrainConfig()
"""What "Train your own" trains with untouched controls (a LeNet-5 sized network)."""


def train(config: TrainConfig, data: DigitData, device=None, extra=None, log=None) -> DigitTrainer:
    """Run a whole training to the end (for scripts and notebooks); returns the trainer."""
    return run_to_end(DigitTrainer(config, data, device, extra), max_seconds=5.0, log=log)


def _shared_tensor(array: np.ndarray, dtype, device) -> torch.Tensor:
    """A tensor over ``array`` without copying it when it already has ``dtype`` (on the CPU).

    The training digits are read-only arrays shared by every session; the trainer
    only ever gathers from them, never writes, so torch's warning about
    non-writable memory does not apply.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(np.asarray(array, dtype=dtype)).to(device)
