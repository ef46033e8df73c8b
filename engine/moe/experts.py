"""Experts (small MLPs) and the two ways of running them: sparse dispatch and the dense masked reference.

An :class:`ExpertBank` holds ``E`` independent MLPs ``d_in -> hidden -> d_out``
(ReLU), stacked so that one tensor holds every expert's first-layer weights::

    w1 : (E, d_in, hidden)    b1 : (E, hidden)
    w2 : (E, hidden, d_out)   b2 : (E, d_out)

Given the router's kept assignments (input ``tokens[a]`` goes to expert
``experts[a]`` with gate ``weights[a]``), the output for input n is
``sum_a weights[a] * expert_{experts[a]}(x[n])`` over its assignments.

- :meth:`ExpertBank.sparse` sorts the assignments by expert, gathers each
  expert's inputs, runs that expert on them only and scatters the weighted
  results back: work grows with the ``A`` assignments (about ``N * k``).
- :meth:`ExpertBank.dense` runs every expert on every input and multiplies by a
  mostly-zero ``(N, E)`` gate matrix: work grows with ``N * E``, but it is one
  batched matrix product with no per-expert Python overhead. It is the reference
  the sparse path is tested against (same outputs, same gradients).
- :func:`choose_dispatch` picks the cheaper by a simple cost model.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from engine.moe.gating import combine_matrix

DISPATCH_OVERHEAD_MACS = 400_000
"""Fixed cost of running one expert in the sparse path (gather, two small matrix products and
their backward, scatter), in multiply-accumulates of useful work it could have done instead.
Only the order of magnitude matters; with it the automatic choice agrees with ``bench/moe_speed.py``
on one CPU thread: dense for the 2-D explorer's 8 experts of 2 -> 8 -> 5 (sparse about 1.1x dense
there), sparse for 16 experts of 64 -> 256 -> 64 at top-2 (about 0.11x dense)."""


class ExpertBank(nn.Module):
    """``n_experts`` MLPs ``d_in -> hidden -> d_out``, initialised from ``generator`` like ``nn.Linear``."""

    def __init__(self, n_experts: int, d_in: int, hidden: int, d_out: int, generator: torch.Generator) -> None:
        super().__init__()
        self.n_experts, self.d_in, self.hidden, self.d_out = n_experts, d_in, hidden, d_out
        self.w1 = nn.Parameter(torch.empty(n_experts, d_in, hidden))
        self.b1 = nn.Parameter(torch.empty(n_experts, hidden))
        self.w2 = nn.Parameter(torch.empty(n_experts, hidden, d_out))
        self.b2 = nn.Parameter(torch.empty(n_experts, d_out))
        with torch.no_grad():  # PyTorch's default Linear initialisation, without the global RNG
            for w, b, fan_in in ((self.w1, self.b1, d_in), (self.w2, self.b2, hidden)):
                bound = 1.0 / fan_in**0.5
                w.uniform_(-bound, bound, generator=generator)
                b.uniform_(-bound, bound, generator=generator)

    @property
    def params_per_expert(self) -> int:
        """Weights and biases of one expert: ``d_in*hidden + hidden + hidden*d_out + d_out``."""
        return self.d_in * self.hidden + self.hidden + self.hidden * self.d_out + self.d_out

    @property
    def macs_per_input(self) -> int:
        """Multiply-accumulates one expert spends on one input (biases and ReLU not counted)."""
        return self.d_in * self.hidden + self.hidden * self.d_out

    def all_experts(self, x: torch.Tensor) -> torch.Tensor:
        """Every expert on every input: x (N, d_in) -> (E, N, d_out)."""
        xs = x.unsqueeze(0).expand(self.n_experts, -1, -1)
        h = F.relu(torch.baddbmm(self.b1.unsqueeze(1), xs, self.w1))
        return torch.baddbmm(self.b2.unsqueeze(1), h, self.w2)

    def one_expert(self, e: int, x: torch.Tensor) -> torch.Tensor:
        """Expert ``e`` alone: x (n, d_in) -> (n, d_out)."""
        return torch.addmm(self.b2[e], F.relu(torch.addmm(self.b1[e], x, self.w1[e])), self.w2[e])

    def dense(self, x: torch.Tensor, tokens: torch.Tensor, experts: torch.Tensor,
              weights: torch.Tensor) -> torch.Tensor:
        """The masked reference: all experts on all inputs, weighted by the (N, E) gate matrix -> (N, d_out).

        Written as two plain matrix products over the experts laid side by side:
        ``H = relu(x @ [W1_1 ... W1_E] + b1)`` is (N, E*hidden), every expert's hidden
        units; scaling expert e's block by its gate and multiplying by the stacked
        ``W2`` sums the gated outputs, ``sum_e g_ne (h_ne @ W2_e + b2_e)``.
        """
        n_e, h = self.n_experts, self.hidden
        gate = combine_matrix(len(x), n_e, tokens, experts, weights)  # (N, E), zero where not routed
        w1 = self.w1.permute(1, 0, 2).reshape(self.d_in, n_e * h)
        hidden = F.relu(torch.addmm(self.b1.reshape(-1), x, w1)).reshape(len(x), n_e, h)
        gated = (hidden * gate.unsqueeze(2)).reshape(len(x), n_e * h)
        return torch.addmm(gate @ self.b2, gated, self.w2.reshape(n_e * h, self.d_out))

    def sparse(self, x: torch.Tensor, tokens: torch.Tensor, experts: torch.Tensor,
               weights: torch.Tensor) -> torch.Tensor:
        """Sparse dispatch: each expert runs only on the inputs routed to it -> (N, d_out).

        tokens, experts, weights : (A,) the kept assignments.
        """
        order = torch.argsort(experts, stable=True)
        tokens, weights = tokens[order], weights[order]
        counts = torch.bincount(experts, minlength=self.n_experts).tolist()
        w1, b1, w2, b2 = self.w1.unbind(0), self.b1.unbind(0), self.w2.unbind(0), self.b2.unbind(0)
        outputs = []
        for e, chunk in enumerate(x.index_select(0, tokens).split(counts)):
            if counts[e]:
                outputs.append(torch.addmm(b2[e], F.relu(torch.addmm(b1[e], chunk, w1[e])), w2[e]))
        out = x.new_zeros(len(x), self.d_out)
        if not outputs:
            return out + 0.0 * weights.sum()  # nothing kept: zero output, still attached to the graph
        return out.index_add(0, tokens, torch.cat(outputs) * weights.unsqueeze(1))

    def forward(self, x: torch.Tensor, tokens: torch.Tensor, experts: torch.Tensor, weights: torch.Tensor,
                dispatch: str = "auto") -> torch.Tensor:
        """Weighted expert outputs (N, d_out) for the assignments, by ``dispatch`` (auto/sparse/dense)."""
        if dispatch == "auto":
            dispatch = choose_dispatch(len(x), len(tokens), self.n_experts, self.macs_per_input)
        run = self.sparse if dispatch == "sparse" else self.dense
        return run(x, tokens, experts, weights)


def choose_dispatch(n_inputs: int, n_assignments: int, n_experts: int, macs_per_input: int) -> str:
    """``"sparse"`` when gathering per expert is expected to cost less than running every expert on every input.

    Dense work: ``N * E * macs``. Sparse work: ``A * macs`` plus a fixed
    :data:`DISPATCH_OVERHEAD_MACS` per expert. Tiny experts (the 2-D tasks) stay
    dense; wide ones (digits, the 64 -> 256 -> 64 benchmark) go sparse.
    """
    dense = n_inputs * n_experts * macs_per_input
    sparse = n_assignments * macs_per_input + n_experts * DISPATCH_OVERHEAD_MACS
    return "sparse" if sparse < dense else "dense"
