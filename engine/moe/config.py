"""The settings of one mixture-of-experts run: a frozen, validated :class:`MoEConfig`.

Building a ``MoEConfig`` directly is strict: a value out of range raises
``ValueError`` with a sentence saying what is allowed. Values from a page or a
URL go through :meth:`MoEConfig.clamped` instead, which never raises: it clamps
each value into range, replaces unknown choices by the default and returns the
notes a page shows ("top_k 5 > 4 experts: clamped to 4"). :meth:`MoEConfig.warnings`
lists settings that are legal but worth a sentence on the page (a capacity so
small that most inputs are dropped, a balancing coefficient of 100, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

TASKS = ("spiral", "checkerboard", "blobs", "digits")
"""Datasets: three 2-D tasks with many regions (see :mod:`engine.moe.data`) and the bundled MNIST digits."""

ROUTERS = ("topk", "noisy_topk", "sigmoid_topk", "expert_choice")
"""Token-choice top-k, noisy top-k (Shazeer et al. 2017), sigmoid affinities normalised over the chosen experts
(DeepSeek-V3, 2024), expert choice (Zhou et al. 2022)."""

GATES = ("full", "topk")
"""Gate of a chosen expert: its probability under a softmax over *all* experts (Switch, GShard),
or a softmax over the *chosen* experts' logits only (Shazeer 2017, Mixtral), which sums to 1."""

DISPATCHES = ("auto", "sparse", "dense")
"""How inputs reach experts: gathered per expert, every expert on every input then masked, or chosen by cost."""

LR_SCHEDULES = ("cosine", "constant")
"""Learning rate over a run: cosine decay from ``learning_rate`` to :data:`LR_FLOOR` of it, or constant."""

LR_FLOOR = 0.05
"""Where the cosine schedule ends, as a fraction of ``learning_rate``."""

ROUTER_INITS = ("points", "default")
"""Router start: every expert owns the region around one random training point, or PyTorch's default."""

INT_RANGES: dict[str, tuple[int, int]] = {
    "n_experts": (1, 16),
    "top_k": (1, 4),
    "expert_hidden": (1, 256),
    "n_shared": (0, 2),
    "batch_size": (8, 4096),
    "steps": (1, 100_000),
    "eval_every": (1, 10_000),
    "n_samples": (300, 20_000),
    "seed": (0, 2**31 - 1),
    "data_seed": (0, 2**31 - 1),
}
FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "aux_loss_coef": (0.0, 100.0),
    "importance_loss_coef": (0.0, 100.0),
    "z_loss_coef": (0.0, 10.0),
    "bias_rate": (0.0, 1.0),
    "capacity_factor": (0.0, 8.0),
    "learning_rate": (1e-5, 100.0),
    "task_noise": (0.0, 1.0),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "task": TASKS, "router": ROUTERS, "gate": GATES, "dispatch": DISPATCHES, "router_init": ROUTER_INITS,
    "lr_schedule": LR_SCHEDULES,
}
BOOLS = ("dense_baselines",)


