"""XGBoost's settings for the table, read into a clamped :class:`TabularConfig` (every control in the URL).

Widget defaults are the engine's defaults and never change, so a default leaves the URL clean
and a link holds exactly what its sender changed. Values from a link are clamped by the widgets
(``bind="query-params"``) and again by ``TabularConfig.clamped``.
"""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from app.tabular import keys as K
from engine.tabular.trainer import TabularConfig

DEFAULT = TabularConfig()
RATES = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
PENALTIES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
"""λ, α and the minimum child weight on a log scale, as the search samples them (0 switches a penalty off)."""
CATEGORICAL_LABELS = {"native": "Native", "onehot": "One-hot"}
"""What the radio shows for each encoding (and what a link holds: a bound radio's URL value is its label)."""


def _clamped(values: dict) -> tuple[TabularConfig, list[str]]:
    if hasattr(TabularConfig, "clamped"):
        result = TabularConfig.clamped(values, base=DEFAULT)
        if isinstance(result, tuple):
            return result
        return result, []
    known = {f.name for f in fields(TabularConfig)}
    return TabularConfig(**{k: v for k, v in values.items() if k in known}), []


def settings_section(disabled: bool = False) -> tuple[TabularConfig, list[str]]:
    """Draw XGBoost's controls; return the clamped config and a note for every correction."""
    d = DEFAULT
    common = dict(bind="query-params", disabled=disabled)
    v: dict[str, object] = {}
    with st.container(key=K.SETTINGS_BOX):
        st.markdown("**XGBoost's settings**", help="The defaults are XGBoost's own (depth 6, learning rate 0.1 "
                                                  "with up to 500 rounds and early stopping after 20 rounds "
                                                  "without improvement on the validation split).")
        v["max_depth"] = st.slider("Tree depth (max_depth)", 1, 12, d.max_depth, key=K.setting("max_depth"),
                                   **common, help="Deeper trees capture interactions between more features, and "
                                                  "overfit sooner.")
        rate = d.learning_rate if d.learning_rate in RATES else 0.1
        v["learning_rate"] = st.select_slider("Learning rate (eta)", RATES, rate, key=K.setting("learning_rate"),
                                              **common, help="Every tree's leaves are multiplied by it. Smaller: "
                                                             "more rounds to the best validation score, usually a "
                                                             "slightly better one.")
        v["n_rounds"] = st.slider("Most rounds", 10, 2000, d.n_rounds, 10, key=K.setting("n_rounds"), **common,
                                  help="Boosting rounds (trees per class) at most; early stopping usually ends "
                                       "sooner.")
        v["early_stopping"] = st.slider("Early-stopping patience", 0, 100, d.early_stopping,
                                        key=K.setting("early_stopping"), **common,
                                        help="Stop when the validation metric has not improved for this many "
                                             "rounds, and keep the best round's model. 0: train every round.")
        encoding = st.radio("Categorical columns", list(CATEGORICAL_LABELS.values()),
                            list(CATEGORICAL_LABELS).index(d.categorical), key=K.setting("categorical"),
                            horizontal=True, **common,
                            help="Native: XGBoost splits a categorical column into two groups of categories "
                                 "(enable_categorical). One-hot: one 0/1 column per category, the classic "
                                 "encoding. The Compare tab fits both.")
        v["categorical"] = next((k for k, label in CATEGORICAL_LABELS.items() if label == encoding), d.categorical)
        with st.expander("Sampling and regularisation", key="tabular_more_settings"):
            v["subsample"] = st.slider("Row subsample", 0.3, 1.0, d.subsample, 0.05, key=K.setting("subsample"),
                                       **common, help="Each tree sees this share of the training rows.")
            v["colsample_bytree"] = st.slider("Column subsample per tree", 0.3, 1.0, d.colsample_bytree, 0.05,
                                              key=K.setting("colsample_bytree"), **common,
                                              help="Each tree may split on this share of the features.")
            v["reg_lambda"] = st.select_slider("λ (L2 on leaf values)", PENALTIES, d.reg_lambda,
                                               key=K.setting("reg_lambda"), **common,
                                               help="Leaf = −G/(H+λ): pulls leaves with few rows towards 0.")
            v["reg_alpha"] = st.select_slider("α (L1 on leaf values)", PENALTIES, d.reg_alpha,
                                              key=K.setting("reg_alpha"), **common,
                                              help="Sets small leaves to exactly 0.")
            v["min_child_weight"] = st.select_slider("Minimum child weight", PENALTIES, d.min_child_weight,
                                                     key=K.setting("min_child_weight"), **common,
                                                     help="A leaf needs at least this much hessian (for log-loss "
                                                          "Σp(1−p)): fewer, safer splits.")
        v["seed"] = st.number_input("Seed", 0, 2**31 - 1, d.seed, 1, key=K.setting("seed"), **common,
                                    help="The train/validation/test split and XGBoost's sampling come from it.")
    for name in ("learning_rate", "subsample", "colsample_bytree", "reg_lambda", "reg_alpha", "min_child_weight"):
        v[name] = round(float(v[name]), 3)
    return _clamped(v)
