"""Train a mixture of experts live, in bounded steps: :class:`MoETrainer`.

:class:`MoETrainer` follows :mod:`engine.live`'s protocol (``step``, ``finished``,
``status_``, ``message_``, ``history_``, ``seed``, ``progress``, ``stop``). One
*unit* is one optimizer step on one batch. Every ``eval_every`` steps it appends
an :class:`MoERecord` (losses, accuracies, load balance, gate entropy, dropped
share) to ``history_``; every step it logs how many inputs each expert processed
(:meth:`MoETrainer.load_history`).

With ``config.dense_baselines`` it also trains, on the same batches, two dense
networks: one with the MoE's *active* parameter count and one with its *total*.

Everything random (weights, the router's starting regions, batch order, router
noise) comes from generators the trainer seeds from ``config.seed``; the data are
cached read-only arrays shared by every trainer, gathered by index per batch.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch.nn import functional as F

from engine.live import DIVERGED, DONE, FINISHED, READY, STOPPED, TRAINING
from engine.moe import views
from engine.moe.config import MoEConfig
from engine.moe.data import MoETask, load_task
from engine.moe.explain import BatchRouting, explain, route_batch
from engine.moe.gating import (
    gate_entropy,
    importance_loss,
    load_loss,
    router_z_loss,
    switch_aux_loss,
    update_selection_bias,
)
from engine.moe.metrics import ParamCounts, class_expert_matrix, count_params, load_stats
from engine.moe.model import DenseMLP, MoEClassifier
from engine.moe.records import DenseBaselines, EvalResult, MoERecord, Window, shared_tensor
from engine.runtime import resolve_device

EXPLODED_LOSS = 50.0
"""A batch cross-entropy above this (chance is ln C, at most 2.3) counts as divergence."""

INIT_SHARPNESS = 4.0
"""Router start: logits span about this much across neighbouring experts' regions (see :meth:`_init_router`)."""

LOAD_ROWS_AT_START = 1024
"""Rows of the per-step load log allocated up front; it doubles whenever it fills."""

__all__ = ["EXPLODED_LOSS", "MoERecord", "MoETrainer", "adam"]


