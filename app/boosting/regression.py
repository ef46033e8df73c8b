"""The regression companion tab: boosting on a 2-D surface, stepped through tree by tree in 3-D."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.boosting import keys as K
from app.figures import FigureSpec, typed
from engine.boosting.regression import DEPTHS, GRID, NOISE, RegressionRun, fit_regression

SCENE = dict(xaxis=dict(title=dict(text="x₁"), range=[0, 1]), yaxis=dict(title=dict(text="x₂"), range=[0, 1]),
             zaxis=dict(title=dict(text="z")), aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6),
             camera=dict(eye=dict(x=1.25, y=-1.25, z=0.75)))


@st.cache_data(show_spinner=False, max_entries=32)
def _run(depth: int, rate: float, trees: int) -> RegressionRun:
    return fit_regression(depth, rate, trees)


def _surface(values: np.ndarray, name: str, colorscale, opacity: float = 1.0, centred: bool = False) -> dict:
    axis = (np.arange(GRID) + 0.5) / GRID
    extra = {"cmid": 0.0} if centred else {}
    return dict(type="surface", **extra, x=typed(axis), y=typed(axis), z=typed(values.reshape(GRID, GRID)), name=name,
                colorscale=colorscale, opacity=opacity, showscale=False,
                hovertemplate=f"{name}<br>x₁ %{{x:.2f}}, x₂ %{{y:.2f}}: %{{z:.3f}}<extra></extra>")


def _points(x: np.ndarray, z: np.ndarray, name: str, color) -> dict:
    return dict(type="scatter3d", mode="markers", x=typed(x[:, 0]), y=typed(x[:, 1]), z=typed(z), name=name,
                marker=dict(size=2.5, color=color), hovertemplate=f"{name} %{{z:.3f}}<extra></extra>")


def _figure(data: list[dict], title: str, z_range) -> FigureSpec:
    scene = {**SCENE, "zaxis": {**SCENE["zaxis"], "range": list(z_range)}}
    return FigureSpec(data, dict(height=420, margin=dict(l=0, r=0, t=30, b=0), scene=scene,
                                 title=dict(text=title, font=dict(size=13)), showlegend=False,
                                 uirevision="boosting_regression"))


def _move(delta: int, high: int) -> None:
    st.session_state[K.REG_STAGE] = min(max(int(st.session_state.get(K.REG_STAGE, 0)) + delta, 0), high)


def regression_section() -> None:
    with st.container(key=K.REGRESSION_BOX):
        st.caption("Boosting is not only for classes. Here the trees fit a surface z(x₁, x₂) from 200 noisy "
                   f"samples (noise σ = {NOISE}) with squared error: each tree is a least-squares fit to the "
                   "residuals z − F, the ensemble's mistakes so far. Step through it: the left picture is the "
                   "ensemble so far against the true surface, the right one what the next tree is asked to fit.")
        a, b, c = st.columns(3)
        depth = a.slider("Depth", DEPTHS[0], DEPTHS[1], 2, key=K.REG_DEPTH, bind="query-params",
                         help="0: every tree is one leaf (the mean residual), so the ensemble can only move up and "
                              "down. 1: stumps, one cut each.")
        rate = b.slider("Learning rate", 0.1, 1.0, 0.5, 0.1, key=K.REG_RATE, bind="query-params",
                        help="Each tree is added times this.")
        trees = c.slider("Trees", 1, 100, 20, key=K.REG_TREES, bind="query-params")
        rate = round(float(rate), 2)
        run = _run(int(depth), rate, int(trees))
        stage_value = st.session_state.get(K.REG_STAGE)
        if isinstance(stage_value, int) and stage_value > trees:
            st.session_state[K.REG_STAGE] = trees
        back, scrub, forward = st.columns([1, 6, 1], vertical_alignment="bottom")
        back.button("◀", key=K.REG_BACK, on_click=_move, args=(-1, trees), help="One tree back.", width="stretch")
        forward.button("▶", key=K.REG_NEXT, on_click=_move, args=(1, trees), help="Add the next tree.",
                       width="stretch")
        k = int(scrub.slider("Trees added so far", 0, trees, key=K.REG_STAGE, bind="query-params",
                             help="Stage k: the ensemble F_k of the first k trees."))
        k = min(k, run.n_trees)
        z_all = np.concatenate([run.z, run.grid_target])
        z_range = (float(z_all.min()) - 0.1, float(z_all.max()) + 0.1)
        left, right = st.columns(2)
        left_data = [_surface(run.grid_target, "true surface", "Greys", 0.35),
                     _surface(run.grid_pred[k], f"F after {k} trees", "Viridis", 0.9),
                     _points(run.x, run.z, "sample z", "#e8553e")]
        left.plotly_chart(_figure(left_data, f"Ensemble after {k} trees vs the true surface", z_range),
                          key="boosting_reg_left", config={"displayModeBar": False})
        residual = run.residuals(k)
        if k < run.n_trees:
            right_data = [_points(run.x, residual, "residual z − F", "#1f77b4"),
                          _surface(run.tree_grid[k], f"tree {k}'s fit", "RdBu_r", 0.85, centred=True)]
            title = f"Residuals z − F_{k} and tree {k} fitted to them"
        else:
            right_data = [_points(run.x, residual, "residual z − F", "#1f77b4")]
            title = f"Residuals after all {k} trees"
        r = float(np.max(np.abs(residual))) + 0.05
        right.plotly_chart(_figure(right_data, title, (-r, r)), key="boosting_reg_right",
                           config={"displayModeBar": False})
        cols = st.columns(3)
        cols[0].metric("Training MSE", f"{run.train_mse[k]:.4f}", border=True,
                       help=f"Mean squared error on the samples after {k} trees. The noise alone is σ² = "
                            f"{NOISE ** 2:.2f}: going far below it means the trees fit the noise.")
        true_mse = float(np.mean((run.grid_pred[k] - run.grid_target) ** 2))
        cols[1].metric("Error to the true surface", f"{true_mse:.4f}", border=True,
                       help="Mean squared difference between F_k and the noiseless surface over the square.")
        cols[2].metric("Largest residual", f"{float(np.max(np.abs(residual))):.3f}", border=True)
        st.caption("Read the right picture: the blue dots are the residuals, the coloured surface the tree that "
                   "fits them (before the learning rate shrinks it). Each step the dots flatten towards 0; deep "
                   "trees flatten them faster, until they chase the noise — the training MSE drops under σ² while "
                   "the error to the true surface stops improving.")
