"""The page's tabs beyond the main views: live build-up, challenges, modes side by side, SHAP, compare."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from app.boosting import keys as K
from app.boosting.compute import compare_maps, views_for
from app.boosting.figures import contribution_figure
from app.boosting.pictures import map_picture
from app.boosting.settings import MODE_LABELS
from app.boosting.views import palette
from app.live import live_controls
from engine.boosting import CHALLENGES, BoostingConfig, BoostingTrainer, EnsembleViews, check_challenge

LIVE_SPEEDS = {"slow": 0.005, "normal": 0.03, "fast": 0.12}
"""Seconds of growing per screen update: slow adds about one tree per update."""


# ---------------------------------------------------------------- live build-up
def _settle(trainer: BoostingTrainer):
    level = "error" if trainer.status_ == "diverged" else "success" if trainer.status_ == "done" else "info"
    last = trainer.history_[-1] if trainer.history_ else None
    extra = f" Test loss {last.test_loss:.4f}." if last else ""
    return level, trainer.message_ + extra


def _show_live(trainer: BoostingTrainer | None, config: BoostingConfig) -> None:
    with st.container(key=K.LIVE_BOX):
        if trainer is None:
            st.info("Press **Play** to grow this ensemble one tree at a time (Step adds one update's worth). "
                    "The map shows the sum so far; the small map the newest tree.", icon="▶️")
            return
        views = trainer.views()
        k = views.n_trees
        st.progress(trainer.progress, text=f"{k} of {trainer.config.n_trees} trees · {trainer.status_}")
        if trainer.config != config:
            st.caption("This run uses the settings it started with; press Reset to grow one with the current ones.")
        left, right = st.columns([2, 1])
        p = views.probability_map(k)
        left.image(map_picture(2 * p - 1, views.bounds, 360, views.x_train, views.y_train, palette=palette()),
                   width=360,
                   caption=f"Ensemble after {k} trees")
        if k:
            values = views.tree_map(k - 1)
            scale = float(np.max(np.abs(values))) or 1.0
            right.image(map_picture(values / scale, views.bounds, 180, palette=palette()), width=180,
                        caption=f"Newest: tree {k - 1}")
        right.metric("Train loss", f"{views.train_loss[k]:.4f}")
        right.metric("Test loss", f"{views.test_loss[k]:.4f}")


def live_section(config: BoostingConfig) -> None:
    st.caption("Boosting is sequential: tree k is grown on the residuals the first k trees leave. Watch the "
               "ensemble being built: early trees draw the coarse shape, later ones fix the points still wrong.")
    live_controls(K.PREFIX, lambda: BoostingTrainer(config), _settle, lambda t: _show_live(t, config),
                  speeds=LIVE_SPEEDS)


# ---------------------------------------------------------------- challenges
def _load(settings: dict) -> None:
    """Set a challenge's dataset and constraint (a callback: it runs before the widgets exist)."""
    for field, value in settings.items():
        st.session_state[K.setting(field)] = value
    if "n_trees" in settings:
        st.session_state[K.STAGE] = settings["n_trees"]


def challenges_section(config: BoostingConfig, views: EnsembleViews) -> None:
    solved: set = st.session_state.setdefault(K.SOLVED, set())
    with st.container(key=K.CHALLENGES_BOX):
        st.caption("Rogozhnikov's challenges, checked automatically on the ensemble you are looking at (its test "
                   "loss after all its trees). **Load** sets the dataset and the constraint; the rest is yours.")
        for i, c in enumerate(CHALLENGES):
            verdict = check_challenge(c, config, views.test_loss, views.train_loss, views.diverged)
            if verdict.solved:
                solved.add(c.key)
            mark = "✅" if verdict.solved else ("☑️" if c.key in solved else "⬜")
            with st.container(border=True, key=f"boosting_challenge_{c.key}"):
                head, button = st.columns([5, 1], vertical_alignment="center")
                head.markdown(f"{mark} **{i + 1}. {c.title}** — {c.task}")
                start = dict(c.start)
                if c.dataset:
                    start["dataset"] = c.dataset
                button.button("Load", key=f"{K.CHALLENGE_LOAD}_{c.key}", on_click=_load, args=(start,),
                              help="Set " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in start.items()))
                if verdict.solved:
                    st.success(f"Solved! {verdict.reason}")
                    st.markdown(f"*Why:* {c.explanation}")
                else:
                    st.caption(("Solved earlier this session. " if c.key in solved else "") + verdict.reason)


