"""The balancing terms act inside training (issue 15, item 3), asserted from real runs, not as pure functions.

Each run is a whole preset (1,000 steps, about 3 s on one core). Removing the Switch loss or the z-loss from
``MoETrainer._train_one``'s loss makes these fail; the pure-function tests in test_moe_gating.py would not see it.
"""

from __future__ import annotations

import pytest
import torch

from engine.moe import PRESETS, MoETrainer


def trained(name: str, **changes) -> MoETrainer:
    trainer = MoETrainer(PRESETS[name].replace(dense_baselines=False, **changes), device="cpu")
    trainer.train_steps(trainer.config.steps)
    assert trainer.finished and trainer.status_ == "done", trainer.message_
    return trainer


@pytest.fixture(scope="module")
def collapse() -> MoETrainer:
    return trained("Collapse")


def router_lse_squared(trainer: MoETrainer) -> float:
    """Mean squared log-sum-exp of the router's logits over the validation split (what the z-loss penalises)."""
    x, _ = trainer.task_.split("val")
    logits = trainer.routing(x).logits
    return float(torch.logsumexp(logits, dim=-1).square().mean())


def test_the_switch_loss_spreads_the_load_that_collapse_concentrates(collapse):
    switch = trained("Switch aux loss")
    assert collapse.config.seed == switch.config.seed and collapse.config.aux_loss_coef == 0
    # Measured at seed 0: Collapse 0.470 with 4 experts dead, Switch 0.145 with none (8 experts: even is 0.125).
    assert collapse.history_[-1].max_share > 0.35 and collapse.history_[-1].dead >= 2
    assert switch.history_[-1].max_share < 0.2 and switch.history_[-1].dead == 0
    assert switch.history_[-1].max_share < collapse.history_[-1].max_share / 2
    # The loss that was added is the one logged: at least alpha (its value for an even load), every window.
    alpha = switch.config.aux_loss_coef
    assert all(record.aux_loss >= alpha * 0.999 for record in switch.history_)
    assert all(record.aux_loss == 0 for record in collapse.history_)


def test_the_z_loss_keeps_the_router_logits_small(collapse):
    z = trained("Collapse", z_loss_coef=0.1)
    assert all(record.z_loss > 0 for record in z.history_)
    assert all(record.z_loss == 0 for record in collapse.history_)
    # The term it adds shrinks the router's log-sum-exp: measured at seed 0 about a tenth of Collapse's.
    assert router_lse_squared(z) < router_lse_squared(collapse) / 3
