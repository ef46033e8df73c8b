"""MoETrainer: the live-training protocol of engine.live, the page's data, collapse vs balance, divergence."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import torch

from engine.live import DIVERGED, DONE, FINISHED, READY, STOPPED, TRAINING, LiveTrainer, run_to_end
from engine.moe import PRESETS, MoEConfig, MoETrainer

SMALL = MoEConfig(task="spiral", n_samples=600, n_experts=4, top_k=1, expert_hidden=4, batch_size=64, steps=40,
                  eval_every=10, seed=3)


def trainer(**changes) -> MoETrainer:
    return MoETrainer(SMALL.replace(**changes), device="cpu")


def test_the_moe_trainer_follows_the_protocol():
    t = trainer()
    assert isinstance(t, LiveTrainer)
    assert t.status_ == READY and not t.finished and t.progress == 0.0
    assert t.seed == 3 and t.history_ == [] and t.load_history().shape == (0, 4)


def test_a_step_is_bounded_and_always_does_some_work():
    t = trainer()
    assert t.step(max_seconds=0.0) == 1
    assert t.step(max_seconds=60.0, max_steps=3) == 3
    assert t.train_steps(5) == 5 and t.step_ == 9 and t.status_ == TRAINING
    assert 0 < t.progress < 1


def test_a_finished_run_does_nothing_more_and_stop_keeps_the_weights():
    t = run_to_end(trainer(steps=20))
    assert t.status_ == DONE and t.progress == 1.0 and [r.step for r in t.history_] == [10, 20]
    weights = {k: v.clone() for k, v in t.model_.state_dict().items()}
    assert t.step(1.0) == 0 and t.train_steps(5) == 0
    assert all(torch.equal(weights[k], v) for k, v in t.model_.state_dict().items())
    stopped = trainer()
    stopped.step(0.0)
    stopped.stop()
    assert stopped.status_ == STOPPED and stopped.status_ in FINISHED and stopped.step(1.0) == 0
    assert "Stopped" in stopped.message_


def _train_in_thread(config, barrier, out, name):
    barrier.wait()
    for run in range(4):
        t = MoETrainer(config, device="cpu")
        t.train_steps(15)
        state = {k: v.clone() for k, v in t.model_.state_dict().items()}
        state.update({f"dense.{k}": p.detach().clone() for k, p in t.dense_.nets["dense_total"].named_parameters()})
        out[f"{name}{run}"] = state


@pytest.mark.parametrize("router", ["noisy_topk", "topk"])
def test_same_seed_in_two_threads_at_once_gives_identical_weights(router):
    config = SMALL.replace(router=router, top_k=2, gate="topk", bias_rate=0.01, seed=11)
    out: dict = {}
    barrier = threading.Barrier(3)
    stop = threading.Event()

    def noise():
        barrier.wait()
        while not stop.is_set():
            torch.manual_seed(int(torch.randint(0, 1000, (1,))))
            np.random.seed(int(np.random.randint(1000)))  # noqa: NPY002 (the global RNG, on purpose)
            torch.rand(64)

    threads = [threading.Thread(target=_train_in_thread, args=(config, barrier, out, n)) for n in ("a", "b")]
    threads.append(threading.Thread(target=noise))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads[:2]:
            t.join(timeout=120)
    finally:
        stop.set()
        threads[2].join(timeout=10)
        sys.setswitchinterval(interval)
    assert len(out) == 8
    for run in range(4):
        for key in out["a0"]:
            assert torch.equal(out[f"a{run}"][key], out[f"b{run}"][key]), (run, key)
    other = MoETrainer(config.replace(seed=12), device="cpu")
    assert not torch.equal(other.model_.experts.w1, MoETrainer(config, device="cpu").model_.experts.w1)


def test_building_and_training_leave_the_global_random_states_alone():
    torch_before, numpy_before = torch.get_rng_state(), np.random.get_state()[1].copy()  # noqa: NPY002
    t = trainer(router="noisy_topk", top_k=2, gate="topk", n_shared=1, capacity_factor=1.0)
    t.train_steps(12)
    t.routing_map(10)
    assert torch.equal(torch.get_rng_state(), torch_before)
    assert np.array_equal(np.random.get_state()[1], numpy_before)  # noqa: NPY002


def test_the_task_arrays_are_shared_not_copied():
    t = trainer()
    assert t.x_train_.data_ptr() == t.task_.x_train.__array_interface__["data"][0]
    assert trainer().task_ is t.task_
    t.train_steps(3)
    assert not t.task_.x_train.flags.writeable


def test_a_huge_learning_rate_diverges_with_a_message_about_the_learning_rate():
    t = trainer(learning_rate=100.0, steps=200)
    run_to_end(t)
    assert t.status_ == DIVERGED and t.finished
    assert "learning rate (100) is too high" in t.message_ and "try 10" in t.message_
    assert all(np.isfinite(v).all() for v in t.model_.state_dict().values())


def test_history_records_and_load_history_describe_the_run():
    t = trainer(steps=30, capacity_factor=0.5)
    t.train_steps(30)
    loads = t.load_history()
    assert loads.shape == (30, 4) and (loads.sum(1) <= 64).all()
    assert (loads <= 8).all()  # capacity 0.5 * 64 / 4
    last = t.history_[-1]
    assert last.step == 30 and len(last.shares) == 4 and sum(last.shares) == pytest.approx(1.0)
    assert 0.25 <= last.max_share <= 1 and last.dropped_fraction >= 0.5 - 1e-9
    assert 0 <= last.gate_entropy <= np.log(4) + 1e-6
    assert 0 <= last.val_accuracy <= 1 and last.dense_active_val_accuracy is not None


def test_expert_choice_gives_every_expert_its_capacity_every_step():
    t = trainer(router="expert_choice", capacity_factor=1.0)
    t.train_steps(10)
    assert (t.load_history() == 16).all()  # 64 inputs * 1 / 4 experts
    assert t.history_[-1].max_share == pytest.approx(0.25) and t.history_[-1].cv == 0.0


def test_route_and_the_views_give_plain_arrays_of_the_documented_shapes():
    t = trainer(top_k=2, n_shared=1)
    t.train_steps(5)
    x = t.task_.x_val[:50]
    indices, gates, dropped = t.route(x)
    assert indices.shape == gates.shape == dropped.shape == (50, 2) and indices.dtype == np.int64
    assert ((0 <= indices) & (indices < 4)).all() and not dropped.any()
    m = t.routing_map(20)
    assert m["expert"].shape == m["confidence"].shape == (20, 20) and m["probs"].shape == (20, 20, 4)
    assert (m["confidence"] >= 0.25 - 1e-6).all()
    d = t.decision_map(20)
    assert d["label"].shape == (20, 20) and d["probs"].shape == (20, 20, 5)
    assert t.decision_map(20, model="dense_total")["label"].shape == (20, 20)
    e = t.expert_maps(16)
    assert e["label"].shape == e["owned"].shape == (4, 16, 16) and e["shared_label"].shape == (1, 16, 16)
    assert (e["owned"].sum(0) == 1).all()
    matrix = t.class_expert_matrix("val")
    assert matrix.shape == (5, 4) and matrix.sum() == len(t.task_.y_val)
    with pytest.raises(ValueError, match="model must be one of"):
        t.predict_proba(x, model="nope")
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        t.route(np.zeros((3, 5)))


def test_the_collapse_preset_ends_more_imbalanced_than_the_balanced_one():
    results = {}
    for name in ("Collapse", "Balanced"):
        t = MoETrainer(PRESETS[name].replace(dense_baselines=False), device="cpu")
        t.train_steps(t.config.steps)
        results[name] = t.history_[-1]
    assert results["Collapse"].max_share > results["Balanced"].max_share
    assert results["Collapse"].dead >= 2 and results["Balanced"].dead == 0


def test_the_digits_task_trains_and_shows_which_classes_each_expert_serves():
    t = MoETrainer(PRESETS["Digits"].replace(steps=5, eval_every=5, batch_size=64), device="cpu")
    t.train_steps(5)
    assert t.task_.n_features == 784 and t.history_[-1].step == 5
    matrix = t.class_expert_matrix()
    assert matrix.shape == (10, 8) and matrix.sum() == len(t.task_.y_val)
    with pytest.raises(ValueError, match="no 2-D plane"):
        t.routing_map()


@pytest.mark.parametrize("changes", [
    {"n_experts": 1}, {"n_experts": 4, "top_k": 4}, {"router": "expert_choice", "top_k": 4},
    {"capacity_factor": 0.01}, {"router": "expert_choice", "capacity_factor": 0.05}, {"aux_loss_coef": 100.0},
    {"z_loss_coef": 10.0}, {"n_shared": 2, "top_k": 2}, {"dispatch": "sparse"}, {"router_init": "default"},
    {"router": "noisy_topk", "top_k": 1, "gate": "topk"}, {"task": "checkerboard"}, {"task": "blobs"},
    {"batch_size": 4096}, {"n_experts": 16, "top_k": 4, "bias_rate": 1.0},
])
def test_extreme_but_legal_settings_train_and_report(changes):
    t = trainer(steps=10, eval_every=5, **changes)
    run_to_end(t)
    assert t.status_ == DONE, t.message_
    last = t.history_[-1]
    assert np.isfinite([last.train_loss, last.val_loss, last.max_share, last.cv, last.gate_entropy]).all()
    assert t.routing_map(12)["expert"].shape == (12, 12)
    assert t.param_counts().active <= t.param_counts().total


def test_a_tiny_capacity_says_how_much_is_dropped():
    t = trainer(capacity_factor=0.05, steps=5, eval_every=5)
    assert any("95% are dropped" in note for note in t.notes_)
    t.train_steps(5)
    assert t.history_[-1].dropped_fraction > 0.9


def test_the_load_history_grows_past_its_first_allocation(monkeypatch):
    import engine.moe.train

    monkeypatch.setattr(engine.moe.train, "LOAD_ROWS_AT_START", 4)
    t = trainer(steps=11, batch_size=8, dense_baselines=False)
    assert len(t._load) == 4
    t.train_steps(11)
    loads = t.load_history()
    assert loads.shape == (11, 4) and (loads.sum(1) == 8).all() and loads.dtype == np.int64


def test_the_learning_rate_follows_the_cosine_schedule_by_hand():
    config = SMALL.replace(learning_rate=0.1, steps=40)
    assert config.lr_schedule == "cosine"
    assert config.lr_at(0) == pytest.approx(0.1)
    assert config.lr_at(20) == pytest.approx(0.1 * (0.05 + 0.95 * 0.5))  # cos(pi/2) = 0
    assert config.lr_at(40) == pytest.approx(0.005) and config.lr_at(400) == pytest.approx(0.005)
    assert config.lr_at(10) == pytest.approx(0.1 * (0.05 + 0.95 * (1 + np.cos(np.pi / 4)) / 2))
    rates = [config.lr_at(s) for s in range(41)]
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))
    constant = config.replace(lr_schedule="constant")
    assert {constant.lr_at(s) for s in (0, 20, 40)} == {0.1}
    t = MoETrainer(config, device="cpu")
    t.train_steps(11)  # the 11th optimizer step is step 10 (0-based)
    assert [g["lr"] for g in t.optimizer_.param_groups] == [pytest.approx(config.lr_at(10))]


def test_the_dense_comparisons_train_as_if_each_had_its_own_adam():
    """One backward pass and one Adam over the MoE and both dense models is the same as separate training:
    the MoE's weights do not change with the dense models beside it, and each dense model matches a copy
    trained alone by torch's reference Adam on the same batches with the same schedule."""
    import copy

    from torch.nn import functional as F

    config = SMALL.replace(steps=12, learning_rate=0.05)
    joint, alone = MoETrainer(config, device="cpu"), MoETrainer(config.replace(dense_baselines=False), device="cpu")
    copies = {name: copy.deepcopy(net) for name, net in joint.dense_.nets.items()}
    start = {name: [p.detach().clone() for p in net.parameters()] for name, net in copies.items()}
    batches = []
    next_batch = joint._next_batch
    joint._next_batch = lambda: batches.append(next_batch()) or batches[-1]
    joint.train_steps(12)
    alone.train_steps(12)
    for (name, a), b in zip(joint.model_.state_dict().items(), alone.model_.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name
    for name, net in copies.items():
        optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate, foreach=False)
        for step, idx in enumerate(batches):
            loss = F.cross_entropy(net(joint.x_train_[idx]), joint.y_train_[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.param_groups[0]["lr"] = config.lr_at(step)
            optimizer.step()
        for (pname, a), b, before in zip(net.named_parameters(), joint.dense_.nets[name].parameters(), start[name],
                                         strict=True):
            assert torch.allclose(a, b, atol=1e-5), (name, pname)
            assert not torch.allclose(b, before, atol=1e-4), (name, pname)  # it did train
