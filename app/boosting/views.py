"""What the boosting page shows of one ensemble: every view reads the cached :class:`EnsembleViews`.

Moving the stage scrubber or selecting a tree only indexes arrays computed when
the ensemble was grown (no refit, no prediction): see :mod:`app.boosting.compute`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.boosting import keys as K
from app.boosting.figures import COLOUR_WORDS, curve_figure, map_figure
from app.boosting.hover import tree_hover
from app.boosting.pictures import cached_inline
from app.boosting.svg import tree_svg
from engine.boosting import EnsembleViews

THUMBS = 30
THUMBS_PER_ROW = 10


def palette() -> str:
    """The page's colours: the original's orange and blue when that box is ticked, else blue and red."""
    return "orange-blue" if st.session_state.get(K.ORIGINAL_COLOURS) is True else "red-blue"


def _clamp_state(key: str, low: int, high: int, default: int) -> None:
    value = st.session_state.get(key)
    if not isinstance(value, int | np.integer) or isinstance(value, bool):
        if key not in st.query_params:
            st.session_state[key] = default
        return
    if not low <= value <= high:
        st.session_state[key] = min(max(int(value), low), high)


def stage_and_tree(n_trees: int) -> tuple[int, int]:
    """The stage scrubber (trees summed, 0..n) and the selected tree (0..n−1), both in the URL."""
    _clamp_state(K.STAGE, 0, n_trees, n_trees)
    _clamp_state(K.TREE, 0, n_trees - 1, 0)
    left, right = st.columns(2)
    stage = left.slider("Trees summed (stage)", 0, n_trees, key=K.STAGE, bind="query-params",
                        help="Show the ensemble after its first k trees: F_k = η f₀ + … + η f_(k−1). Every stage is "
                             "already computed, so scrubbing costs no refit.")
    tree = right.slider("Selected tree", 0, max(n_trees - 1, 1), key=K.TREE, bind="query-params",
                        disabled=n_trees < 2,
                        help="The tree drawn as a diagram below; with Show gradients, point sizes are the "
                             "gradients it was grown from.")
    return int(min(stage, n_trees)), int(min(tree, n_trees - 1))


def _sum_here(k: int) -> None:
    st.session_state[K.STAGE] = k + 1
    st.session_state[K.TREE] = k


def metrics(views: EnsembleViews, k: int) -> None:
    with st.container(key=K.METRICS_BOX):
        top, bottom = st.columns(2), st.columns(2)
        cols = [None, top[0], top[1], bottom[0], bottom[1]]
        cols[1].metric("Train loss", f"{views.train_loss[k]:.4f}", border=True,
                       help="Mean log-loss of the predicted probability on the 300 training points after k trees.")
        cols[2].metric("Test loss", f"{views.test_loss[k]:.4f}", border=True,
                       help="The same on the 300 test points, which no tree ever saw.")
        cols[3].metric("Test accuracy", f"{views.test_accuracy[k]:.1%}", border=True)
        best = int(np.argmin(views.test_loss))
        cols[4].metric("Lowest test loss", f"{views.test_loss[best]:.4f}", border=True,
                       help=f"Reached after {best} trees.")
        if views.config.loss != "logloss":
            st.caption(f"Trained on {views.config.loss} loss: its own value after {k} trees is "
                       f"{views.train_objective[k]:.4f} (train) and {views.test_objective[k]:.4f} (test).")
        if views.diverged:
            st.error(f"The ensemble diverged after {views.n_trees} tree{'s' if views.n_trees != 1 else ''} (its margin "
                     "became huge or NaN): the Newton step divided by tiny hessians. Lower the learning rate or the "
                     "depth.")


def main_views(views: EnsembleViews, k: int, tree: int, show_gradients: bool, gradients_of: str,
               show_test: bool) -> None:
    """The prediction map with its points, and the loss curves beside it."""
    gradients, unused = None, ""
    if show_gradients:
        gradients = views.model.gradients(tree if gradients_of == "tree" else k)
        rows = views.model.trees_[tree].rows
        if gradients_of == "tree" and len(rows) < len(gradients):
            outside = np.ones(len(gradients), dtype=bool)
            outside[rows] = False
            gradients = np.where(outside, 0.0, gradients)  # not in the tree's subsample: not used, drawn small
            unused = (f" Tree {tree} was grown from {len(rows)} of the {len(outside)} points (its subsample); the "
                      "others are drawn smallest, since their gradients were not used.")
    left, right = st.columns([1.15, 1])
    with left, st.container(key=K.MAP_BOX):
        colours = palette()
        st.plotly_chart(map_figure(views, k, gradients, show_test, palette=colours), key="boosting_map_chart",
                        config={"displayModeBar": False})
        zero, one, middle = COLOUR_WORDS[colours]
        what = (f"the gradients tree {tree} was grown from" if gradients_of == "tree"
                else f"the gradients after {k} trees (what tree {k} would fix next)")
        st.caption(f"Colour: 2σ(F) − 1, {one} for class 1, {zero} for class 0, {middle} where unsure. Filled dots: "
                   "training points; rings: test points. The dotted square is the unit square (a rotated dataset "
                   "leaves it)." + (f" Dot size ∝ |gradient|: {what}. Big dots are the points the ensemble "
                                    "still gets wrong." + unused if show_gradients else ""))
    with right:
        metrics(views, k)
        with st.container(key=K.CURVES_BOX):
            st.plotly_chart(curve_figure(views, k), key="boosting_curve_chart", config={"displayModeBar": False})
            st.caption("The learning curve: log-loss after each number of trees on the training points (grey) and "
                       "the test points (red); the dotted line is the stage shown. Training loss only falls; test "
                       "loss falls, then flattens or rises once the trees start fitting the training points' "
                       "accidents.")


def tree_thumbnail(views: EnsembleViews, tree: int) -> None:
    values = views.tree_map(tree)
    a, b = st.columns([1, 4], vertical_alignment="center")
    a.markdown(cached_inline(K.PICTURES, (views.config, palette()), ("tree", tree, "alone"),
                             lambda: _tree_picture(views, tree, palette=palette()),
                             alt=f"tree {tree} alone", width="150px"), unsafe_allow_html=True)
    angle = views.model.trees_[tree].angle
    b.markdown(f"**Tree {tree} on its own**: what it adds to F, between {values.min():+.3f} and "
               f"{values.max():+.3f}" + (f". Grown in coordinates turned by {tree} rad (mod 2π: "
                                          f"{np.degrees(angle % (2 * np.pi)):.0f}°): its cuts are oblique."
                                          if angle else "."))


def _tree_picture(views: EnsembleViews, k: int, side: int = 0, palette: str = "red-blue") -> np.ndarray:
    """Tree ``k``'s own output, on its own colour scale (its largest |value| is full colour), one pixel a
    grid cell by default (the browser scales it up, pixelated)."""
    values = views.tree_map(k)
    scale = float(np.max(np.abs(values))) or 1.0
    from app.boosting.pictures import map_picture

    return map_picture(values / scale, views.bounds, side=side, palette=palette)


def thumbnails(views: EnsembleViews, selected: int, stage: int) -> None:
    """The first 30 trees' decision functions, each with a 'sum up to here' button."""
    n = min(THUMBS, views.n_trees)
    colours = palette()
    with st.container(key=K.THUMBS_BOX):
        st.markdown(f"**Decision functions of the first {n} trees**: each tree alone (its own colour scale); "
                    "press Σ to show the ensemble summed up to that tree and select it.")
        tree_hover(views, colours, n)
        for start in range(0, n, THUMBS_PER_ROW):
            cols = st.columns(THUMBS_PER_ROW)
            for j, col in enumerate(cols):
                k = start + j
                if k >= n:
                    break
                with col:
                    st.markdown(cached_inline(K.PICTURES, (views.config, colours), ("tree", k),
                                              lambda k=k: _tree_picture(views, k, palette=colours),
                                              alt=f"tree {k} alone"),
                                unsafe_allow_html=True)
                    current = k == selected and stage == k + 1
                    st.button(f"Σ {k}", key=f"{K.THUMB_BUTTON}{k}", on_click=_sum_here, args=(k,),
                              type="primary" if current else "secondary", width="stretch",
                              help=f"Sum up to here: show the ensemble after trees 0–{k} ({k + 1} trees) and select "
                                   f"tree {k}.")


