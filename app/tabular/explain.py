"""What the model learned: XGBoost's three feature importances and SHAP from ``pred_contribs``
(a beeswarm of every feature, a dependence plot for one, and one row explained)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app.tabular import keys as K
from app.tabular.figures import beeswarm_figure, dependence_figure, importance_figure, row_figure
from engine.tabular.data import Table
from engine.tabular.trainer import TabularTrainer

IMPORTANCE_HELP = {
    "gain": "the average improvement of the loss at the splits on the feature: how much it helped",
    "cover": "the average number of rows (hessian weight) that reach the splits on the feature: how many it "
             "affects",
    "weight": "how many splits use the feature: easily inflated by numeric features with many values",
}
NO_CONFIG = {"displayModeBar": False}


def importance_section(trainer: TabularTrainer) -> None:
    from engine.tabular.trainer import importance

    with st.container(key=K.IMPORTANCE_BOX):
        kind = st.radio("Importance", list(IMPORTANCE_HELP), key=K.IMPORTANCE_KIND, horizontal=True,
                        bind="query-params", help="XGBoost's own importances: " + "; ".join(
                            f"**{k}**: {v}" for k, v in IMPORTANCE_HELP.items()) + ".")
        values = importance(trainer, kind)
        if values.empty:
            st.info("The model has no split yet (every tree is a single leaf): nothing to rank.")
            return
        st.plotly_chart(importance_figure(values, kind), key="tabular_importance_chart", config=NO_CONFIG)
        top = values.sort_values(ascending=False)
        st.caption(f"By {kind} ({IMPORTANCE_HELP[kind]}), **{top.index[0]}** comes first. The three kinds often "
                   "disagree; SHAP below splits every single prediction between the features instead.")


@st.cache_data(show_spinner=False, max_entries=4)
def _shap_cached(_trainer: TabularTrainer, run_key: tuple) -> tuple[np.ndarray, np.ndarray]:
    from engine.tabular.trainer import shap_values

    return shap_values(_trainer, rows="valid")


def _class_slice(contribs: np.ndarray, bias: np.ndarray, table: Table) -> tuple[np.ndarray, np.ndarray, str]:
    """For several classes, one class's contributions and bias per row (the class chosen here); else the only
    ones."""
    if contribs.ndim == 3:
        names = table.class_names or [str(i) for i in range(contribs.shape[1])]
        k = st.selectbox("Class explained", range(len(names)), format_func=lambda i: names[i],
                         key="tabular_shap_class", help="With several classes XGBoost has one margin per class: "
                                                        "the pushes towards this class.")
        return contribs[:, k, :], bias[:, k], names[k]
    return contribs, bias, ""


def shap_section(trainer: TabularTrainer, table: Table) -> None:
    with st.container(key=K.SHAP_BOX):
        run_key = (id(trainer), trainer.rounds_used, len(trainer.history_))
        with st.spinner("SHAP values for every validation row…"):
            contribs, bias = _shap_cached(trainer, run_key)
        contribs, base, klass = _class_slice(np.asarray(contribs), np.asarray(bias), table)
        X = table.X.iloc[trainer.split.valid].reset_index(drop=True)
        towards = f" towards class {klass}" if klass else ""
        st.caption(f"TreeSHAP from XGBoost's `pred_contribs` for the {len(X):,} validation rows: each row's "
                   f"margin (log-odds{towards}) is split exactly into one push per feature plus the base value "
                   f"{float(np.mean(base)):+.3f}.")
        st.plotly_chart(beeswarm_figure(contribs, X), key="tabular_beeswarm", config=NO_CONFIG)
        order = list(X.columns[np.argsort(-np.abs(contribs).mean(axis=0))])
        if st.session_state.get(K.SHAP_FEATURE) not in order:
            st.session_state.pop(K.SHAP_FEATURE, None)
        left, right = st.columns(2)
        with left:
            feature = st.selectbox("Dependence plot of", order, key=K.SHAP_FEATURE, bind="query-params",
                                   help="The feature's value against its push, one dot per validation row. A "
                                        "vertical spread at one value is the work of interactions.")
            st.plotly_chart(dependence_figure(contribs, X, feature), key="tabular_dependence", config=NO_CONFIG)
        with right:
            row = st.number_input("Validation row explained", 0, len(X) - 1, 0, key=K.SHAP_ROW,
                                  bind="query-params", help="Which validation row to take apart (0 is the first).")
            _one_row(trainer, table, contribs, base, X, int(row))


def _one_row(trainer: TabularTrainer, table: Table, contribs: np.ndarray, bias: np.ndarray, X: pd.DataFrame,
             row: int) -> None:
    phi, base = contribs[row], float(bias[row])
    margin = base + float(phi.sum())
    who = "client" if table.target == "y" and table.name.lower().startswith("bank") else "row"
    if table.task == "binary":
        p = 1 / (1 + np.exp(-margin))
        names = table.class_names or ["0", "1"]
        truth = names[int(table.y[trainer.split.valid[row]])]
        head = (f"**Why this {who}?** Base {base:+.3f} + pushes {phi.sum():+.3f} = margin {margin:+.3f}, so "
                f"P({names[1]}) = **{p:.1%}** (the {who}'s answer: {truth}).")
    elif table.task == "regression":
        head = (f"**Why this {who}?** Base {base:+.3f} + pushes {phi.sum():+.3f} = prediction **{margin:.4g}** "
                f"(true value {float(table.y[trainer.split.valid[row]]):.4g}).")
    else:
        head = f"**Why this {who}?** Base {base:+.3f} + pushes {phi.sum():+.3f} = margin {margin:+.3f} for this class."
    st.markdown(head)
    st.plotly_chart(row_figure(phi, X.iloc[row], base), key="tabular_row_chart", config=NO_CONFIG)

