"""Gating and balancing (engine.moe.gating), each checked against a hand computation in NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.moe.gating import (
    capacity,
    combine_matrix,
    expert_choice,
    gate_entropy,
    keep_within_capacity,
    router_z_loss,
    switch_aux_loss,
    token_choice,
    update_selection_bias,
)


def _logits(n=64, e=6, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 2, (n, e))).float()


def _softmax(a, axis=-1):
    a = np.exp(a - a.max(axis=axis, keepdims=True))
    return a / a.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_topk_gates_are_a_softmax_over_the_chosen_experts_and_sum_to_one(k):
    logits = _logits()
    indices, gates, probs = token_choice(logits, k, gate="topk")
    raw = logits.numpy()
    hand_idx = np.argsort(-raw, axis=1)[:, :k]
    np.testing.assert_array_equal(indices.numpy(), hand_idx)
    hand_gates = _softmax(np.take_along_axis(raw, hand_idx, 1))
    np.testing.assert_allclose(gates.numpy(), hand_gates, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gates.sum(1).numpy(), 1.0, atol=1e-6)
    np.testing.assert_allclose(probs.numpy(), _softmax(raw), rtol=1e-5, atol=1e-7)
    assert (np.diff(gates.numpy(), axis=1) <= 1e-7).all()  # best first


def test_full_gates_are_the_chosen_experts_probabilities_under_a_softmax_over_all():
    logits = _logits()
    indices, gates, probs = token_choice(logits, 2, gate="full")
    np.testing.assert_allclose(gates.numpy(), np.take_along_axis(_softmax(logits.numpy()), indices.numpy(), 1),
                               rtol=1e-5, atol=1e-7)
    assert (gates.sum(1) < 1).all()


def test_selection_bias_changes_the_choice_but_never_the_gate():
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    bias = torch.tensor([0.0, 0.0, 5.0])
    indices, gates, probs = token_choice(logits, 1, gate="full", selection_bias=bias)
    assert indices.tolist() == [[2]]
    assert gates.item() == pytest.approx(probs[0, 2].item())  # the unbiased probability


def test_switch_aux_loss_equals_a_hand_computation():
    logits = _logits(n=40, e=5, seed=3)
    alpha = 0.37
    indices, _, probs = token_choice(logits, 2)
    p, idx = probs.numpy().astype(np.float64), indices.numpy()
    f = np.array([(idx == i).sum() for i in range(5)]) / idx.size
    hand = alpha * 5 * np.sum(f * p.mean(0))
    assert switch_aux_loss(probs, indices, alpha).item() == pytest.approx(hand, rel=1e-5)


def test_switch_aux_loss_is_alpha_when_balanced_and_alpha_times_n_when_collapsed():
    e, alpha = 4, 0.1
    uniform = torch.full((8, e), 1.0 / e)
    spread = torch.arange(8).remainder(e)[:, None]  # two inputs per expert
    assert switch_aux_loss(uniform, spread, alpha).item() == pytest.approx(alpha)
    collapsed = torch.zeros(8, e)
    collapsed[:, 0] = 1.0
    assert switch_aux_loss(collapsed, torch.zeros(8, 1, dtype=torch.long), alpha).item() == pytest.approx(alpha * e)


def test_switch_aux_loss_is_never_below_alpha_when_choices_follow_the_probabilities():
    """With f = P the loss is alpha * E * sum P_i^2 >= alpha (Cauchy-Schwarz): balanced is the minimum."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        e = int(rng.integers(2, 9))
        shares = rng.dirichlet(np.ones(e))
        counts = np.round(shares * 1000).astype(int)
        indices = torch.from_numpy(np.repeat(np.arange(e), counts))[:, None]
        probs = torch.from_numpy(np.tile(counts / counts.sum(), (len(indices), 1)))
        assert switch_aux_loss(probs, indices, 1.0).item() >= 1.0 - 1e-9


def test_router_z_loss_equals_a_hand_computation():
    logits = _logits(n=10, e=3, seed=5)
    raw = logits.numpy().astype(np.float64)
    lse = np.log(np.exp(raw).sum(1))
    assert router_z_loss(logits, 0.01).item() == pytest.approx(0.01 * np.mean(lse**2), rel=1e-5)


def test_capacity_is_an_even_share_times_the_factor_rounded_up():
    assert capacity(256, 8, 1, 1.0) == 32
    assert capacity(256, 8, 2, 1.25) == 80
    assert capacity(10, 3, 1, 1.0) == 4
    assert capacity(10, 16, 1, 0.01) == 1  # never zero


@pytest.mark.parametrize(("k", "factor"), [(1, 1.0), (2, 1.0), (2, 0.5), (1, 0.1)])
def test_capacity_dropping_keeps_at_most_capacity_inputs_per_expert(k, factor):
    logits = _logits(n=200, e=5, seed=7)
    logits[:, 0] += 2.0  # an overloaded expert
    indices, gates, _ = token_choice(logits, k)
    cap = capacity(200, 5, k, factor)
    kept = keep_within_capacity(indices, gates, 5, cap)
    wanted = np.bincount(indices.numpy().ravel(), minlength=5)
    got = np.bincount(indices[kept].numpy(), minlength=5)
    assert (got <= cap).all()
    np.testing.assert_array_equal(got, np.minimum(wanted, cap))  # a full expert drops only its overflow
    assert (~kept).any()


def test_capacity_keeps_first_choices_before_second_and_larger_gates_first():
    indices = torch.tensor([[0, 1], [1, 0], [0, 1], [0, 1]])
    gates = torch.tensor([[0.5, 0.4], [0.6, 0.3], [0.9, 0.1], [0.2, 0.1]])
    kept = keep_within_capacity(indices, gates, 2, 2)
    # expert 0: first choices of inputs 0, 2, 3 (gates 0.5, 0.9, 0.2) -> keeps inputs 2 and 0; input 1's second
    # choice and input 3's first are dropped. Expert 1: input 1's first choice, then the best second (input 0).
    assert kept.tolist() == [[True, True], [True, False], [True, False], [False, False]]


def test_expert_choice_gives_every_expert_exactly_its_capacity_of_its_best_inputs():
    probs = torch.softmax(_logits(n=50, e=4, seed=9), -1)
    tokens, gates = expert_choice(probs, 12)
    assert tokens.shape == gates.shape == (4, 12)
    for e in range(4):
        assert len(set(tokens[e].tolist())) == 12
        best = np.argsort(-probs[:, e].numpy(), kind="stable")[:12]
        assert set(tokens[e].tolist()) == set(best.tolist())
        np.testing.assert_allclose(gates[e].numpy(), probs[tokens[e], e].numpy())
    assert expert_choice(probs, 500)[0].shape == (4, 50)  # never more than the batch


def test_selection_bias_moves_against_the_load():
    bias = torch.zeros(4)
    new = update_selection_bias(bias, torch.tensor([10, 0, 5, 5]), 0.1)
    assert new.tolist() == pytest.approx([-0.1, 0.1, 0.0, 0.0])


def test_gate_entropy_is_log_e_when_undecided_and_zero_when_certain():
    assert gate_entropy(torch.full((3, 8), 1 / 8)) == pytest.approx(math.log(8))
    assert gate_entropy(torch.eye(4)) == pytest.approx(0.0, abs=1e-6)


def test_combine_matrix_places_each_weight_at_its_input_and_expert():
    m = combine_matrix(3, 2, torch.tensor([0, 2, 2]), torch.tensor([1, 0, 1]), torch.tensor([0.5, 0.25, 0.75]))
    assert m.tolist() == [[0.0, 0.5], [0.0, 0.0], [0.25, 0.75]]
