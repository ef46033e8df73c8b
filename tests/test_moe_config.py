"""MoEConfig: strict validation, clamping of untrusted values, warnings; the presets; the tasks."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from engine.moe.config import MoEConfig
from engine.moe.data import load_task
from engine.moe.presets import DEFAULT_PRESET, OPTION_HELP, PRESET_HELP, PRESETS


def test_top_k_above_the_number_of_experts_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match=r"top_k \(3\) cannot exceed n_experts \(2\)"):
        MoEConfig(n_experts=2, top_k=3)


@pytest.mark.parametrize(("changes", "words"), [
    ({"n_experts": 0}, "n_experts must be a whole number from 1 to 16"),
    ({"n_experts": 17}, "n_experts"),
    ({"top_k": 1.5}, "top_k must be a whole number"),
    ({"learning_rate": math.nan}, "learning_rate must be a number"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"aux_loss_coef": 101.0}, "aux_loss_coef must be a number from 0 to 100"),
    ({"capacity_factor": -1.0}, "capacity_factor"),
    ({"router": "magic"}, "router must be one of topk, noisy_topk, sigmoid_topk, expert_choice"),
    ({"task": "moons"}, "task must be one of"),
    ({"dense_baselines": 1}, "dense_baselines must be True or False"),
    ({"steps": True}, "steps must be a whole number"),
])
def test_invalid_values_are_refused(changes, words):
    with pytest.raises(ValueError, match=words):
        MoEConfig(**changes)


def test_config_is_frozen_and_hashable():
    config = MoEConfig()
    with pytest.raises(AttributeError):
        config.top_k = 2  # type: ignore[misc]
    assert hash(config) == hash(MoEConfig())


def test_clamped_repairs_a_tampered_url_and_says_what_it_changed():
    config, notes = MoEConfig.clamped({"n_experts": "3", "top_k": "9", "learning_rate": "1e9", "router": "evil",
                                       "seed": "-5", "steps": "abc", "capacity_factor": "nan", "dense_baselines": "0",
                                       "hack": "1"})
    assert config.n_experts == 3 and config.top_k == 3
    assert config.learning_rate == 100.0 and config.router == "topk" and config.seed == 0
    assert config.steps == MoEConfig().steps and config.capacity_factor == 0.0 and config.dense_baselines is False
    text = " ".join(notes)
    for words in ("top_k", "learning_rate", "router", "seed", "steps", "capacity_factor", "unknown setting 'hack'"):
        assert words in text
    assert MoEConfig.clamped({"n_experts": "8", "top_k": "2"}) == (MoEConfig(top_k=2), [])


def test_clamped_never_raises_on_garbage():
    rng = np.random.default_rng(0)
    junk = ["", "-1", "1e308", "inf", "None", "[]", "0x10", "3.7", "true", "💥"]
    for _ in range(200):
        values = {f.name: junk[rng.integers(len(junk))] for f in fields(MoEConfig) if rng.random() < 0.5}
        config, _ = MoEConfig.clamped(values)
        assert config.top_k <= config.n_experts


@pytest.mark.parametrize(("changes", "words"), [
    ({"capacity_factor": 0.1}, "at least 90% are dropped"),
    ({"aux_loss_coef": 100.0}, "dwarf the task loss"),
    ({"n_experts": 1}, "nothing to route"),
    ({"router": "noisy_topk", "gate": "topk"}, "no gradient"),
    ({"router": "expert_choice", "bias_rate": 0.01}, "balanced by construction"),
    ({"learning_rate": 50.0}, "diverge"),
])
def test_legal_but_surprising_settings_come_with_a_sentence(changes, words):
    assert any(words in note for note in MoEConfig(**changes).warnings())


def test_presets_include_the_collapse_demonstration_on_one_seed_and_task():
    for name in ("Collapse", "Balanced", "Expert choice"):
        assert name in PRESETS and name in PRESET_HELP
    collapse, balanced, choice = PRESETS["Collapse"], PRESETS["Balanced"], PRESETS["Expert choice"]
    assert collapse.top_k == 1 and collapse.router == "topk"
    assert collapse.aux_loss_coef == collapse.bias_rate == 0 and collapse.capacity_factor == 0
    assert balanced.bias_rate > 0 and choice.router == "expert_choice"
    assert collapse.seed == balanced.seed == choice.seed and collapse.task == balanced.task == choice.task
    assert DEFAULT_PRESET in PRESETS and not PRESETS[DEFAULT_PRESET].warnings()
    for option in ("aux_loss_coef", "z_loss_coef", "bias_rate", "capacity_factor", "n_shared", "router.noisy_topk",
                   "router.expert_choice", "gate.topk"):
        sentence, source = OPTION_HELP[option]
        assert sentence.endswith(".") and source


@pytest.mark.parametrize("name", ["spiral", "checkerboard", "blobs"])
def test_point_tasks_are_seeded_split_three_ways_cached_and_read_only(name):
    task = load_task(name, 1000, 0.0, 3)
    assert task is load_task(name, 1000, 0.0, 3)
    assert (len(task.y_train), len(task.y_val), len(task.y_test)) == (600, 200, 200)
    assert task.x_train.shape == (600, 2) and task.x_train.dtype == np.float32 and task.y_train.dtype == np.int64
    assert not task.x_train.flags.writeable and not task.y_test.flags.writeable
    assert set(np.unique(task.y_train)) == set(range(task.n_classes))
    other = load_task(name, 1000, 0.0, 4)
    assert not np.array_equal(task.x_train, other.x_train)
    lo, hi = task.bounds[0], task.bounds[1]
    assert (np.abs(task.x_train) <= max(abs(lo), hi)).mean() > 0.99
