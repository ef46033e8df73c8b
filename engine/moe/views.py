"""Maps over the plane for the 2-D tasks, as plain NumPy data a page can draw.

Every map evaluates a grid of ``R x R`` points spanning ``bounds`` and routes each
point *on its own* (no capacity, no noise; expert choice falls back to the top-k
experts by router score), because a map shows what the model does at a place,
not how one batch happened to be shared out.

Each function returns a dict with ``"xs"`` ``(R,)`` and ``"ys"`` ``(R,)`` (the grid's
coordinates; row i of every ``(R, R)`` array is ``y = ys[i]``) plus its own arrays.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.moe.model import MoEClassifier

MIN_RESOLUTION, MAX_RESOLUTION = 8, 300


def grid(bounds: tuple[float, float, float, float], resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs (R,), ys (R,), points (R*R, 2) float32)``, points in row-major order (y outer, x inner)."""
    r = int(min(max(resolution, MIN_RESOLUTION), MAX_RESOLUTION))
    xs = np.linspace(bounds[0], bounds[1], r)
    ys = np.linspace(bounds[2], bounds[3], r)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def routing_map(model: MoEClassifier, bounds, resolution: int = 80, device="cpu") -> dict[str, np.ndarray]:
    """Which expert each point goes to first, and how sure the router is.

    Returns ``expert`` ``(R, R)`` int (the top-1 expert, selection bias included),
    ``confidence`` ``(R, R)`` (the router's probability of that expert, 1/E = unsure,
    1 = certain) and ``probs`` ``(R, R, E)``.
    """
    xs, ys, points = grid(bounds, resolution)
    r = len(xs)
    with torch.inference_mode():
        routing = model.router(torch.from_numpy(points).to(device), batch=False)
        top = routing.indices[:, 0]
        confidence = routing.probs.gather(1, top[:, None])[:, 0]
    return {"xs": xs, "ys": ys, "expert": top.cpu().numpy().reshape(r, r),
            "confidence": confidence.cpu().numpy().reshape(r, r),
            "probs": routing.probs.cpu().numpy().reshape(r, r, -1)}


def decision_map(predict, bounds, resolution: int = 80) -> dict[str, np.ndarray]:
    """The predicted class over the plane for ``predict(points (M, 2) float32) -> probabilities (M, C)``.

    Returns ``label`` ``(R, R)`` int, ``confidence`` ``(R, R)`` (its probability) and ``probs`` ``(R, R, C)``.
    """
    xs, ys, points = grid(bounds, resolution)
    r = len(xs)
    probs = np.asarray(predict(points)).reshape(r, r, -1)
    return {"xs": xs, "ys": ys, "label": probs.argmax(-1), "confidence": probs.max(-1), "probs": probs}


def expert_maps(model: MoEClassifier, bounds, resolution: int = 60, device="cpu") -> dict[str, np.ndarray]:
    """Each expert's own decision boundary, as if it alone answered for the whole plane.

    Returns ``label`` ``(E, R, R)`` (expert e's predicted class), ``confidence``
    ``(E, R, R)`` (its softmax probability), ``owned`` ``(E, R, R)`` bool (where the
    router sends points to e first: the part of e's map that matters), and for the
    shared experts ``shared_label`` / ``shared_confidence`` ``(S, R, R)`` (S may be 0).
    """
    xs, ys, points = grid(bounds, resolution)
    r = len(xs)
    x = torch.from_numpy(points).to(device)
    with torch.inference_mode():
        probs = torch.softmax(model.experts.all_experts(x), dim=-1)  # (E, M, C)
        top = model.router(x, batch=False).indices[:, 0]
        owned = top[None, :] == torch.arange(model.experts.n_experts, device=top.device)[:, None]
        if model.shared is not None:
            shared = torch.softmax(model.shared.all_experts(x), dim=-1)
        else:
            shared = probs.new_zeros((0, len(points), probs.shape[-1]))
    conf, label = probs.max(-1)
    s_conf, s_label = shared.max(-1)
    n_e, n_s = probs.shape[0], shared.shape[0]
    return {"xs": xs, "ys": ys, "label": label.cpu().numpy().reshape(n_e, r, r),
            "confidence": conf.cpu().numpy().reshape(n_e, r, r), "owned": owned.cpu().numpy().reshape(n_e, r, r),
            "shared_label": s_label.cpu().numpy().reshape(n_s, r, r),
            "shared_confidence": s_conf.cpu().numpy().reshape(n_s, r, r)}
