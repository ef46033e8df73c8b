"""The MoE page's pointing and balancing views, checked against computations of their own (NumPy, plain loops).

- a batch routed together: the inputs a full expert dropped (capacity) and those no expert picked
  (expert choice), against a hand implementation of each rule;
- one input explained: router scores, chosen experts, gates and each expert's answer, from the weights by hand;
- the loss-free balancing bias recorded over training, against ``b += rate * sign(mean load - load)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.moe import PRESETS, MoETrainer

FAST = {"dense_baselines": False}


def _weights(trainer: MoETrainer) -> dict[str, np.ndarray]:
    m = trainer.model_
    return {name: t.detach().numpy().astype(np.float64) for name, t in (
        ("W", m.router.weight), ("b", m.router.bias), ("bias", m.router.selection_bias),
        ("w1", m.experts.w1), ("b1", m.experts.b1), ("w2", m.experts.w2), ("b2", m.experts.b2))}


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(-1, keepdims=True)


def _hand_capacity_drops(experts: np.ndarray, gates: np.ndarray, n_experts: int, cap: int) -> np.ndarray:
    """(N, k) bool dropped: every first choice before any second, larger gate first, then batch order."""
    n, k = experts.shape
    order = sorted((s, -gates[i, s], i) for i in range(n) for s in range(k))
    taken = [0] * n_experts
    dropped = np.zeros((n, k), dtype=bool)
    for s, _, i in order:
        e = experts[i, s]
        if taken[e] < cap:
            taken[e] += 1
        else:
            dropped[i, s] = True
    return dropped


@pytest.mark.parametrize("preset, top_k", [("Capacity limit", 1), ("Sigmoid + bias", 2), ("Noisy top-2", 2)])
def test_batch_view_marks_exactly_the_inputs_capacity_dropped(preset: str, top_k: int) -> None:
    config = PRESETS[preset].replace(capacity_factor=0.75, **FAST)
    trainer = MoETrainer(config)
    trainer.train_steps(40)
    x, y, batch = trainer.batch_view()
    assert len(x) == config.batch_size and batch.rule == "capacity"
    n, e = len(x), config.n_experts
    cap = math.ceil(0.75 * n * top_k / e)
    assert batch.capacity == cap
    # the choices by hand: top-k of (score + selection bias), gates per the router's rule
    w = _weights(trainer)
    logits = x.astype(np.float64) @ w["W"].T + w["b"]
    if config.router == "sigmoid_topk":
        affinity = 1 / (1 + np.exp(-logits))
        chosen = np.argsort(-(affinity + w["bias"]), axis=1, kind="stable")[:, :top_k]
        picked = np.take_along_axis(affinity, chosen, 1)
        gates = picked / picked.sum(1, keepdims=True)
    else:
        chosen = np.argsort(-(logits + w["bias"]), axis=1, kind="stable")[:, :top_k]
        gates = _softmax(np.take_along_axis(logits, chosen, 1)) if config.gate == "topk" else \
            np.take_along_axis(_softmax(logits), chosen, 1)
    np.testing.assert_array_equal(batch.experts, chosen)
    np.testing.assert_allclose(batch.gates, gates, rtol=1e-5, atol=1e-6)
    dropped = _hand_capacity_drops(chosen, gates, e, cap)
    np.testing.assert_array_equal(batch.dropped, dropped)
    np.testing.assert_array_equal(batch.unserved, dropped.all(1))
    np.testing.assert_array_equal(batch.partly_dropped, dropped.any(1) & ~dropped.all(1))
    assert dropped.any()  # the view has something to mark at this capacity
    np.testing.assert_array_equal(batch.load, np.bincount(chosen[~dropped], minlength=e))
    assert batch.load.max() <= cap


def test_batch_view_marks_exactly_the_inputs_expert_choice_left_without_an_expert() -> None:
    config = PRESETS["Expert choice"].replace(**FAST)
    trainer = MoETrainer(config)
    trainer.train_steps(40)
    x, _, batch = trainer.batch_view()
    assert batch.rule == "expert_choice"
    n, e = len(x), config.n_experts
    cap = math.ceil(config.capacity_factor * n * config.top_k / e)
    w = _weights(trainer)
    probs = _softmax(x.astype(np.float64) @ w["W"].T + w["b"])
    picked = np.zeros(n, dtype=bool)
    for expert in range(e):  # every expert takes its cap best-scoring inputs
        picked[np.argsort(-probs[:, expert], kind="stable")[:cap]] = True
    np.testing.assert_array_equal(batch.unserved, ~picked)
    assert (~picked).sum() > 0 and batch.capacity == cap
    np.testing.assert_array_equal(batch.load, np.full(e, cap))
    assert not batch.partly_dropped.any() and not batch.dropped.any()


def test_without_a_capacity_limit_nothing_is_marked() -> None:
    trainer = MoETrainer(PRESETS["Collapse"].replace(**FAST))
    _, _, batch = trainer.batch_view()
    assert batch.rule == "none" and batch.capacity is None
    assert not batch.unserved.any() and not batch.partly_dropped.any()


def test_the_batch_is_fixed_and_does_not_disturb_training() -> None:
    config = PRESETS["Capacity limit"].replace(**FAST)
    a, b = MoETrainer(config), MoETrainer(config)
    rows = a.batch_indices()
    assert len(set(rows.tolist())) == config.batch_size
    a.batch_view()
    a.train_steps(5)
    b.train_steps(5)
    np.testing.assert_array_equal(a.batch_indices(), rows)
    for p, q in zip(a.model_.parameters(), b.model_.parameters(), strict=True):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())  # same run with or without looking


@pytest.mark.parametrize("preset", ["Shared expert", "Sigmoid + bias", "Noisy top-2", "Expert choice"])
def test_explain_matches_the_weights_by_hand(preset: str) -> None:
    config = PRESETS[preset].replace(**FAST)
    trainer = MoETrainer(config)
    trainer.train_steps(30)
    x = np.array([[0.3, -0.4], [-0.9, 0.05], [0.0, 0.0]], dtype=np.float32)
    got = trainer.explain(x)
    w = _weights(trainer)
    logits = x.astype(np.float64) @ w["W"].T + w["b"]
    sigmoid = config.router == "sigmoid_topk"
    scores = 1 / (1 + np.exp(-logits)) if sigmoid else _softmax(logits)
    np.testing.assert_allclose(got["scores"], scores, rtol=1e-5, atol=1e-7)
    k = config.top_k
    chosen = np.argsort(-(scores + w["bias"] if sigmoid else logits + w["bias"]), axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(got["experts"], chosen)
    if sigmoid:
        picked = np.take_along_axis(scores, chosen, 1)
        gates = picked / picked.sum(1, keepdims=True)
    elif config.gate == "topk":
        gates = _softmax(np.take_along_axis(logits, chosen, 1))
    else:
        gates = np.take_along_axis(scores, chosen, 1)
    np.testing.assert_allclose(got["gates"], gates, rtol=1e-5, atol=1e-7)
    out = np.zeros((len(x), got["probs"].shape[1]))
    for i in range(len(x)):
        for s, e in enumerate(chosen[i]):
            expert = np.maximum(x[i] @ w["w1"][e] + w["b1"][e], 0) @ w["w2"][e] + w["b2"][e]
            np.testing.assert_allclose(got["expert_probs"][i, s], _softmax(expert), rtol=1e-5, atol=1e-6)
            out[i] += gates[i, s] * expert
    if trainer.model_.shared is not None:
        out += trainer.model_.shared.all_experts(__import__("torch").as_tensor(x)).sum(0).detach().numpy()
    np.testing.assert_allclose(got["probs"], _softmax(out), rtol=1e-4, atol=1e-6)


def test_bias_history_follows_the_loss_free_rule() -> None:
    config = PRESETS["Balanced"].replace(eval_every=1, steps=30, **FAST)
    trainer = MoETrainer(config)
    trainer.train_steps(30)
    steps, bias = trainer.bias_history()
    assert steps.tolist() == list(range(31)) and bias.shape == (31, config.n_experts)
    np.testing.assert_array_equal(bias[0], 0.0)
    n = config.batch_size * config.top_k
    for t, record in enumerate(trainer.history_, start=1):
        requested = np.rint(np.asarray(record.requested_shares) * n).astype(int)  # this step's choices
        assert requested.sum() == n
        expected = config.bias_rate * np.sign(requested.mean() - requested)
        np.testing.assert_allclose(bias[t] - bias[t - 1], expected, atol=1e-6)
    np.testing.assert_allclose(bias[-1], trainer.model_.router.selection_bias.numpy(), atol=1e-7)
    assert np.abs(bias[-1]).max() > 0


def test_bias_history_stays_zero_without_the_bias() -> None:
    trainer = MoETrainer(PRESETS["Collapse"].replace(steps=50, **FAST))
    trainer.train_steps(50)
    _, bias = trainer.bias_history()
    assert len(bias) == 3 and not bias.any()