@dataclass(frozen=True)
class MoEConfig:
    """Everything a run depends on (all fields hashable: usable as a cache key or URL state).

    Attributes
    ----------
    task : one of :data:`TASKS`.
    n_experts : routed experts, 1-16.
    top_k : experts per input, 1-4 (for expert choice: the *average* number per input).
    router : one of :data:`ROUTERS`.
    gate : one of :data:`GATES` (token-choice routers only).
    expert_hidden : hidden units of every expert (an MLP ``d -> expert_hidden -> n_classes``).
    n_shared : always-active shared experts, DeepSeekMoE style (0-2).
    aux_loss_coef : Switch Transformer's load-balancing coefficient α (0 = off; the paper uses 0.01).
    importance_loss_coef : Shazeer et al.'s importance and load losses, both with this coefficient
        (0 = off; the paper uses 0.1 for each). The load loss needs the noisy router's noise; with another
        token-choice router only the importance loss applies.
    z_loss_coef : ST-MoE router z-loss coefficient (0 = off; the paper uses 0.001).
    bias_rate : DeepSeek-V3 auxiliary-loss-free balancing speed γ (0 = off; the paper uses 0.001).
    capacity_factor : inputs an expert may take, as a multiple of an even share (0 = no limit);
        for expert choice it scales every expert's fixed capacity (0 means 1).
    router_init : one of :data:`ROUTER_INITS`.
    learning_rate : Adam's (peak) step size, for the MoE and the dense comparison models. 0.05 with the
        cosine schedule and 1,000 steps was chosen on the spiral's validation split
        (``python bench/moe_select_defaults.py --only schedule --seeds 5``):
        the best mean validation accuracy of the Collapse and Balanced presets, and the picture settles
        after about 400 steps instead of 850 with a constant 0.03.
    lr_schedule : one of :data:`LR_SCHEDULES`; with ``"cosine"`` the step size falls smoothly to
        :data:`LR_FLOOR` of ``learning_rate`` at the last planned step, so the picture settles
        instead of drifting (see :meth:`lr_at`).
    batch_size, steps, eval_every : inputs per step, planned steps, steps between history records.
    n_samples, task_noise, data_seed : size, noise and seed of the generated 2-D task (digits ignore them).
    dispatch : one of :data:`DISPATCHES`.
    dense_baselines : also train the two dense comparison models on the same batches.
    seed : weights, batch order and router noise all derive from it.
    """

    task: str = "spiral"
    n_experts: int = 8
    top_k: int = 1
    router: str = "topk"
    gate: str = "full"
    expert_hidden: int = 8
    n_shared: int = 0
    aux_loss_coef: float = 0.0
    importance_loss_coef: float = 0.0
    z_loss_coef: float = 0.0
    bias_rate: float = 0.0
    capacity_factor: float = 0.0
    router_init: str = "points"
    learning_rate: float = 0.05
    lr_schedule: str = "cosine"
    batch_size: int = 256
    steps: int = 1000
    eval_every: int = 25
    n_samples: int = 3000
    task_noise: float = 0.0
    data_seed: int = 0
    dispatch: str = "auto"
    dense_baselines: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}; got {getattr(self, name)!r}")
        for name, (lo, hi) in INT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name} must be a whole number from {lo} to {hi}; got {value!r}")
        for name, (lo, hi) in FLOAT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}; got {value!r}")
        if not isinstance(self.dense_baselines, bool):
            raise ValueError(f"dense_baselines must be True or False; got {self.dense_baselines!r}")
        if self.top_k > self.n_experts:
            raise ValueError(f"top_k ({self.top_k}) cannot exceed n_experts ({self.n_experts}): each input "
                             f"picks top_k different experts")

    def lr_at(self, step: int) -> float:
        """Adam's step size for optimizer step ``step`` (0-based) of the ``steps`` planned.

        Cosine: ``lr * (f + (1 - f) * (1 + cos(pi * step / steps)) / 2)`` with ``f = LR_FLOOR``,
        so ``lr`` at step 0 and ``f * lr`` at the end; constant: ``lr``.
        """
        if self.lr_schedule == "constant":
            return self.learning_rate
        t = min(max(step, 0), self.steps) / self.steps
        return self.learning_rate * (LR_FLOOR + (1 - LR_FLOOR) * 0.5 * (1 + math.cos(math.pi * t)))

    @property
    def is_2d(self) -> bool:
        """True for the point tasks (spiral, checkerboard, blobs), which have maps over the plane."""
        return self.task != "digits"

    def replace(self, **changes) -> MoEConfig:
        """A copy with ``changes`` applied (validated like a new config)."""
        return replace(self, **changes)

    @classmethod
    def clamped(cls, values: Mapping[str, object], base: MoEConfig | None = None) -> tuple[MoEConfig, list[str]]:
        """A valid config from untrusted ``values`` (URL parameters, widgets) and the notes to show.

        Never raises: unknown names are ignored, unreadable values keep ``base``'s
        (default: ``MoEConfig()``), numbers are clamped into range, and ``top_k`` is
        lowered to ``n_experts``. Each change is explained by one note.
        """
        base = base or cls()
        out: dict[str, object] = {}
        notes: list[str] = []
        known = {f.name for f in fields(cls)}
        for name, raw in values.items():
            if name not in known:
                notes.append(f"Ignored unknown setting {name!r}.")
                continue
            value, note = _clamp_one(name, raw, getattr(base, name))
            out[name] = value
            if note:
                notes.append(note)
        merged = {**{f.name: getattr(base, f.name) for f in fields(cls)}, **out}
        if merged["top_k"] > merged["n_experts"]:
            notes.append(f"top_k {merged['top_k']} is more than the {merged['n_experts']} experts: "
                         f"lowered to {merged['n_experts']}.")
            merged["top_k"] = merged["n_experts"]
        return cls(**merged), notes

    def warnings(self) -> list[str]:
        """Legal settings that deserve a sentence on the page, most important first."""
        notes = []
        expert_choice = self.router == "expert_choice"
        if 0 < self.capacity_factor < 1 and not expert_choice:
            notes.append(f"Capacity factor {self.capacity_factor:g}: the experts together can take only "
                         f"{self.capacity_factor:.0%} of the routed inputs, so at least "
                         f"{1 - self.capacity_factor:.0%} are dropped (they get no routed expert's output).")
        if expert_choice and 0 < self.capacity_factor < 1:
            notes.append(f"Expert choice with capacity factor {self.capacity_factor:g}: experts take only "
                         f"{self.capacity_factor:.0%} of an even share each, so many inputs get no expert.")
        if self.aux_loss_coef >= 10:
            notes.append(f"A balancing coefficient of {self.aux_loss_coef:g} makes the balancing loss (at least "
                         f"{self.aux_loss_coef:g}) dwarf the task loss (about 1-2): the router learns to balance, "
                         f"not to help the task.")
        if self.n_experts == 1:
            notes.append("With one expert there is nothing to route: every input goes to it (a dense model).")
        if self.top_k == self.n_experts > 1 and not expert_choice:
            notes.append("top_k equals the number of experts: every expert runs on every input (dense).")
        if self.router == "sigmoid_topk" and self.top_k == 1:
            notes.append("Sigmoid routing with k = 1 normalises the one chosen affinity to a gate of exactly 1, so "
                         "the router gets no gradient from the task (DeepSeek-V3 uses k = 8); the balancing bias "
                         "still moves the choices.")
        if self.importance_loss_coef > 0 and self.router in ("topk", "sigmoid_topk"):
            notes.append("Shazeer's load loss needs the noisy router's noise: with this router only the importance "
                         "loss applies.")
        if self.importance_loss_coef > 0 and self.router == "expert_choice":
            notes.append("Expert choice is balanced by construction: the importance and load losses change nothing "
                         "about the load here.")
        if self.router not in ("expert_choice", "sigmoid_topk") and self.gate == "topk" and self.top_k == 1:
            noisy = "Shazeer's noisy gate" if self.router == "noisy_topk" else "A softmax over the top 1"
            notes.append(f"{noisy} with k = 1 gives every chosen expert a gate of exactly 1, so the router "
                         f"gets no gradient from the task and never learns (balancing losses still move it).")
        if expert_choice and (self.bias_rate > 0 or self.aux_loss_coef > 0):
            notes.append("Expert choice is balanced by construction: the balancing bias and loss change nothing "
                         "about the load here.")
        if expert_choice and self.gate == "topk":
            notes.append("Expert choice uses each expert's router probability as the gate; the gate option "
                         "applies to token-choice routers only.")
        if self.learning_rate > 1:
            notes.append(f"Learning rate {self.learning_rate:g} is very high for Adam: expect training to diverge.")
        return notes


def _clamp_one(name: str, raw: object, default: object) -> tuple[object, str]:
    """``(value, note)`` for one untrusted value; ``note`` is empty when ``raw`` was used as given."""
    if name in CHOICES:
        text = str(raw).strip().lower()
        if text in CHOICES[name]:
            return text, ""
        return default, f"{name} {raw!r} is not one of {', '.join(CHOICES[name])}: kept {default!r}."
    if name in BOOLS:
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True, ""
        if text in ("0", "false", "no", "off"):
            return False, ""
        return default, f"{name} {raw!r} is not true or false: kept {default!r}."
    integer = name in INT_RANGES
    lo, hi = INT_RANGES[name] if integer else FLOAT_RANGES[name]
    try:
        number = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default, f"{name} {raw!r} is not a number: kept {default!r}."
    if not math.isfinite(number):
        return default, f"{name} {raw!r} is not a finite number: kept {default!r}."
    value = min(max(number, lo), hi)
    if integer:
        value = int(round(value))
    note = f"{name} {raw!r} is outside {lo:g}-{hi:g}: clamped to {value:g}." if value != number else ""
    return value, note
