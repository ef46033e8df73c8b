"""What the page reports about a mixture of experts, as plain numbers.

- :func:`load_stats` — how evenly inputs spread over experts: shares, max share,
  coefficient of variation, "dead" experts (under 1 % of inputs).
- :func:`class_expert_matrix` — which classes each expert serves (specialisation).
- :func:`count_params` — total ("sparse") vs active parameters per input, FLOPs per
  input, and the sizes of the two dense comparison models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.moe.config import MoEConfig
from engine.moe.model import matched_hidden, mlp_params

DEAD_SHARE = 0.01
"""An expert receiving less than this share of the inputs counts as dead."""


@dataclass(frozen=True)
class LoadStats:
    """Load balance of one set of routing counts.

    shares : (E,) tuple, fraction of the routed inputs each expert got (sum 1; all 0 if none)
    max_share : largest share (1/E when perfectly balanced, 1 when collapsed onto one expert)
    cv : coefficient of variation of the counts, std / mean (0 = balanced; population std)
    dead : experts with a share below :data:`DEAD_SHARE`
    """

    shares: tuple[float, ...]
    max_share: float
    cv: float
    dead: int


def load_stats(counts, dead_share: float = DEAD_SHARE) -> LoadStats:
    """:class:`LoadStats` of per-expert counts ``(E,)`` (any array-like of non-negative numbers)."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    total = counts.sum()
    shares = counts / total if total > 0 else np.zeros_like(counts)
    mean = counts.mean() if len(counts) else 0.0
    cv = float(counts.std() / mean) if mean > 0 else 0.0
    return LoadStats(tuple(float(s) for s in shares), float(shares.max(initial=0.0)), cv,
                     int((shares < dead_share).sum()))


def class_expert_matrix(labels, experts, n_classes: int, n_experts: int) -> np.ndarray:
    """Counts ``(C, E)``: how many inputs of class c went (top-1) to expert e.

    labels, experts : (N,) ints; experts may hold -1 for "no expert" (not counted).
    Divide each row by its sum for "where does class c go", each column for "what does expert e see".
    """
    labels = np.asarray(labels, dtype=np.int64)
    experts = np.asarray(experts, dtype=np.int64)
    ok = experts >= 0
    flat = labels[ok] * n_experts + experts[ok]
    return np.bincount(flat, minlength=n_classes * n_experts).reshape(n_classes, n_experts)


@dataclass(frozen=True)
class ParamCounts:
    """Parameter and compute accounting for one configuration (FLOPs = 2 x multiply-accumulates;
    biases, activations and the softmax are not counted).

    total : every parameter (router + all routed experts + shared experts)
    active : parameters one input uses (router + its ``active_experts`` + shared experts), rounded
    active_experts : routed experts per input (top_k; for expert choice the average, ``top_k * capacity``)
    router, per_expert, shared : the parts (``shared`` = all shared experts together)
    flops_per_input : FLOPs of the MoE's forward pass for one input
    dense_active_hidden, dense_active_params, dense_active_flops : the dense model with about ``active`` parameters
    dense_total_hidden, dense_total_params, dense_total_flops : the dense model with about ``total`` parameters
    """

    total: int
    active: int
    active_experts: float
    router: int
    per_expert: int
    shared: int
    flops_per_input: int
    dense_active_hidden: int
    dense_active_params: int
    dense_active_flops: int
    dense_total_hidden: int
    dense_total_params: int
    dense_total_flops: int

    def as_rows(self) -> list[tuple[str, int, int]]:
        """``(model, parameters, FLOPs per input)`` rows for a table: MoE total, MoE active, both dense models."""
        return [("MoE, all parameters (sparse)", self.total, self.flops_per_input),
                ("MoE, active per input", self.active, self.flops_per_input),
                (f"Dense, same active ({self.dense_active_hidden} hidden)", self.dense_active_params,
                 self.dense_active_flops),
                (f"Dense, same total ({self.dense_total_hidden} hidden)", self.dense_total_params,
                 self.dense_total_flops)]


def count_params(config: MoEConfig, n_features: int, n_classes: int) -> ParamCounts:
    """Hand-countable accounting for ``config`` on ``n_features`` inputs and ``n_classes`` classes."""
    d, h, c, e = n_features, config.expert_hidden, n_classes, config.n_experts
    router = e * d + e + (e * d if config.router == "noisy_topk" else 0)
    per_expert = mlp_params(d, h, c)
    shared = config.n_shared * per_expert
    if config.router == "expert_choice":
        active_experts = min(float(e), config.top_k * (config.capacity_factor or 1.0))
    else:
        active_experts = float(config.top_k)
    total = router + e * per_expert + shared
    active = int(round(router + active_experts * per_expert + shared))
    expert_macs = d * h + h * c
    flops = int(round(2 * (e * d + (active_experts + config.n_shared) * expert_macs)))
    ha, ht = matched_hidden(active, d, c), matched_hidden(total, d, c)
    return ParamCounts(total, active, active_experts, router, per_expert, shared, flops,
                       ha, mlp_params(d, ha, c), 2 * (d * ha + ha * c),
                       ht, mlp_params(d, ht, c), 2 * (d * ht + ht * c))
