"""Training: the loss goes down, divergence and Stop are handled, runs are independent."""

from __future__ import annotations

import numpy as np
import pytest

from engine.digits.data import DigitData, load_bundled_digits, stratified_split
from engine.digits.model import Architecture
from engine.digits.train import DigitTrainer, TrainConfig

SMALL = Architecture(conv1_filters=4, conv2_filters=8, fc1_units=32, fc2_units=16)


@pytest.fixture(scope="module")
def small_data() -> DigitData:
    images, labels = load_bundled_digits()
    train, val = stratified_split(labels, 0.5, seed=1)
    return DigitData(images[train[:800]], labels[train[:800]], images[val[:300]], labels[val[:300]], "test subset")


def test_short_training_lowers_the_loss(small_data):
    trainer = DigitTrainer(TrainConfig(arch=SMALL, epochs=4, batch_size=32, seed=0), small_data, device="cpu")
    before, _ = trainer.evaluate(trainer.x_val_, trainer.y_val_)
    while not trainer.finished:
        trainer.step(max_seconds=10)
    assert trainer.status_ == "done"
    assert [r.epoch for r in trainer.history_] == [1, 2, 3, 4]
    assert trainer.history_[-1].val_loss < 0.7 * before
    assert trainer.history_[-1].val_accuracy > 0.5


def test_huge_learning_rate_is_detected_as_divergence(small_data):
    config = TrainConfig(arch=SMALL, epochs=3, learning_rate=1e4, batch_size=32, seed=0)
    trainer = DigitTrainer(config, small_data, device="cpu")
    while not trainer.finished:
        trainer.step(max_seconds=10)
    assert trainer.status_ == "diverged"
    assert "too high" in trainer.message_


def test_a_run_stuck_at_chance_has_not_learned(small_data):
    config = TrainConfig(arch=SMALL, epochs=1, learning_rate=1.0, batch_size=32, seed=0)
    trainer = DigitTrainer(config, small_data, device="cpu")
    while not trainer.finished:
        trainer.step(max_seconds=10)
    # A high rate either explodes (diverged) or kills every unit (done, but at chance level).
    assert trainer.status_ in ("done", "diverged")
    assert not trainer.learned
    if trainer.status_ == "done":
        assert trainer.history_[-1].val_accuracy < 0.2
    good = DigitTrainer(TrainConfig(arch=SMALL, epochs=2, batch_size=32), small_data, device="cpu")
    while not good.finished:
        good.step(max_seconds=10)
    assert good.learned


def test_step_is_bounded_and_stop_ends_training(small_data):
    trainer = DigitTrainer(TrainConfig(arch=SMALL, epochs=5, batch_size=32), small_data, device="cpu")
    trainer.step(max_seconds=float("inf"), max_batches=3)
    assert trainer.batch_ == 3 and trainer.epoch_ == 0 and 0 < trainer.progress < 0.1
    trainer.stop()
    assert trainer.finished and trainer.status_ == "stopped"
    trainer.step()
    assert trainer.batch_ == 3  # a stopped trainer does no more work


def test_model_copy_is_independent_of_further_training(small_data):
    trainer = DigitTrainer(TrainConfig(arch=SMALL, epochs=2, batch_size=32), small_data, device="cpu")
    trainer.step(max_seconds=float("inf"), max_batches=5)
    model = trainer.model()
    probe = small_data.x_val[:4]
    before = model.predict_proba(probe)
    trainer.step(max_seconds=float("inf"), max_batches=5)
    np.testing.assert_allclose(model.predict_proba(probe), before)
    assert not np.allclose(trainer.model().predict_proba(probe), before)  # the trainer itself did move on


def test_same_seed_same_result(small_data):
    runs = []
    for seed in (3, 3, 4):
        trainer = DigitTrainer(TrainConfig(arch=SMALL, epochs=1, batch_size=64, seed=seed), small_data, device="cpu")
        trainer.step(max_seconds=float("inf"), max_batches=4)
        runs.append(trainer.model().predict_proba(small_data.x_val[:3]))
    np.testing.assert_allclose(runs[0], runs[1], atol=1e-6)
    assert not np.allclose(runs[0], runs[2], atol=1e-4)  # another seed, another run


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        TrainConfig(learning_rate=float("nan"))
    with pytest.raises(ValueError):
        TrainConfig(epochs=0)
    for bad in (dict(epochs=501), dict(batch_size=0), dict(batch_size=5000), dict(learning_rate=-1.0),
                dict(learning_rate=float("inf"))):
        with pytest.raises(ValueError):
            TrainConfig(**bad)
