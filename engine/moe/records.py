"""The plain records a :class:`~engine.moe.train.MoETrainer` keeps, and its small helpers.

- :class:`MoERecord` — one entry of ``history_`` (every ``eval_every`` steps).
- :class:`EvalResult` — loss, accuracy, gate entropy and dropped share on one split.
- :class:`Window` — running sums over the steps since the last record.
- :class:`DenseBaselines` — the dense comparison models and their training losses.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from engine.moe.model import DenseMLP


@dataclass(frozen=True)
class MoERecord:
    """Metrics after ``step`` optimizer steps.

    ``train_*``, ``aux_loss``, ``z_loss``, the load figures and ``dropped_fraction``
    are averaged over the training batches since the previous record; ``val_*``,
    ``gate_entropy`` and the dense accuracies are measured on the validation split
    at ``step``.

    shares : (E,) share of the processed inputs each expert took (after capacity)
    max_share, cv, dead : of ``shares`` — largest share, coefficient of variation, experts under 1 %
    requested_shares : (E,) share of the routing choices each expert got (before capacity)
    gate_entropy : mean entropy of the router's distribution over experts, nats (at most ln E)
    dropped_fraction : token choice — requested (input, expert) pairs dropped by capacity;
        expert choice — inputs no expert picked
    dense_active_val_accuracy, dense_total_val_accuracy : the dense comparisons, or None when not trained
    selection_bias : (E,) the router's loss-free balancing bias at ``step`` (DeepSeek-V3; all 0 when it is off)
    """

    step: int
    seconds: float
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    aux_loss: float
    z_loss: float
    shares: tuple[float, ...]
    max_share: float
    cv: float
    dead: int
    requested_shares: tuple[float, ...]
    gate_entropy: float
    dropped_fraction: float
    dense_active_val_accuracy: float | None
    dense_total_val_accuracy: float | None
    selection_bias: tuple[float, ...] = ()


@dataclass(frozen=True)
class EvalResult:
    """One model on one split: mean cross-entropy, accuracy in [0, 1], mean gate entropy (nats), dropped share."""

    loss: float
    accuracy: float
    gate_entropy: float = 0.0
    dropped_fraction: float = 0.0


@dataclass
class Window:
    """Sums over the training steps since the last :class:`MoERecord` (E experts)."""

    n_experts: int
    steps: int = 0
    loss: float = 0.0
    correct: int = 0
    seen: int = 0
    aux: float = 0.0
    z: float = 0.0
    dropped: float = 0.0
    load: np.ndarray = field(default=None)  # type: ignore[assignment]
    requested: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.load = np.zeros(self.n_experts, dtype=np.int64)
        self.requested = np.zeros(self.n_experts, dtype=np.int64)

    def add(self, loss: float, correct: int, seen: int, aux: float, z: float, dropped: float,
            load: np.ndarray, requested: np.ndarray) -> None:
        """Add one training step: its mean loss, correct answers of ``seen``, losses, dropped share, (E,) counts."""
        self.steps += 1
        self.loss += loss
        self.correct += correct
        self.seen += seen
        self.aux += aux
        self.z += z
        self.dropped += dropped
        self.load += load
        self.requested += requested


class DenseBaselines:
    """The dense comparison models, trained on the MoE's batches.

    ``nets`` maps a name (``"dense_active"``, ``"dense_total"``) to its :class:`DenseMLP`.
    Their first layers run as one matrix product (the weights side by side).
    :meth:`losses` gives the training losses; the trainer adds them to the MoE's and
    takes one backward pass and one Adam step over every parameter. The models
    share no parameter with each other or the MoE, and Adam works per parameter,
    so this is the same as training each model alone, at a fraction of the
    per-call overhead (``tests/test_moe_train.py`` checks it against separate
    optimizers). A model whose loss stops being finite stops training (listed in
    ``diverged``: its loss is left out, so its parameters get no gradient and Adam
    skips them); the MoE run goes on.
    """

    def __init__(self, nets: dict[str, DenseMLP]) -> None:
        self.nets = nets
        self.diverged: set[str] = set()

    def parameters(self) -> list[torch.nn.Parameter]:
        """Every model's parameters, in a fixed order."""
        return [p for net in self.nets.values() for p in net.parameters()]

    def _logits(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        nets = list(self.nets.values())
        weight = torch.cat([net.hidden_layer.weight for net in nets])
        bias = torch.cat([net.hidden_layer.bias for net in nets])
        hidden = F.relu(F.linear(x, weight, bias)).split([net.hidden for net in nets], dim=1)
        return {name: net.output_layer(h) for (name, net), h in zip(self.nets.items(), hidden, strict=True)}

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
        """The mean cross-entropy on x (B, d), y (B,) of every model still training (a diverging one is dropped)."""
        out = []
        for name, logits in self._logits(x).items():
            loss = F.cross_entropy(logits, y)
            if name in self.diverged or not math.isfinite(float(loss.detach())):
                self.diverged.add(name)
            else:
                out.append(loss)
        return out

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, EvalResult]:
        """Each model's loss and accuracy on x (N, d), y (N,)."""
        with torch.inference_mode():
            return {name: EvalResult(float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean()))
                    for name, logits in self._logits(x).items()}


def shared_tensor(array: np.ndarray, device) -> torch.Tensor:
    """A tensor over a (read-only, shared) array without copying it on the CPU.

    Trainers only gather from these tensors, never write, so torch's warning about
    non-writable memory does not apply.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(array).to(device)
