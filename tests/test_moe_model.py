"""Experts, dispatch, the router and parameter accounting (engine.moe.experts / router / model / metrics)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.moe.config import MoEConfig
from engine.moe.experts import ExpertBank, choose_dispatch
from engine.moe.metrics import class_expert_matrix, count_params, load_stats
from engine.moe.model import DenseMLP, MoEClassifier, matched_hidden, mlp_params
from engine.moe.router import Router


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(("mode", "k", "factor"), [("topk", 2, 0.0), ("topk", 1, 0.5), ("topk", 2, 0.75),
                                                   ("expert_choice", 1, 1.0), ("noisy_topk", 2, 0.0)])
def test_sparse_dispatch_gives_the_dense_masked_reference_outputs_and_gradients(mode, k, factor):
    x = torch.randn(96, 5, dtype=torch.float64, generator=_gen(5))
    router = Router(5, 6, top_k=k, mode=mode, capacity_factor=factor, generator=_gen(1)).double()
    with torch.no_grad():
        router.weight[0] += 2.0  # skew the load so some expert overflows and some may get nothing
    results = []
    for dispatch in ("sparse", "dense"):
        bank = ExpertBank(6, 5, 7, 3, _gen(2)).double()
        routing = router(x, noise=_gen(3) if mode == "noisy_topk" else None)
        out = bank(x, routing.tokens, routing.experts, routing.weights, dispatch=dispatch)
        out.square().sum().backward()
        results.append((out.detach(), [p.grad.clone() for p in bank.parameters()],
                        [p.grad.clone() for p in router.parameters() if p.grad is not None]))
        router.zero_grad()
    (out_s, grads_s, rgrads_s), (out_d, grads_d, rgrads_d) = results
    torch.testing.assert_close(out_s, out_d)
    for a, b in zip(grads_s + rgrads_s, grads_d + rgrads_d, strict=True):
        torch.testing.assert_close(a, b)


def test_sparse_dispatch_runs_each_expert_only_on_its_inputs():
    bank = ExpertBank(3, 2, 4, 2, _gen())
    x = torch.randn(5, 2, generator=_gen(9))
    tokens, experts = torch.tensor([0, 3, 4]), torch.tensor([2, 2, 0])
    out = bank.sparse(x, tokens, experts, torch.tensor([1.0, 0.5, 2.0]))
    torch.testing.assert_close(out[0], bank.one_expert(2, x[:1])[0])
    torch.testing.assert_close(out[3], 0.5 * bank.one_expert(2, x[3:4])[0])
    torch.testing.assert_close(out[4], 2.0 * bank.one_expert(0, x[4:5])[0])
    assert out[1].abs().sum() == 0 and out[2].abs().sum() == 0  # not routed: zero output


def test_dispatch_goes_sparse_for_wide_experts_and_stays_dense_for_tiny_ones():
    assert choose_dispatch(1024, 2048, 16, 64 * 256 + 256 * 64) == "sparse"
    assert choose_dispatch(256, 256, 8, 2 * 8 + 8 * 5) == "dense"
    assert choose_dispatch(256, 256, 8, 784 * 32 + 32 * 10) == "sparse"


@pytest.mark.parametrize("router", ["topk", "noisy_topk"])
def test_parameter_counts_match_a_hand_count_and_the_model(router):
    config = MoEConfig(n_experts=4, top_k=2, expert_hidden=3, n_shared=1, router=router,
                       gate="topk" if router == "noisy_topk" else "full")
    counts = count_params(config, n_features=2, n_classes=5)
    per_expert = 2 * 3 + 3 + 3 * 5 + 5  # 29
    router_params = 4 * 2 + 4 + (4 * 2 if router == "noisy_topk" else 0)
    assert counts.per_expert == per_expert
    assert counts.router == router_params
    assert counts.total == router_params + 4 * per_expert + per_expert
    assert counts.active == router_params + 2 * per_expert + per_expert
    assert counts.flops_per_input == 2 * (4 * 2 + 3 * (2 * 3 + 3 * 5))
    model = MoEClassifier(2, 5, config, _gen())
    assert sum(p.numel() for p in model.parameters()) == counts.total
    dense = DenseMLP(2, counts.dense_total_hidden, 5, _gen())
    assert sum(p.numel() for p in dense.parameters()) == counts.dense_total_params
    assert abs(counts.dense_total_params - counts.total) <= 2 + 1 + 5  # within one hidden unit
    assert abs(counts.dense_active_params - counts.active) <= 2 + 1 + 5


def test_expert_choice_counts_the_average_experts_per_input():
    counts = count_params(MoEConfig(router="expert_choice", n_experts=8, top_k=2, capacity_factor=1.5), 2, 5)
    assert counts.active_experts == 3.0


def test_matched_hidden_is_the_closest_width():
    for target in (50, 500, 5000):
        h = matched_hidden(target, 784, 10)
        assert all(abs(mlp_params(784, h, 10) - target) <= abs(mlp_params(784, g, 10) - target)
                   for g in (max(1, h - 1), h + 1))


def test_router_started_around_points_gives_each_expert_the_region_of_its_point():
    router = Router(2, 5, generator=_gen())
    points = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    router.init_around(points, 3.0)
    assert router(points, batch=False).indices[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_expert_choice_routed_per_input_falls_back_to_the_top_experts_by_score():
    router = Router(2, 4, top_k=2, mode="expert_choice", generator=_gen())
    x = torch.randn(30, 2, generator=_gen(4))
    alone = router(x, batch=False)
    assert alone.indices.shape == (30, 2) and not alone.dropped.any()
    batch = router(x, batch=True)
    assert batch.indices.shape == (30, 4)
    assert batch.load.tolist() == [15] * 4  # capacity = 30 * 2 / 4
    served = (batch.indices >= 0).sum(1)
    assert served.sum() == 60 and ((batch.indices < 0) == (batch.gates == 0)).all()


def test_modules_build_without_touching_the_global_random_state():
    before = torch.get_rng_state()
    MoEClassifier(2, 5, MoEConfig(n_shared=1, router="noisy_topk"), _gen())
    DenseMLP(2, 10, 5, _gen())
    assert torch.equal(torch.get_rng_state(), before)


def test_load_stats_by_hand():
    even = load_stats([25, 25, 25, 25])
    assert even.max_share == 0.25 and even.cv == 0.0 and even.dead == 0
    skew = load_stats([90, 10, 0, 0])
    assert skew.max_share == pytest.approx(0.9) and skew.dead == 2
    assert skew.cv == pytest.approx(np.std([90, 10, 0, 0]) / 25)
    assert load_stats([0, 0]).max_share == 0.0


def test_class_expert_matrix_counts_each_class_by_expert():
    m = class_expert_matrix([0, 0, 1, 2, 2], [1, 1, 0, 1, -1], 3, 2)
    assert m.tolist() == [[0, 2], [1, 0], [0, 1]]
