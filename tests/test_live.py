"""The live-training protocol (engine.live) as the digit trainer implements it."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import torch

from engine.digits.data import DigitData, load_bundled_digits, stratified_split
from engine.digits.model import Architecture
from engine.digits.train import DigitTrainer, TrainConfig
from engine.live import DONE, FINISHED, READY, STOPPED, TRAINING, run_to_end

SMALL = Architecture(conv1_filters=4, conv2_filters=8, fc1_units=32, fc2_units=16, dropout=0.2)


@pytest.fixture(scope="module")
def data() -> DigitData:
    images, labels = load_bundled_digits()
    train, val = stratified_split(labels, 0.5, seed=1)
    x_train = np.ascontiguousarray(images[train[:400]], dtype=np.float32)
    x_val = np.ascontiguousarray(images[val[:200]], dtype=np.float32)
    for array in (x_train, x_val):
        array.flags.writeable = False
    return DigitData(x_train, labels[train[:400]], x_val, labels[val[:200]], "test subset")


def config(**changes) -> TrainConfig:
    base = dict(arch=SMALL, epochs=2, batch_size=32, seed=3)
    return TrainConfig(**{**base, **changes})


def test_a_new_digit_trainer_is_ready_with_nothing_trained(data):
    """What the protocol does (step's limit, stop, run_to_end's log) is checked for every trainer in
    test_live_protocol.py."""
    trainer = DigitTrainer(config(), data, device="cpu")
    assert trainer.status_ == READY and not trainer.finished and trainer.progress == 0.0
    assert trainer.seed == 3 and trainer.history_ == []


def test_a_step_is_bounded_in_work_and_always_does_some(data):
    trainer = DigitTrainer(config(), data, device="cpu")
    assert trainer.step(max_seconds=0.0) == 1  # no time at all still trains one batch
    assert trainer.step(max_seconds=60.0, max_batches=3) == 3
    assert trainer.batch_ == 4 and trainer.status_ == TRAINING
    assert 0 < trainer.progress < 1


def test_finished_runs_do_nothing_more(data):
    trainer = run_to_end(DigitTrainer(config(epochs=1), data, device="cpu"))
    assert trainer.status_ == DONE and trainer.finished and trainer.progress == 1.0
    assert [r.epoch for r in trainer.history_] == [1]
    weights = {k: v.clone() for k, v in trainer.net_.state_dict().items()}
    assert trainer.step(1.0) == 0
    assert all(torch.equal(weights[k], v) for k, v in trainer.net_.state_dict().items())

    stopped = DigitTrainer(config(), data, device="cpu")
    stopped.step(0.0)
    stopped.stop()
    assert stopped.status_ == STOPPED and stopped.status_ in FINISHED and stopped.step(1.0) == 0
    assert "Stopped" in stopped.message_


def _train_in_thread(data, seed, barrier, out, name):
    barrier.wait()
    for run in range(10):  # several builds: more chances for a race to show
        trainer = DigitTrainer(config(seed=seed), data, device="cpu")
        trainer.step(max_seconds=60.0, max_batches=2 if run < 9 else 8)
        out[f"{name}{run}"] = {k: v.clone() for k, v in trainer.net_.state_dict().items()}


def test_same_seed_in_two_threads_at_once_gives_identical_weights(data):
    """No process-wide random state: a third thread drawing from torch's global RNG changes nothing."""
    out: dict = {}
    barrier = threading.Barrier(3)
    stop = threading.Event()

    def noise():
        barrier.wait()
        while not stop.is_set():
            torch.manual_seed(int(torch.randint(0, 1000, (1,))))
            torch.rand(64)

    threads = [threading.Thread(target=_train_in_thread, args=(data, 11, barrier, out, n)) for n in ("a", "b")]
    threads.append(threading.Thread(target=noise))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    try:
        for t in threads:
            t.start()
        for t in threads[:2]:
            t.join(timeout=120)
    finally:
        stop.set()
        threads[2].join(timeout=10)
        sys.setswitchinterval(interval)
    assert len(out) == 20
    for run in range(10):
        for key in out["a0"]:
            assert torch.equal(out[f"a{run}"][key], out[f"b{run}"][key]), (run, key)
    other = DigitTrainer(config(seed=12), data, device="cpu")
    assert not torch.equal(other.net_.conv1.weight, DigitTrainer(config(seed=11), data, "cpu").net_.conv1.weight)


def test_building_and_training_leave_the_global_random_state_alone(data):
    before = torch.get_rng_state()
    trainer = DigitTrainer(config(augment=True), data, device="cpu")
    trainer.step(60.0, max_batches=3)
    assert torch.equal(torch.get_rng_state(), before)


def test_the_training_digits_are_shared_not_copied(data):
    trainer = DigitTrainer(config(), data, device="cpu")
    assert trainer.x_train_.data_ptr() == data.x_train.__array_interface__["data"][0]
    assert trainer.x_val_.data_ptr() == data.x_val.__array_interface__["data"][0]
    trainer.step(0.0)
    assert not data.x_train.flags.writeable  # still read-only, and unchanged by training


def test_pace_backs_off_when_updates_are_cut_short_or_back_to_back_and_recovers():
    from app.live import RECOVER_AFTER, SLOWEST_UPDATE, LiveRun, pace

    run = LiveRun()
    assert not pace(run, 0.1, now=10.0) and run.interval is None  # the first update: nothing to compare
    run.ended_at = 10.01
    assert not pace(run, 0.1, now=10.1) and run.interval is None  # 90 ms after the last ended: on time
    # A run that starts right after the previous one ended found its request waiting: behind. Twice in a row
    # doubles the interval; once is not enough (a stroke or a click can queue one run).
    run.ended_at = 10.2
    assert not pace(run, 0.1, now=10.201) and run.interval is None
    run.ended_at = 10.21
    assert pace(run, 0.1, now=10.211) and run.interval == 0.2 and run.slowed == 1
    # An update that never finished counts as behind too.
    for expected in (0.4, 0.8, 1.6, SLOWEST_UPDATE):
        run.drawing = True
        pace(run, 0.1, now=20.0)
        run.drawing = True
        pace(run, 0.1, now=20.0)
        assert run.interval == expected and not run.drawing
    # On time again: after RECOVER_AFTER updates in a row the interval halves, down to the page's own.
    run.ended_at = 30.0
    for _ in range(RECOVER_AFTER - 1):
        assert not pace(run, 0.1, now=31.0)
    assert pace(run, 0.1, now=31.0) and run.interval == SLOWEST_UPDATE / 2
    run.interval = 0.2
    for _ in range(RECOVER_AFTER):
        changed = pace(run, 0.1, now=31.0)
    assert changed and run.interval is None