# ---------------------------------------------------------------- modes side by side
def modes_section(config: BoostingConfig) -> None:
    with st.container(key=K.MODES_BOX):
        st.caption("The same data and settings with each way of setting the leaves, after all trees. The gradient "
                   "step moves every leaf by the mean residual, however sure the model already is; his Newton step "
                   "divides by 2p(1 − p) (half a true Newton step, as in his code), so it moves far where the model "
                   "is confident and wrong; XGBoost's "
                   "second-order trees also choose the splits with the hessians and regularise with λ, γ.")
        cols = st.columns(3)
        for col, mode in zip(cols, MODE_LABELS, strict=True):
            v = views_for(replace(config, mode=mode), label=f"Growing the {mode} ensemble")
            p = v.probability_map(v.n_trees)
            with col:
                st.image(map_picture(2 * p - 1, v.bounds, 240, v.x_train, v.y_train, palette=palette()),
                         width="stretch")
                st.markdown(f"**{MODE_LABELS[mode]}**" + (" (current)" if mode == config.mode else ""))
                st.metric("Test loss", f"{v.test_loss[-1]:.4f}", border=True,
                          help=f"Train loss {v.train_loss[-1]:.4f}; lowest test loss {v.test_loss.min():.4f} after "
                               f"{int(np.argmin(v.test_loss))} trees.")
                st.caption(f"Train loss {v.train_loss[-1]:.4f} · test accuracy {v.test_accuracy[-1]:.1%}")


# ---------------------------------------------------------------- SHAP
def shap_section(views: EnsembleViews, k: int) -> None:
    with st.container(key=K.SHAP_BOX):
        if views.config.rotate_trees:
            st.info("SHAP values are shared out between the model's input features, but with Rotate trees every "
                    "tree has its own turned axes (u₁, u₂ at k radians), so there is no common x₁ and x₂ to "
                    "credit. Untick Rotate trees to see them.")
            return
        if k == 0:
            st.info("After 0 trees the margin is 0 everywhere: nothing to explain. Move the stage scrubber.")
            return
        grid = _grid(views)
        contrib = views.model.contributions(grid, k)
        r = views.resolution
        phi1, phi2 = contrib[:, 0].reshape(r, r), contrib[:, 1].reshape(r, r)
        scale = float(max(np.abs(phi1).max(), np.abs(phi2).max())) or 1.0
        st.caption(f"XGBoost's `pred_contribs` (TreeSHAP) for the margin after {k} trees: at every point, how much "
                   "x₁ and x₂ each push F up (red, towards class 1) or down (blue), on one shared scale. The two "
                   f"pushes plus the base value ({contrib[0, 2]:+.3f}) add up to F exactly.")
        a, b = st.columns(2)
        a.plotly_chart(contribution_figure(phi1, views.bounds, "x₁'s push on F", scale), key="boosting_shap_x1",
                       config={"displayModeBar": False})
        b.plotly_chart(contribution_figure(phi2, views.bounds, "x₂'s push on F", scale), key="boosting_shap_x2",
                       config={"displayModeBar": False})
        share = np.abs(phi1).mean() / max(np.abs(phi1).mean() + np.abs(phi2).mean(), 1e-12)
        st.markdown(f"On average over the square, **x₁ carries {share:.0%}** of the push and **x₂ "
                    f"{1 - share:.0%}**. On stripes, x₂ does everything; on XOR each coordinate's push flips "
                    "sign with the other coordinate: an interaction.")


def _grid(views: EnsembleViews) -> np.ndarray:
    from engine.boosting.trainer import grid_points

    return grid_points(views.bounds, views.resolution)


# ---------------------------------------------------------------- compare strip
def compare_section(config: BoostingConfig, views: EnsembleViews) -> None:
    with st.container(key=K.COMPARE_BOX):
        st.caption("The same 300 training points, three kinds of model (scikit-learn for the first two). One deep "
                   "tree memorises: every training point right, boxes of certainty around each. A random forest "
                   "averages deep trees grown on bootstrap samples, in parallel. Boosting adds shallow trees in "
                   "sequence, each fixing what the sum so far gets wrong.")
        with st.spinner("Fitting the tree and the forest…"):
            others = compare_maps(config.dataset, config.rotate_deg, views.resolution, config.n_trees, config.seed)
        cols = st.columns(3)
        items = [(name, *values) for name, values in others.items()]
        p = views.probability_map(views.n_trees)
        items.append((f"Boosted ({views.n_trees} trees of depth {config.depth})", p,
                      float(views.train_loss[-1]), float(views.test_loss[-1]), float(views.test_accuracy[-1])))
        for col, (name, prob, train, test, acc) in zip(cols, items, strict=True):
            with col:
                st.image(map_picture(2 * prob - 1, views.bounds, 240, views.x_train, views.y_train,
                                     palette=palette()), width="stretch")
                st.markdown(f"**{name}**")
                st.metric("Test loss", f"{test:.4f}", border=True)
                st.caption(f"Train loss {train:.4f} · test accuracy {acc:.1%}")
