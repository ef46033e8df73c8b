"""Gating: which experts each input goes to, with what weight, and the balancing losses.

Pure functions on tensors, one per idea, each checked by a test against a hand
computation. Shapes: ``N`` inputs, ``E`` experts, ``k`` experts per input.

- :func:`token_choice` — every input picks its top-k experts (softmax top-k; the
  noisy variant only adds noise to the logits first, see :mod:`engine.moe.router`).
- :func:`keep_within_capacity` — each expert takes at most ``capacity`` inputs; the
  rest are *dropped* (Switch Transformer, GShard).
- :func:`expert_choice` — every expert picks its top-``capacity`` inputs (Zhou et al. 2022).
- :func:`switch_aux_loss`, :func:`router_z_loss`, :func:`update_selection_bias` — balancing.

What happens to a dropped input: it gets no output from the expert that dropped
it (zero, not a copy of the input: a classifier's input and output live in
different spaces, so there is no residual to pass through). An input dropped by
all its experts is left with the shared experts' output, if any, else all-zero
logits: a uniform guess.
"""

from __future__ import annotations

import math

import torch


def token_choice(logits: torch.Tensor, top_k: int, gate: str = "full",
                 selection_bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each input's top-``k`` experts and their gates.

    Parameters
    ----------
    logits : (N, E) router logits
    top_k : experts per input
    gate : ``"full"`` — a chosen expert's gate is its probability under a softmax
        over all E experts (Switch, GShard: the router gets a gradient even at k = 1);
        ``"topk"`` — a softmax over the k chosen logits only (Shazeer 2017, Mixtral),
        so the k gates sum to 1.
    selection_bias : (E,) or None
        Added to the logits for *choosing* only, never to the gates (DeepSeek-V3).

    Returns
    -------
    indices : (N, k) long, best first
    gates : (N, k)
    probs : (N, E) softmax over all experts
    """
    probs = torch.softmax(logits, dim=-1)
    scores = logits if selection_bias is None else logits + selection_bias
    indices = scores.topk(top_k, dim=-1).indices
    if gate == "topk":
        gates = torch.softmax(logits.gather(1, indices), dim=-1)
    elif gate == "full":
        gates = probs.gather(1, indices)
    else:
        raise ValueError(f"gate must be 'full' or 'topk'; got {gate!r}")
    return indices, gates, probs


def sigmoid_choice(logits: torch.Tensor, top_k: int,
                   selection_bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """DeepSeek-V3's router: sigmoid affinities, the top-``k`` chosen, gates normalised over the chosen ones.

    ``s = sigmoid(logits)``; the experts with the ``k`` largest ``s + selection_bias`` are chosen, and
    a chosen expert's gate is ``s_i / sum_chosen s_j``. Each affinity is a yes/no score of its own, so
    one expert's score does not push another's down as a softmax does.

    Returns ``indices`` (N, k) best first, ``gates`` (N, k) summing to 1, and ``probs`` (N, E): the
    affinities normalised over all experts (what the balancing losses and the page's shares use).
    """
    affinity = torch.sigmoid(logits)
    scores = affinity if selection_bias is None else affinity + selection_bias
    indices = scores.topk(top_k, dim=-1).indices
    chosen = affinity.gather(1, indices)
    gates = chosen / chosen.sum(dim=-1, keepdim=True)
    return indices, gates, affinity / affinity.sum(dim=-1, keepdim=True)


def capacity(n_inputs: int, n_experts: int, top_k: int, factor: float) -> int:
    """Inputs one expert may take: ``ceil(factor * N * k / E)``, at least 1 (an even share times ``factor``)."""
    return max(1, math.ceil(factor * n_inputs * top_k / n_experts - 1e-9))


def keep_within_capacity(indices: torch.Tensor, gates: torch.Tensor, n_experts: int, cap: int) -> torch.Tensor:
    """Which of the ``(N, k)`` assignments fit when each expert takes at most ``cap`` inputs.

    Priority (as in Batch Prioritized Routing, Riquelme et al. 2021): all first
    choices before any second choice, and within a choice the larger gate first;
    ties keep batch order. Returns a ``(N, k)`` bool mask, True = kept.
    """
    n, k = indices.shape
    expert = indices.T.reshape(-1)  # choice-major: every input's first choice comes first
    slot = torch.arange(k, device=indices.device).repeat_interleave(n)
    by_gate = torch.argsort(gates.detach().T.reshape(-1), descending=True, stable=True)
    group = expert * k + slot  # (expert, choice) groups in priority order
    order = by_gate[torch.argsort(group[by_gate], stable=True)]  # by group, larger gate first within a group
    counts = torch.bincount(expert, minlength=n_experts)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(n * k, device=indices.device) - starts[expert[order]]
    keep = torch.empty(n * k, dtype=torch.bool, device=indices.device)
    keep[order] = rank < cap
    return keep.reshape(k, n).T


def expert_choice(probs: torch.Tensor, cap: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every expert takes its ``cap`` highest-scoring inputs (Zhou et al. 2022).

    Parameters
    ----------
    probs : (N, E) each input's softmax over experts (the scores)
    cap : inputs per expert (clipped to N)

    Returns
    -------
    tokens : (E, C) input index of each expert's picks, best first
    gates : (E, C) the picked inputs' scores, used as gates
    """
    cap = min(cap, probs.shape[0])
    gates, tokens = probs.T.topk(cap, dim=1)
    return tokens, gates


def switch_aux_loss(probs: torch.Tensor, indices: torch.Tensor, alpha: float) -> torch.Tensor:
    """Switch Transformer's load-balancing loss ``alpha * E * sum_i f_i * P_i``.

    ``f_i`` is the fraction of the ``N * k`` routing choices that picked expert i
    (counted before any capacity dropping; not differentiable) and ``P_i`` the
    mean router probability of expert i (differentiable). A perfectly balanced
    router (``f_i = P_i = 1/E``) scores exactly ``alpha``; everything on one expert
    scores ``alpha * E``.

    probs : (N, E); indices : (N, k). Returns a scalar tensor.
    """
    n_experts = probs.shape[1]
    f = torch.bincount(indices.reshape(-1), minlength=n_experts).to(probs.dtype) / indices.numel()
    return alpha * n_experts * (f * probs.mean(0)).sum()


def cv_squared(values: torch.Tensor) -> torch.Tensor:
    """The squared coefficient of variation ``var / mean^2`` (population variance): 0 when all are equal."""
    values = values.to(torch.float32) if not values.is_floating_point() else values
    return values.var(unbiased=False) / (values.mean().square() + 1e-10)


def importance_loss(gates: torch.Tensor, coef: float) -> torch.Tensor:
    """Shazeer et al.'s importance loss ``coef * CV(importance)^2``.

    ``importance_i`` is the sum over the batch of expert i's gate (0 where it was not chosen), so
    the loss is 0 when every expert carries the same total gate. gates : (N, E) with zeros for
    experts not chosen. Returns a scalar tensor.
    """
    return coef * cv_squared(gates.sum(dim=0))


def load_probability(clean: torch.Tensor, noisy: torch.Tensor, noise_std: torch.Tensor, top_k: int) -> torch.Tensor:
    """(N, E): the probability that expert i is among input n's top-k if only i's noise were drawn again.

    Shazeer et al.'s smooth estimator of the load: expert i is chosen when its noisy logit beats the
    k-th largest noisy logit of the *other* experts (the (k+1)-th of all when i is itself in the top
    k, the k-th otherwise), so ``P = Phi((clean_i - threshold_i) / noise_std_i)``. It is
    differentiable where the count of inputs per expert is not.
    """
    n_experts = noisy.shape[1]
    if top_k >= n_experts:
        return torch.ones_like(noisy)
    top = noisy.topk(top_k + 1, dim=1).values
    kth, next_after = top[:, top_k - 1 : top_k], top[:, top_k : top_k + 1]
    threshold = torch.where(noisy >= kth, next_after, kth)
    normal = torch.distributions.Normal(torch.zeros((), dtype=noisy.dtype), torch.ones((), dtype=noisy.dtype))
    return normal.cdf((clean - threshold) / noise_std.clamp_min(1e-9))


def load_loss(clean: torch.Tensor, noisy: torch.Tensor, noise_std: torch.Tensor, top_k: int,
              coef: float) -> torch.Tensor:
    """Shazeer et al.'s load loss ``coef * CV(load)^2`` with ``load_i = sum_n P(n, i)`` (:func:`load_probability`)."""
    return coef * cv_squared(load_probability(clean, noisy, noise_std, top_k).sum(dim=0))


def router_z_loss(logits: torch.Tensor, coef: float) -> torch.Tensor:
    """ST-MoE's router z-loss ``coef * mean_n logsumexp(logits_n)^2``: keeps router logits small. logits: (N, E)."""
    return coef * torch.logsumexp(logits, dim=-1).square().mean()


def update_selection_bias(bias: torch.Tensor, load: torch.Tensor, rate: float) -> torch.Tensor:
    """DeepSeek-V3's auxiliary-loss-free balancing: ``b_i += rate * sign(mean load - load_i)``.

    Overloaded experts become less likely to be chosen, idle ones more; the gates
    themselves never see the bias. bias, load : (E,). Returns the new bias.
    """
    load = load.to(bias.dtype)
    return bias + rate * torch.sign(load.mean() - load)


def gate_entropy(probs: torch.Tensor) -> float:
    """Mean entropy (nats) of the router's distribution over experts; ``ln E`` = undecided, 0 = certain."""
    return float(-(probs * torch.log(probs.clamp_min(1e-12))).sum(-1).mean()) if probs.numel() else 0.0


def combine_matrix(n_inputs: int, n_experts: int, tokens: torch.Tensor, experts: torch.Tensor,
                   weights: torch.Tensor) -> torch.Tensor:
    """The dense ``(N, E)`` weight of expert e in input n's output (zero where not routed); differentiable."""
    out = weights.new_zeros(n_inputs * n_experts)
    return out.index_add(0, tokens * n_experts + experts, weights).reshape(n_inputs, n_experts)

