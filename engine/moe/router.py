"""The router: a linear gate that scores every expert for every input, and the :class:`Routing` it produces.

``logits = x @ W.T + b`` with ``W : (E, d)``. A noisy router (Shazeer et al.
2017) adds ``N(0, 1) * softplus(x @ W_noise.T)`` to the logits while training;
``W_noise`` starts at zero and is learned. A per-expert *selection bias*
(DeepSeek-V3, a buffer, not a parameter) shifts which experts are chosen without
changing the gates.

A router routes a *batch* (``batch=True``: capacity limits and expert choice
need the whole batch, as in training) or each input *on its own*
(``batch=False``: what a map of the plane shows — no dropping; expert choice
falls back to each input's top-k experts by score).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from engine.moe.gating import capacity, expert_choice, keep_within_capacity, sigmoid_choice, token_choice


@dataclass
class Routing:
    """How one batch of ``N`` inputs was routed to ``E`` experts (``S`` slots per input).

    Per input (what the page shows):
        logits, probs : (N, E) router logits (noise included) and their softmax.
        indices : (N, S) long. Token choice: the k chosen experts, best first (S = k).
            Expert choice: the experts that picked the input, largest gate first, -1 in
            unused slots (S = E).
        gates : (N, S) the router's gate for each slot (0 in unused slots).
        dropped : (N, S) bool, chosen but refused by a full expert (always False for expert choice).
    Per assignment (what dispatch runs, ``A`` kept (input, expert) pairs):
        tokens, experts : (A,) long; weights : (A,) gate weights, differentiable.
    Per expert:
        requested : (E,) long, inputs that chose the expert (before capacity);
        load : (E,) long, inputs the expert processed.
    choices : (N, k) long token-choice picks (for the Switch loss), ``None`` for expert choice.
    capacity : inputs per expert allowed, or ``None`` for no limit.
    """

    logits: torch.Tensor
    probs: torch.Tensor
    indices: torch.Tensor
    gates: torch.Tensor
    dropped: torch.Tensor
    tokens: torch.Tensor
    experts: torch.Tensor
    weights: torch.Tensor
    requested: torch.Tensor
    load: torch.Tensor
    choices: torch.Tensor | None
    capacity: int | None
    clean_logits: torch.Tensor | None = None
    """Noisy top-k only: the logits before the noise (for Shazeer's load loss)."""
    noise_std: torch.Tensor | None = None
    """Noisy top-k only: the noise's standard deviation per input and expert, softplus(x @ W_noise.T)."""

    def full_gates(self) -> torch.Tensor:
        """(N, E): each input's gate for every expert it chose (dropped ones included), 0 elsewhere."""
        gates = torch.zeros_like(self.probs)
        keep = self.indices >= 0
        rows = torch.arange(gates.shape[0], device=gates.device)[:, None].expand_as(self.indices)
        gates[rows[keep], self.indices[keep]] = self.gates[keep]
        return gates

    @property
    def unserved(self) -> torch.Tensor:
        """(N,) bool: inputs no routed expert processed (all slots dropped or empty)."""
        return ((self.indices < 0) | self.dropped).all(dim=1)

    @property
    def dropped_fraction(self) -> float:
        """Token choice: share of the requested (input, expert) pairs refused by capacity.
        Expert choice: share of inputs no expert picked."""
        if self.choices is None:
            return float(self.unserved.float().mean()) if len(self.indices) else 0.0
        return float(self.dropped.float().mean()) if self.dropped.numel() else 0.0


class Router(nn.Module):
    """Scores ``E`` experts for ``d``-dimensional inputs and routes a batch by the configured rule.

    Parameters
    ----------
    n_features, n_experts : d and E
    top_k : experts per input (expert choice: the average per input)
    mode : ``"topk"``, ``"noisy_topk"``, ``"sigmoid_topk"`` (DeepSeek-V3) or ``"expert_choice"``
    gate : ``"full"`` or ``"topk"`` (see :func:`engine.moe.gating.token_choice`)
    capacity_factor : 0 for no limit (token choice); expert choice treats 0 as 1
    generator : CPU ``torch.Generator`` the initial weights are drawn from
    """

    def __init__(self, n_features: int, n_experts: int, *, top_k: int = 1, mode: str = "topk", gate: str = "full",
                 capacity_factor: float = 0.0, generator: torch.Generator) -> None:
        super().__init__()
        self.n_experts, self.top_k, self.mode, self.gate = n_experts, top_k, mode, gate
        self.capacity_factor = capacity_factor
        self.weight = nn.Parameter(torch.empty(n_experts, n_features))
        self.bias = nn.Parameter(torch.empty(n_experts))
        self.noise_weight = nn.Parameter(torch.zeros(n_experts, n_features)) if mode == "noisy_topk" else None
        self.register_buffer("selection_bias", torch.zeros(n_experts))
        bound = 1.0 / n_features**0.5
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            self.bias.uniform_(-bound, bound, generator=generator)

    def init_around(self, points: torch.Tensor, scale: float) -> None:
        """Give expert e the region nearest ``points[e]`` (points: (E, d)).

        ``logit_e = -scale * |x - p_e|^2`` up to a term common to all experts, i.e.
        ``W_e = 2 scale p_e`` and ``b_e = -scale |p_e|^2``: at step 0 the top-1 regions
        are the Voronoi cells of the points, so every expert owns a region and any
        later collapse is learned, not an accident of the initial geometry.
        """
        with torch.no_grad():
            self.weight.copy_(2.0 * scale * points)
            self.bias.copy_(-scale * points.square().sum(1))

    def logits(self, x: torch.Tensor, noise: torch.Generator | None = None) -> torch.Tensor:
        """(N, E) router logits for x (N, d); a noisy router adds noise drawn from ``noise`` when given."""
        return self._logits(x, noise)[0]

    def _logits(self, x: torch.Tensor, noise: torch.Generator | None):
        """(logits, clean logits, noise std): the last two are None unless noise was added."""
        clean = F.linear(x, self.weight, self.bias)
        if self.noise_weight is None or noise is None:
            return clean, None, None
        eps = torch.randn(clean.shape, generator=noise, device=noise.device).to(clean.device)
        std = F.softplus(F.linear(x, self.noise_weight))
        return clean + eps * std, clean, std

    def forward(self, x: torch.Tensor, batch: bool = True, noise: torch.Generator | None = None) -> Routing:
        """Route ``x`` (N, d); see the module docstring for ``batch``. ``noise``: generator for noisy gating."""
        logits, clean, std = self._logits(x, noise)
        n, n_experts = logits.shape
        if self.mode == "expert_choice":
            if batch:
                return self._expert_choice(logits)
            indices, gates, probs = token_choice(logits, self.top_k, "full")
        elif self.mode == "sigmoid_topk":
            indices, gates, probs = sigmoid_choice(logits, self.top_k, self.selection_bias)
        else:
            indices, gates, probs = token_choice(logits, self.top_k, self.gate, self.selection_bias)
        requested = torch.bincount(indices.reshape(-1), minlength=n_experts)
        cap = None
        kept = torch.ones_like(indices, dtype=torch.bool)
        if batch and self.capacity_factor > 0 and self.mode != "expert_choice":
            cap = capacity(n, n_experts, self.top_k, self.capacity_factor)
            kept = keep_within_capacity(indices, gates, n_experts, cap)
        tokens = torch.arange(n, device=x.device)[:, None].expand_as(indices)[kept]
        experts = indices[kept]
        return Routing(logits, probs, indices, gates, ~kept, tokens, experts, gates[kept], requested,
                       torch.bincount(experts, minlength=n_experts), indices, cap, clean, std)

    def _expert_choice(self, logits: torch.Tensor) -> Routing:
        n, n_experts = logits.shape
        probs = torch.softmax(logits, dim=-1)
        cap = capacity(n, n_experts, self.top_k, self.capacity_factor or 1.0)
        tokens, gates = expert_choice(probs, cap)  # (E, C)
        experts = torch.arange(n_experts, device=logits.device).repeat_interleave(tokens.shape[1])
        tokens, weights = tokens.reshape(-1), gates.reshape(-1)
        chosen = torch.zeros(n, n_experts, dtype=torch.bool, device=logits.device)
        chosen[tokens, experts] = True
        order = torch.where(chosen, probs.detach(), -1.0).argsort(dim=1, descending=True, stable=True)
        picked = chosen.gather(1, order)
        indices = torch.where(picked, order, -1)
        slot_gates = torch.where(picked, probs.detach().gather(1, order), 0.0)
        load = torch.bincount(experts, minlength=n_experts)
        return Routing(logits, probs, indices, slot_gates, torch.zeros_like(picked), tokens, experts, weights,
                       load, load, None, tokens.numel() // n_experts)
