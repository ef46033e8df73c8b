"""Point at an input: the router's score of every expert, the experts chosen, their gates and their answers.

Answered in the browser (:file:`components/moe_live.js`), from data that travels with each live
update (no server call per click or tap):

- on a 2-D task, the model's weights (router, selection bias, every expert; float32 as base64: the
  default preset's are about 600 numbers) and the validation points. The browser computes the router's
  softmax (or the sigmoid router's affinities), the top-k choice with the selection bias, the gates
  and each chosen expert's MLP at the exact place clicked, as :func:`engine.moe.explain.explain` does;
- on the digits, a strip of validation digits (two of each class) with each one's answer computed here
  by :func:`engine.moe.explain.explain` (784 inputs: the weights are too many to send every update).

The payload is a JSON string; :func:`plane_payload` and :func:`digits_payload` build it.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from app.moe.figures import CLASS_COLORS, EXPERT_COLORS
from engine.moe import MoETrainer

DIGITS_PER_CLASS = 2
"""Digits the strip offers of each class."""


def _b64(array) -> str:
    return base64.b64encode(np.ascontiguousarray(np.asarray(array, dtype=np.float32)).tobytes()).decode("ascii")


def _bank(bank) -> dict[str, str]:
    return {name: _b64(getattr(bank, name).detach().cpu()) for name in ("w1", "b1", "w2", "b2")}


def plane_payload(trainer: MoETrainer) -> str:
    """What the browser needs to explain any place of the plane (see the module docstring)."""
    model, task, cfg = trainer.model_, trainer.task_, trainer.config
    router = model.router
    mode = "expert_choice_fallback" if cfg.router == "expert_choice" else cfg.router
    shared = model.shared
    return json.dumps({
        "kind": "plane", "bounds": [float(b) for b in task.bounds],
        "E": cfg.n_experts, "H": cfg.expert_hidden, "C": task.n_classes, "D": task.n_features,
        "k": min(cfg.top_k, cfg.n_experts), "mode": mode, "gate": "full" if cfg.router == "expert_choice" else cfg.gate,
        "W": _b64(router.weight.detach().cpu()), "b": _b64(router.bias.detach().cpu()),
        "bias": _b64(router.selection_bias.detach().cpu()),
        "experts": _bank(model.experts), "S": 0 if shared is None else shared.n_experts,
        "shared": None if shared is None else _bank(shared),
        "points": _b64(task.x_val), "labels": [int(v) for v in task.y_val],
        "expert_colors": list(EXPERT_COLORS), "class_colors": list(CLASS_COLORS),
        "step": trainer.step_,
    }, separators=(",", ":"))


def digit_rows(trainer: MoETrainer) -> np.ndarray:
    """Rows of the validation split the digit strip shows: the first ``DIGITS_PER_CLASS`` of each class."""
    _, y = trainer.task_.split("val")
    rows = [np.flatnonzero(y == c)[:DIGITS_PER_CLASS] for c in range(trainer.task_.n_classes)]
    return np.concatenate(rows)


def _rounded(values: np.ndarray) -> list:
    return np.round(np.asarray(values, dtype=np.float64), 6).tolist()


def digits_payload(trainer: MoETrainer) -> str:
    """Each strip digit's answer (:func:`engine.moe.explain.explain`), for the browser to show on a click."""
    x, y = trainer.task_.split("val")
    rows = digit_rows(trainer)
    got = trainer.explain(x[rows])
    samples = [{"row": int(r), "label": int(y[r]), "scores": _rounded(got["scores"][i]),
                "experts": [int(e) for e in got["experts"][i]], "gates": _rounded(got["gates"][i]),
                "expert_probs": _rounded(got["expert_probs"][i]), "probs": _rounded(got["probs"][i])}
               for i, r in enumerate(rows)]
    return json.dumps({"kind": "samples", "E": trainer.config.n_experts, "C": trainer.task_.n_classes,
                       "mode": trainer.config.router, "samples": samples, "step": trainer.step_,
                       "expert_colors": list(EXPERT_COLORS), "class_colors": list(CLASS_COLORS)},
                      separators=(",", ":"))
