"""The mixture-of-experts classifier and the dense models it is compared with.

:class:`MoEClassifier` maps inputs ``x : (N, d)`` to class logits ``(N, C)``::

    routing = router(x)                                   # who goes where, with what gate
    routed  = sum over kept assignments of gate * expert_e(x)
    logits  = routed + sum over shared experts of shared_s(x)

Shared experts (DeepSeekMoE) see every input with weight 1; routed experts see
only the inputs routed to them. An input every routed expert dropped keeps only
the shared experts' output (or all-zero logits without one).

:class:`DenseMLP` is a plain one-hidden-layer network; :func:`matched_hidden`
sizes it to the MoE's active or total parameter count.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from engine.moe.config import MoEConfig
from engine.moe.experts import ExpertBank
from engine.moe.router import Router, Routing
from engine.runtime import uninitialised


class MoEClassifier(nn.Module):
    """Router + routed experts + optional shared experts, shaped by a :class:`MoEConfig`.

    Parameters
    ----------
    n_features, n_classes : input size d and number of classes C
    config : MoEConfig
    generator : CPU ``torch.Generator`` every initial weight is drawn from (router, experts, shared, in order)
    """

    def __init__(self, n_features: int, n_classes: int, config: MoEConfig, generator: torch.Generator) -> None:
        super().__init__()
        self.config = config
        self.router = Router(n_features, config.n_experts, top_k=config.top_k, mode=config.router,
                             gate=config.gate, capacity_factor=config.capacity_factor, generator=generator)
        self.experts = ExpertBank(config.n_experts, n_features, config.expert_hidden, n_classes, generator)
        self.shared = (ExpertBank(config.n_shared, n_features, config.expert_hidden, n_classes, generator)
                       if config.n_shared else None)

    def forward_features(self, x: torch.Tensor, batch: bool = True,
                         noise: torch.Generator | None = None) -> dict[str, torch.Tensor | Routing]:
        """Everything one forward pass computes, for x (N, d).

        Returns ``{"routing": Routing, "routed": (N, C), "shared": (N, C) or None, "logits": (N, C)}``.
        ``batch`` and ``noise`` as in :meth:`engine.moe.router.Router.forward`.
        """
        routing = self.router(x, batch=batch, noise=noise)
        routed = self.experts(x, routing.tokens, routing.experts, routing.weights, self.config.dispatch)
        shared = self.shared.all_experts(x).sum(0) if self.shared is not None else None
        logits = routed if shared is None else routed + shared
        return {"routing": routing, "routed": routed, "shared": shared, "logits": logits}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, C), routing ``x`` as one batch."""
        return self.forward_features(x)["logits"]


class DenseMLP(nn.Module):
    """``d -> hidden -> C`` with ReLU: the dense comparison model, initialised from ``generator``."""

    def __init__(self, n_features: int, hidden: int, n_classes: int, generator: torch.Generator) -> None:
        super().__init__()
        self.hidden_layer = uninitialised(nn.Linear, n_features, hidden)
        self.output_layer = uninitialised(nn.Linear, hidden, n_classes)
        with torch.no_grad():
            for layer in (self.hidden_layer, self.output_layer):
                bound = 1.0 / layer.in_features**0.5
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)

    @property
    def hidden(self) -> int:
        return self.hidden_layer.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, d) -> logits (N, C)."""
        return self.output_layer(F.relu(self.hidden_layer(x)))


def mlp_params(n_features: int, hidden: int, n_classes: int) -> int:
    """Parameters of ``d -> hidden -> C``: ``d*h + h + h*C + C``."""
    return n_features * hidden + hidden + hidden * n_classes + n_classes


def matched_hidden(n_params: float, n_features: int, n_classes: int) -> int:
    """Hidden width whose :func:`mlp_params` is closest to ``n_params`` (at least 1)."""
    return max(1, round((n_params - n_classes) / (n_features + 1 + n_classes)))
