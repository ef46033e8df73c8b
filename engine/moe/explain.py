"""What the router and the experts do with particular inputs, as plain data a page can show.

- :func:`explain` — inputs routed *each on its own* (as the maps route them): every
  expert's router score, the experts chosen, their gates, each chosen expert's own
  answer (its class probabilities) and the model's answer. What a click on the
  routing map or on a digit shows.
- :func:`route_batch` — inputs routed *as one batch*, as training routes them, so
  capacity limits and expert choice act: which inputs a full expert dropped, and which
  no expert picked. What the page's batch view marks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.moe.model import MoEClassifier


def router_scores(model: MoEClassifier, x: torch.Tensor) -> torch.Tensor:
    """(N, E) the router's score of every expert, as the page's bars show it.

    Softmax routers: the softmax over all experts. The sigmoid router (DeepSeek-V3):
    each expert's own affinity ``sigmoid(logit)`` (not normalised: each is a yes/no score).
    The selection bias is not in the scores (it only shifts which experts are chosen).
    """
    logits = model.router.logits(x)
    return torch.sigmoid(logits) if model.router.mode == "sigmoid_topk" else torch.softmax(logits, dim=-1)


def explain(model: MoEClassifier, x) -> dict[str, np.ndarray]:
    """Each of the inputs x (N, d) routed on its own (no capacity, no noise), and what each chosen expert answers.

    Returns
    -------
    scores : (N, E) :func:`router_scores`
    experts : (N, k) the chosen experts, best first (expert choice: its per-input top-k fallback)
    gates : (N, k) their gates (the weights their outputs are summed with)
    expert_probs : (N, k, C) each chosen expert's own class probabilities (softmax of its output)
    probs : (N, C) the model's class probabilities (gated sum of the chosen experts, plus shared experts)
    """
    model.eval()
    with torch.inference_mode():
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        feats = model.forward_features(xt, batch=False)
        routing = feats["routing"]
        everyone = model.experts.all_experts(xt)  # (E, N, C)
        picked = everyone.permute(1, 0, 2).gather(
            1, routing.indices[:, :, None].expand(-1, -1, everyone.shape[2]))  # (N, k, C)
        return {"scores": router_scores(model, xt).numpy(), "experts": routing.indices.numpy(),
                "gates": routing.gates.float().numpy(), "expert_probs": torch.softmax(picked, -1).numpy(),
                "probs": torch.softmax(feats["logits"], -1).numpy()}


@dataclass(frozen=True)
class BatchRouting:
    """One batch of ``N`` inputs routed together, as in training (``S`` slots per input, ``E`` experts).

    experts, gates : (N, S) the chosen experts (-1 in an unused slot) and their gates
    dropped : (N, S) bool, a chosen expert that was full (capacity) and refused the input
    unserved : (N,) bool, inputs no routed expert processed (every choice dropped, or no expert picked them)
    partly_dropped : (N,) bool, inputs that lost some but not all of their chosen experts
    requested, load : (E,) inputs that chose each expert, and inputs each expert processed
    capacity : inputs one expert may take, or None (no limit)
    rule : ``"capacity"`` (token choice with a limit), ``"expert_choice"`` or ``"none"`` (nothing is dropped)
    """

    experts: np.ndarray
    gates: np.ndarray
    dropped: np.ndarray
    unserved: np.ndarray
    partly_dropped: np.ndarray
    requested: np.ndarray
    load: np.ndarray
    capacity: int | None
    rule: str


def route_batch(model: MoEClassifier, x) -> BatchRouting:
    """Route x (N, d) as one batch with the model's own router (capacity and expert choice act; no noise)."""
    model.eval()
    with torch.inference_mode():
        r = model.router(torch.as_tensor(np.asarray(x, dtype=np.float32)), batch=True)
    router = model.router
    if router.mode == "expert_choice":
        rule = "expert_choice"
    elif router.capacity_factor > 0:
        rule = "capacity"
    else:
        rule = "none"
    dropped = r.dropped.numpy()
    unserved = r.unserved.numpy()
    return BatchRouting(experts=r.indices.numpy(), gates=r.gates.float().numpy(), dropped=dropped,
                        unserved=unserved, partly_dropped=dropped.any(1) & ~unserved,
                        requested=r.requested.numpy(), load=r.load.numpy(), capacity=r.capacity, rule=rule)