def tree_diagram(views: EnsembleViews, tree: int) -> None:
    nodes = views.model.tree_nodes(tree)
    leaves = [n for n in nodes if n["kind"] == "leaf"]
    with st.container(key=K.TREE_BOX):
        st.markdown(f"**Tree {tree} as XGBoost stores it** ({len(leaves)} leaves, depth "
                    f"{max(n['depth'] for n in nodes)}): a point goes left (yes) when its coordinate is below "
                    "the threshold.")
        tree_thumbnail(views, tree)
        st.markdown(tree_svg(nodes, palette()), unsafe_allow_html=True)
        mode = views.config.mode
        meaning = {
            "gradient": "cover = number of training points in the node (every hessian is 1); a leaf's value is "
                        "η × the mean residual y − p of its points; gain = the drop in the residuals' squared "
                        "error.",
            "newton": "the structure was grown like the gradient step; the refresh updater then reset each leaf "
                      "to η Σ(y − p) / (Σ 2p(1 − p) + 0.0001) over the whole training set, as his code does (twice "
                      "the true hessian: half a Newton step), and cover to Σ 2p(1 − p).",
            "xgboost": "cover = Σh, the hessians of the node's points (for log-loss Σ p(1 − p): confident points "
                       "weigh little); leaf = −η G/(H + λ); gain = the loss reduction of the split.",
        }[mode]
        zero, one, _ = COLOUR_WORDS[palette()]
        st.caption(f"Read from `Booster.get_dump(dump_format='json', with_stats=True)`: {meaning} Leaves are "
                   f"coloured by value: {one} pushes towards class 1, {zero} towards class 0.")
        table = st.expander("The same tree as a table", key=K.TREE_TABLE_BOX, on_change="rerun")
        if table.open:  # built only when opened
            with table:
                st.dataframe(views.model.tree_table(tree), hide_index=True)