def adam(params: list[torch.nn.Parameter], learning_rate: float) -> torch.optim.Adam:
    """One Adam over ``params``: torch's fused kernel where the device supports it, else the foreach one.

    The explorer's models are tiny (about 1,200 numbers in 14 tensors), so an optimizer
    step is mostly per-call overhead: measured on one CPU thread, 0.23 ms fused against
    0.68 ms foreach for the default preset's parameters.
    """
    try:
        return torch.optim.Adam(params, lr=learning_rate, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.Adam(params, lr=learning_rate, foreach=True)


class MoETrainer:
    """Trains one :class:`MoEClassifier` (and optionally its dense comparisons); call :meth:`step` until finished.

    Parameters
    ----------
    config : MoEConfig
    device : torch device or name, optional (default: :func:`engine.runtime.resolve_device`)
    """

    def __init__(self, config: MoEConfig, device=None) -> None:
        self.config = config
        self.device = resolve_device(device) if device is None or isinstance(device, str) else torch.device(device)
        self.task_: MoETask = load_task(config.task, config.n_samples, config.task_noise, config.data_seed)
        self.rng_ = np.random.default_rng(config.seed)
        self.torch_rng_ = torch.Generator().manual_seed(config.seed)
        task, dev = self.task_, self.device
        self.x_train_, self.y_train_ = shared_tensor(task.x_train, dev), shared_tensor(task.y_train, dev)
        d, c = task.n_features, task.n_classes
        self.model_ = MoEClassifier(d, c, config, self.torch_rng_).to(dev)
        if config.router_init == "points":
            self._init_router()
        self.counts_: ParamCounts = count_params(config, d, c)
        self.dense_: DenseBaselines | None = None
        if config.dense_baselines:
            self.dense_ = DenseBaselines({name: DenseMLP(d, hidden, c, self.torch_rng_).to(dev) for name, hidden in (
                ("dense_active", self.counts_.dense_active_hidden), ("dense_total", self.counts_.dense_total_hidden))})
        params = [*self.model_.parameters(), *(self.dense_.parameters() if self.dense_ is not None else ())]
        self.optimizer_ = adam(params, config.learning_rate)
        self.notes_: list[str] = config.warnings()
        self.step_ = 0
        self.status_ = READY
        self.message_ = ""
        self.history_: list[MoERecord] = []
        self.seconds_ = 0.0
        self._load = np.zeros((min(config.steps, LOAD_ROWS_AT_START), config.n_experts), dtype=np.int32)
        self._order = np.empty(0, dtype=np.int64)
        self._cursor = 0
        self._window = Window(config.n_experts)

    # -- the live protocol -------------------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        """The seed of this run (weights, router regions, batch order and router noise derive from it)."""
        return self.config.seed

    @property
    def finished(self) -> bool:
        return self.status_ in FINISHED

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, in [0, 1]."""
        return min(1.0, self.step_ / self.config.steps)

    def stop(self) -> None:
        """End the run early; the models keep what they learned."""
        if not self.finished:
            self.status_ = STOPPED
            self.message_ = f"Stopped by the user after {self.step_} of {self.config.steps} steps."

    def step(self, max_seconds: float = 0.1, max_steps: int | None = None) -> int:
        """Train for at most ``max_seconds`` (and ``max_steps``), always at least one step; return steps done."""
        if self.finished:
            return 0
        self.status_ = TRAINING
        started = time.perf_counter()
        done = 0
        while not self.finished:
            if not self._train_one():
                break
            done += 1
            if self.step_ % self.config.eval_every == 0 or self.step_ >= self.config.steps:
                self._record(time.perf_counter() - started)
            if self.step_ >= self.config.steps and not self.finished:
                self.status_ = DONE
                self.message_ = f"Finished {self.step_} steps."
            if (max_steps is not None and done >= max_steps) or time.perf_counter() - started >= max_seconds:
                break
        self.seconds_ += time.perf_counter() - started
        return done

    def train_steps(self, n: int) -> int:
        """Train exactly ``n`` steps (fewer if the run finishes first); return the steps done."""
        return self.step(math.inf, max_steps=max(1, int(n))) if n > 0 else 0

    # -- training ----------------------------------------------------------------------------------------------
    def _init_router(self) -> None:
        """Start expert e on the region nearest a random training point (distinct points, from ``rng_``)."""
        n, e = len(self.task_.y_train), self.config.n_experts
        points = self.task_.x_train[self.rng_.choice(n, e, replace=e > n)]
        pairs = self.rng_.integers(0, n, (2, min(n, 512)))
        spread = float(np.mean(np.sum((self.task_.x_train[pairs[0]] - self.task_.x_train[pairs[1]]) ** 2, 1)))
        self.model_.router.init_around(torch.from_numpy(points).to(self.device), INIT_SHARPNESS / max(spread, 1e-6))

    def _next_batch(self) -> torch.Tensor:
        n, size = len(self.task_.y_train), min(self.config.batch_size, len(self.task_.y_train))
        if self._cursor + size > len(self._order):
            self._order, self._cursor = self.rng_.permutation(n), 0
        idx = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        return torch.from_numpy(idx).to(self.device)

    def _train_one(self) -> bool:
        cfg = self.config
        idx = self._next_batch()
        xb, yb = self.x_train_[idx], self.y_train_[idx]
        self.model_.train()
        noise = self.torch_rng_ if cfg.router == "noisy_topk" else None
        feats = self.model_.forward_features(xb, batch=True, noise=noise)
        routing, logits = feats["routing"], feats["logits"]
        task_loss = F.cross_entropy(logits, yb)
        loss, aux, z = task_loss, 0.0, 0.0
        if cfg.aux_loss_coef > 0 and routing.choices is not None:
            aux_t = switch_aux_loss(routing.probs, routing.choices, cfg.aux_loss_coef)
            loss, aux = loss + aux_t, float(aux_t.detach())
        if cfg.importance_loss_coef > 0 and routing.choices is not None:  # Shazeer et al. 2017
            shazeer = importance_loss(routing.full_gates(), cfg.importance_loss_coef)
            if routing.clean_logits is not None:
                shazeer = shazeer + load_loss(routing.clean_logits, routing.logits, routing.noise_std, cfg.top_k,
                                              cfg.importance_loss_coef)
            loss, aux = loss + shazeer, aux + float(shazeer.detach())
        if cfg.z_loss_coef > 0:
            z_t = router_z_loss(routing.logits, cfg.z_loss_coef)
            loss, z = loss + z_t, float(z_t.detach())
        task_value, total = float(task_loss.detach()), float(loss.detach())
        if not math.isfinite(total) or task_value > EXPLODED_LOSS:
            self._diverged("became NaN" if math.isnan(total) else f"exploded to {total:.3g}")
            return False
        if self.dense_ is not None:  # trained on the same batch, in the same backward pass and Adam step
            loss = sum(self.dense_.losses(xb, yb), loss)
        self.optimizer_.zero_grad(set_to_none=True)
        loss.backward()
        for group in self.optimizer_.param_groups:
            group["lr"] = cfg.lr_at(self.step_)
        self.optimizer_.step()
        if cfg.bias_rate > 0 and cfg.router != "expert_choice":
            with torch.no_grad():
                bias = self.model_.router.selection_bias
                bias.copy_(update_selection_bias(bias, routing.requested, cfg.bias_rate))
        load = routing.load.cpu().numpy()
        if self.step_ >= len(self._load):
            self._load = np.concatenate([self._load, np.zeros_like(self._load)])
        self._load[self.step_] = load
        correct = int((logits.detach().argmax(1) == yb).sum())
        self._window.add(task_value, correct, len(yb), aux, z, routing.dropped_fraction, load,
                         routing.requested.cpu().numpy())
        self.step_ += 1
        return True

    def _diverged(self, what: str) -> None:
        lr = self.config.learning_rate
        self.status_ = DIVERGED
        self.message_ = (f"Training diverged at step {self.step_ + 1}: the loss {what}. The learning rate ({lr:g}) "
                         f"is too high; try {lr / 10:g}. The models keep their last finite weights.")

    def _record(self, elapsed_this_step: float) -> None:
        val = self.evaluate("val")
        if not math.isfinite(val.loss):
            self._diverged("on the validation split is not a number")
        w = self._window
        stats, wanted = load_stats(w.load), load_stats(w.requested)
        dense = {name: r.accuracy for name, r in self.evaluate_dense("val").items()}
        self.history_.append(MoERecord(
            step=self.step_, seconds=self.seconds_ + elapsed_this_step,
            train_loss=w.loss / max(1, w.steps), train_accuracy=w.correct / max(1, w.seen),
            val_loss=val.loss, val_accuracy=val.accuracy,
            aux_loss=w.aux / max(1, w.steps), z_loss=w.z / max(1, w.steps),
            shares=stats.shares, max_share=stats.max_share, cv=stats.cv, dead=stats.dead,
            requested_shares=wanted.shares, gate_entropy=val.gate_entropy,
            dropped_fraction=w.dropped / max(1, w.steps),
            dense_active_val_accuracy=dense.get("dense_active"), dense_total_val_accuracy=dense.get("dense_total"),
            selection_bias=tuple(float(b) for b in self.model_.router.selection_bias.cpu())))
        self._window = Window(self.config.n_experts)

    # -- looking at the model ----------------------------------------------------------------------------------
    def _split_tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.task_.split(split)
        return shared_tensor(x, self.device), shared_tensor(y, self.device)

    def _tensor(self, x) -> torch.Tensor:
        array = np.asarray(x, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != self.task_.n_features:
            raise ValueError(f"expected inputs of shape (N, {self.task_.n_features}); got {array.shape}")
        return shared_tensor(array, self.device)

    def evaluate(self, split: str = "val") -> EvalResult:
        """The MoE's loss, accuracy and mean gate entropy on a split, routed as one batch (capacity applies)."""
        x, y = self._split_tensors(split)
        self.model_.eval()
        with torch.inference_mode():
            feats = self.model_.forward_features(x, batch=True)
            loss = float(F.cross_entropy(feats["logits"], y))
            accuracy = float((feats["logits"].argmax(1) == y).float().mean())
            entropy = gate_entropy(feats["routing"].probs)
        return EvalResult(loss, accuracy, entropy, feats["routing"].dropped_fraction)

    def evaluate_dense(self, split: str = "val") -> dict[str, EvalResult]:
        """The dense comparison models' results on a split (empty without ``dense_baselines``)."""
        return self.dense_.evaluate(*self._split_tensors(split)) if self.dense_ is not None else {}

    def routing(self, x, batch: bool = True):
        """The full :class:`~engine.moe.router.Routing` of inputs x (N, d), detached (tensors)."""
        self.model_.eval()
        with torch.inference_mode():
            return self.model_.router(self._tensor(x), batch=batch)

    def route(self, x, batch: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(expert indices (N, S), gate weights (N, S), dropped mask (N, S))`` as NumPy arrays for x (N, d).

        ``batch=True`` routes x as one batch, as training does (capacity dropping,
        expert choice); ``batch=False`` routes each input on its own. S = top_k for
        token choice, E for expert choice (index -1 and gate 0 in unused slots).
        """
        r = self.routing(x, batch)
        return r.indices.cpu().numpy(), r.gates.float().cpu().numpy(), r.dropped.cpu().numpy()

    def predict_proba(self, x, model: str = "moe") -> np.ndarray:
        """Class probabilities (N, C); ``model`` is ``"moe"`` (each input routed on its own),
        ``"dense_active"`` or ``"dense_total"``."""
        xt = self._tensor(x)
        with torch.inference_mode():
            if model == "moe":
                self.model_.eval()
                logits = self.model_.forward_features(xt, batch=False)["logits"]
            elif self.dense_ is not None and model in self.dense_.nets:
                logits = self.dense_.nets[model](xt)
            else:
                names = ["moe", *(self.dense_.nets if self.dense_ else ())]
                raise ValueError(f"model must be one of {', '.join(names)}; got {model!r}")
        return torch.softmax(logits, -1).cpu().numpy()

    def explain(self, x) -> dict[str, np.ndarray]:
        """Router scores, chosen experts, gates and each chosen expert's answer for x (N, d), each input routed
        on its own (see :func:`engine.moe.explain.explain`)."""
        return explain(self.model_, self._tensor(x).cpu().numpy())

    def batch_indices(self) -> np.ndarray:
        """(B,) the training rows of the batch :meth:`batch_view` routes: ``batch_size`` rows drawn once from the
        config's seed (its own generator: the run's batch order is untouched), the same at every step."""
        n = len(self.task_.y_train)
        rng = np.random.default_rng([self.config.seed, 14])
        return np.sort(rng.choice(n, min(self.config.batch_size, n), replace=False))

    def batch_view(self) -> tuple[np.ndarray, np.ndarray, BatchRouting]:
        """``(x (B, d), y (B,), routing)``: one training batch (:meth:`batch_indices`) routed as one batch, as a
        training step routes it, so capacity drops and expert choice's unpicked inputs show
        (see :func:`engine.moe.explain.route_batch`; no router noise)."""
        rows = self.batch_indices()
        x, y = self.task_.x_train[rows], self.task_.y_train[rows]
        return x, y, route_batch(self.model_, x)

    def load_history(self) -> np.ndarray:
        """(steps done, E) int64: inputs each expert processed at each training step (after capacity)."""
        return self._load[: self.step_].astype(np.int64)

    def param_counts(self) -> ParamCounts:
        """Total vs active parameters, FLOPs per input, and the dense comparison sizes."""
        return self.counts_

    def class_expert_matrix(self, split: str = "val") -> np.ndarray:
        """(C, E) counts of each class's inputs by their top-1 expert (each input routed on its own)."""
        x, y = self.task_.split(split)
        top = self.route(x, batch=False)[0][:, 0]
        return class_expert_matrix(y, top, self.task_.n_classes, self.config.n_experts)

    def _require_plane(self) -> tuple[float, float, float, float]:
        if self.task_.bounds is None:
            raise ValueError(f"the {self.task_.name} task has no 2-D plane to map")
        return self.task_.bounds

    def bias_history(self) -> tuple[np.ndarray, np.ndarray]:
        """``(steps (T,), bias (T, E))``: the loss-free balancing bias at each record, step 0 (all zeros) first
        and the current step last (when it is not a record's)."""
        e = self.config.n_experts
        steps = [0] + [r.step for r in self.history_]
        rows = [np.zeros(e)] + [np.asarray(r.selection_bias or np.zeros(e), dtype=np.float64)
                                for r in self.history_]
        if self.step_ > steps[-1]:
            steps.append(self.step_)
            rows.append(self.model_.router.selection_bias.detach().cpu().numpy().astype(np.float64))
        return np.asarray(steps), np.stack(rows)

    def routing_map(self, resolution: int = 80) -> dict[str, np.ndarray]:
        """Top-1 expert and router confidence over the plane (see :func:`engine.moe.views.routing_map`)."""
        self.model_.eval()
        return views.routing_map(self.model_, self._require_plane(), resolution, self.device)

    def decision_map(self, resolution: int = 80, model: str = "moe") -> dict[str, np.ndarray]:
        """Predicted class over the plane for the MoE or a dense model (see :func:`engine.moe.views.decision_map`)."""
        return views.decision_map(lambda p: self.predict_proba(p, model), self._require_plane(), resolution)

    def expert_maps(self, resolution: int = 60) -> dict[str, np.ndarray]:
        """Each expert's own decision boundary (see :func:`engine.moe.views.expert_maps`)."""
        self.model_.eval()
        return views.expert_maps(self.model_, self._require_plane(), resolution, self.device)

