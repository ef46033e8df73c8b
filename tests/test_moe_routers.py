"""The two routers from the papers the MoE page cites: Shazeer et al.'s importance and load losses (with noisy
top-k) and DeepSeek-V3's sigmoid affinities normalised over the chosen experts.

Oracles: hand computations (the normal CDF from math.erf, CV² from statistics.pvariance), torch's gradcheck for
the load loss, and real training runs for the effect inside training.
"""

from __future__ import annotations

import math
import statistics

import pytest
import torch

from engine.moe import PRESETS, MoEConfig, MoETrainer
from engine.moe.gating import cv_squared, importance_loss, load_loss, load_probability, sigmoid_choice
from engine.moe.router import Router


def phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def test_sigmoid_router_by_hand() -> None:
    logits = torch.tensor([[0.0, 1.0, -1.0, 2.0]], dtype=torch.float64)
    indices, gates, probs = sigmoid_choice(logits, top_k=2)
    s = [sigmoid(v) for v in (0.0, 1.0, -1.0, 2.0)]
    assert indices.tolist() == [[3, 1]]
    assert gates[0].tolist() == pytest.approx([s[3] / (s[3] + s[1]), s[1] / (s[3] + s[1])], rel=1e-12)
    assert probs[0].tolist() == pytest.approx([v / sum(s) for v in s], rel=1e-12)
    # the selection bias changes which experts are chosen, never the gates' formula
    bias = torch.tensor([0.5, 0.0, 0.0, 0.0], dtype=torch.float64)
    indices, gates, _ = sigmoid_choice(logits, top_k=2, selection_bias=bias)
    assert indices.tolist() == [[0, 3]]
    assert gates[0].tolist() == pytest.approx([s[0] / (s[0] + s[3]), s[3] / (s[0] + s[3])], rel=1e-12)


def test_router_in_sigmoid_mode_uses_the_sigmoid_choice() -> None:
    router = Router(2, 5, top_k=2, mode="sigmoid_topk", generator=torch.Generator().manual_seed(3))
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(4))
    routing = router(x)
    indices, gates, probs = sigmoid_choice(router.logits(x), 2)
    assert torch.equal(routing.indices, indices)
    assert torch.allclose(routing.gates, gates) and torch.allclose(routing.gates.sum(1), torch.ones(64))
    assert torch.allclose(routing.full_gates().sum(1), torch.ones(64))
    assert torch.allclose(routing.probs, probs)


def test_load_probability_by_hand() -> None:
    clean = torch.tensor([[1.0, 0.0, -1.0]], dtype=torch.float64)
    noisy = torch.tensor([[1.2, 0.5, -2.0]], dtype=torch.float64)
    std = torch.tensor([[1.0, 2.0, 0.5]], dtype=torch.float64)
    # k = 1: expert 0 is chosen, so it must beat the best of the others (0.5); the others must beat 1.2
    got = load_probability(clean, noisy, std, top_k=1)[0].tolist()
    assert got == pytest.approx([phi((1.0 - 0.5) / 1.0), phi((0.0 - 1.2) / 2.0), phi((-1.0 - 1.2) / 0.5)], rel=1e-9)
    # k = 2: experts 0 and 1 are chosen and must beat the third (-2.0); expert 2 must beat the second (0.5)
    got = load_probability(clean, noisy, std, top_k=2)[0].tolist()
    assert got == pytest.approx([phi(3.0), phi(1.0), phi((-1.0 - 0.5) / 0.5)], rel=1e-9)
    assert load_probability(clean, noisy, std, top_k=3).tolist() == [[1.0, 1.0, 1.0]]


def test_importance_and_load_losses_by_hand() -> None:
    gates = torch.tensor([[0.7, 0.3, 0.0], [0.0, 0.6, 0.4]], dtype=torch.float64)
    importance = [0.7, 0.9, 0.4]
    cv2 = statistics.pvariance(importance) / statistics.mean(importance) ** 2
    assert float(importance_loss(gates, 0.1)) == pytest.approx(0.1 * cv2, rel=1e-9)
    assert float(cv_squared(torch.tensor([2.0, 2.0, 2.0]))) == 0.0

    clean = torch.tensor([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0]], dtype=torch.float64)
    noisy = torch.tensor([[1.2, 0.5, -2.0], [0.3, 1.0, 1.5]], dtype=torch.float64)
    std = torch.tensor([[1.0, 2.0, 0.5], [1.0, 1.0, 1.0]], dtype=torch.float64)
    load = [phi(0.5) + phi(-1.5), phi(-0.6) + phi(0.5), phi(-4.4) + phi(0.0)]  # second row: 1.5 is the top
    cv2 = statistics.pvariance(load) / statistics.mean(load) ** 2
    assert float(load_loss(clean, noisy, std, 1, 0.1)) == pytest.approx(0.1 * cv2, rel=1e-9)


def test_load_loss_gradient_is_the_derivative() -> None:
    gen = torch.Generator().manual_seed(0)
    clean = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    noisy = (clean + torch.randn(6, 4, generator=gen, dtype=torch.float64)).detach()
    std = (torch.rand(6, 4, generator=gen, dtype=torch.float64) + 0.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda c, s: load_loss(c, noisy, s, 2, 1.0), (clean, std))


def test_config_offers_both_and_warns_where_they_cannot_act() -> None:
    config, notes = MoEConfig.clamped({"router": "sigmoid_topk", "importance_loss_coef": 0.1, "top_k": 1})
    assert config.router == "sigmoid_topk" and config.importance_loss_coef == 0.1 and not notes
    warned = " ".join(config.warnings())
    assert "gate of exactly 1" in warned and "only the importance loss" in warned


def trained(name: str, **changes) -> MoETrainer:
    trainer = MoETrainer(PRESETS[name].replace(dense_baselines=False, **changes), device="cpu")
    trainer.train_steps(trainer.config.steps)
    assert trainer.status_ == "done", trainer.message_
    return trainer


def test_shazeers_losses_act_inside_training() -> None:
    """Same seed, same noisy top-2 run: with the losses the load spreads and the logged balancing loss is > 0."""
    plain = trained("Noisy top-2")
    balanced = trained("Shazeer's losses")
    assert plain.history_[-1].aux_loss == 0.0 and balanced.history_[-1].aux_loss > 0.0
    assert balanced.history_[-1].max_share < plain.history_[-1].max_share - 0.04
    assert balanced.history_[-1].dead == 0


def test_sigmoid_router_collapses_without_the_bias_and_balances_with_it() -> None:
    balanced = trained("Sigmoid + bias")
    collapsed = trained("Sigmoid + bias", bias_rate=0.0)
    assert collapsed.history_[-1].max_share > 0.25
    assert balanced.history_[-1].max_share < 0.2 and balanced.history_[-1].dead == 0
