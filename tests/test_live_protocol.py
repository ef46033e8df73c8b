"""What engine.live's protocol promises, checked on every trainer of the engine (issue 15, item 14).

``isinstance(trainer, LiveTrainer)`` only says the attributes exist. Here each trainer (digits, playground,
the playground's compare pair, boosting, mixture of experts) must *do* what the protocol says: ``step``
honours its time limit (within one unit) and still trains more than one unit when the limit allows,
``stop`` ends the run and keeps what it learned, a finished run does nothing more, and ``run_to_end`` logs
every history record once, in order.
"""

from __future__ import annotations

import gc
import importlib
import time

import numpy as np
import pytest

from engine.live import DONE, READY, STOPPED, TRAINING, LiveTrainer, run_to_end


def _digits(epochs: int = 30):
    from engine.digits.data import DigitData, load_bundled_digits, stratified_split
    from engine.digits.model import Architecture
    from engine.digits.train import DigitTrainer, TrainConfig

    images, labels = load_bundled_digits()
    train, val = stratified_split(labels, 0.5, seed=1)
    data = DigitData(np.ascontiguousarray(images[train[:320]], dtype=np.float32), labels[train[:320]],
                     np.ascontiguousarray(images[val[:100]], dtype=np.float32), labels[val[:100]], "test subset")
    arch = Architecture(conv1_filters=4, conv2_filters=8, fc1_units=32, fc2_units=16, dropout=0.2)
    return DigitTrainer(TrainConfig(arch=arch, epochs=epochs, batch_size=32, seed=3), data, device="cpu")


def _playground(max_epochs: int = 100_000, **changes):
    from engine.playground import Trainer, warm_up
    from engine.playground.config import PlaygroundConfig

    warm_up()  # compiles the training loops once (numba), as the page does at server start

    return Trainer(PlaygroundConfig(max_epochs=max_epochs, **changes))


def _pair(max_epochs: int = 100_000):
    from engine.playground import PairTrainer

    return PairTrainer(_playground(max_epochs), _playground(max_epochs, activation="relu"))


def _boosting(n_trees: int = 200):
    from engine.boosting import BoostingConfig
    from engine.boosting.trainer import BoostingTrainer

    return BoostingTrainer(BoostingConfig(n_trees=n_trees))


def _moe(steps: int = 1000):
    from engine.moe import PRESETS, MoETrainer

    return MoETrainer(PRESETS["Collapse"].replace(dense_baselines=False, steps=steps, eval_every=10), device="cpu")


TRAINERS = {"digits": _digits, "playground": _playground, "pair": _pair, "boosting": _boosting, "moe": _moe}
SHORT = {"digits": dict(epochs=2), "playground": dict(max_epochs=40), "pair": dict(max_epochs=40),
         "boosting": dict(n_trees=12), "moe": dict(steps=30)}
"""A run short enough to finish quickly, for the tests that play one to its end."""


UNITS = {"digits": lambda t: t.epoch_ * t.batches_per_epoch_ + t.batch_, "playground": lambda t: t.epoch,
         "pair": lambda t: t.epoch, "boosting": lambda t: t.n_built, "moe": lambda t: t.step_}
"""Units done so far: batches, epochs, epochs of both networks, trees, optimizer steps."""


def units(trainer) -> int:
    name = {"DigitTrainer": "digits", "Trainer": "playground", "PairTrainer": "pair", "BoostingTrainer": "boosting",
            "MoETrainer": "moe"}[type(trainer).__name__]
    return int(UNITS[name](trainer))


def state(trainer) -> list:
    """Everything a finished or stopped run must keep unchanged: its records and units."""
    return [units(trainer), len(trainer.history_), repr(list(trainer.history_)[-3:])]


class _CpuTime:
    """The ``time`` module, except that ``perf_counter`` is this thread's CPU time."""

    perf_counter = staticmethod(time.thread_time)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def cpu_clock(monkeypatch):
    """The trainers time their steps by this thread's CPU time: they train in this thread (one torch thread,
    numba, NumPy), so a step's length is then its work, whatever else the machine runs at the moment."""
    for module in ("engine.digits.train", "engine.playground.trainer", "engine.playground.compare",
                   "engine.boosting.trainer", "engine.moe.train"):
        monkeypatch.setattr(importlib.import_module(module), "time", _CpuTime())
    return time.thread_time


@pytest.mark.parametrize("name", list(TRAINERS))
def test_step_keeps_to_its_time_limit_within_one_unit_and_fills_it(name, cpu_clock):
    trainer = TRAINERS[name]()
    assert isinstance(trainer, LiveTrainer) and trainer.status_ == READY and trainer.progress == 0.0
    assert trainer.step(0.0) >= 1  # the first unit pays for compiling and first-call set-up: not measured
    # A unit's cost over a dozen (the digit trainer's epoch end and the MoE's evaluation included): the typical
    # one sets the limit, the slowest the tolerance.
    costs = []
    for _ in range(14):
        before, started = units(trainer), cpu_clock()
        assert trainer.step(0.0) >= 1  # no time at all still trains (at least) one unit
        costs.append(cpu_clock() - started)
        assert units(trainer) > before
    slowest, limit = max(costs), max(0.05, 5 * float(np.median(costs)))
    # A full garbage collection of the whole suite's heap runs in this thread and can take 0.4 s of its CPU
    # time (seen once in CI): it is the interpreter's pause, not the step overrunning its limit.
    gc.collect()
    gc.disable()
    try:
        before, started = units(trainer), cpu_clock()
        done = trainer.step(limit)
        spent = cpu_clock() - started
    finally:
        gc.enable()
    assert trainer.status_ == TRAINING and not trainer.finished  # the limit ended the step, not the run
    assert units(trainer) - before == done
    assert done > 1  # a limit worth five units or more trains more than one
    assert spent <= limit + 2 * slowest + 0.01, (spent, limit, slowest)  # its limit plus one unit
    assert 0 < trainer.progress < 1


@pytest.mark.parametrize("name", list(TRAINERS))
def test_stop_ends_the_run_keeps_what_it_learned_and_a_finished_run_does_nothing(name):
    trainer = TRAINERS[name]()
    trainer.step(0.0)
    trainer.step(0.0)
    kept, progress = state(trainer), trainer.progress
    trainer.stop()
    assert trainer.status_ == STOPPED and trainer.finished and trainer.message_
    assert trainer.step(1.0) == 0 and state(trainer) == kept and trainer.progress == progress
    message = trainer.message_
    trainer.stop()  # stopping twice changes nothing
    assert trainer.status_ == STOPPED and trainer.message_ == message

    done = run_to_end(TRAINERS[name](**SHORT[name]), max_seconds=0.05)
    assert done.status_ == DONE and done.finished and done.progress == 1.0
    kept = state(done)
    done.stop()  # a finished run stays finished as it was
    assert done.status_ == DONE and done.step(1.0) == 0 and state(done) == kept


def test_stopping_a_pair_stops_both_networks_where_they_are():
    pair = _pair()
    pair.step(0.0)
    epochs = (pair.a.epoch, pair.b.epoch)
    pair.stop()
    assert pair.a.status_ == STOPPED and pair.b.status_ == STOPPED and pair.status_ == STOPPED
    assert pair.step(1.0) == 0 and (pair.a.epoch, pair.b.epoch) == epochs
    assert pair.a.step(1.0) == 0 and pair.b.step(1.0) == 0


@pytest.mark.parametrize("name", list(TRAINERS))
def test_run_to_end_logs_every_record_once_in_order(name):
    logged: list = []
    trainer = run_to_end(TRAINERS[name](**SHORT[name]), max_seconds=0.02, log=logged.append)
    assert trainer.finished and trainer.status_ == DONE
    records = list(trainer.history_)
    assert len(records) >= 2 and repr(logged) == repr(records)
    # One record per unit the page plots: epochs 1..N, trees 0..N-1, or steps every eval_every.
    expected = {"digits": 2, "playground": 40, "pair": 40, "boosting": 12, "moe": 3}[name]
    assert len(logged) == expected
