"""The settings column and the dataset thumbnails, read into a clamped :class:`BoostingConfig`.

Every control's key is ``boosting_<field>`` and is bound to the URL (``bind="query-params"``),
so a link holds the whole view: dataset, every control, the selected tree and the stage.
Widget defaults are the original playground's and never change, so a default leaves the
URL clean. The dataset (picked from thumbnails, so no widget of its own) is written to
and read from the URL here, validated like the rest.
"""

from __future__ import annotations

import streamlit as st

from app.boosting import keys as K
from app.boosting.pictures import dataset_thumbnail_uri
from app.link_check import link_notes, link_values
from engine.boosting import DATASETS, DEFAULT_DATASET, BoostingConfig
from engine.boosting.data import DESCRIPTIONS, TITLES

DEFAULT = BoostingConfig()
PER_ROW = 2
SHORT = {"embedded circles": "Embedded"}
"""Button labels that must be shorter than the dataset's title to fit."""
"""Dataset thumbnails per row."""
MODE_LABELS = {"gradient": "Gradient step", "newton": "Newton-Raphson", "xgboost": "XGBoost second-order"}
"""What the leaf-update radio shows (and a link holds: a bound radio's URL value is its label)."""
MODE_HELP = {
    "gradient": "His default. Each tree is a least-squares regression tree fitted to the residuals y − p; a "
                "leaf's value is the mean residual of its points, times the learning rate.",
    "newton": "His \"use Newton-Raphson update\" box. The same tree, but each leaf is reset over the whole "
              "training set to Σ(y − p) / (Σ 2p(1 − p) + 0.0001), times the learning rate: his code doubles the "
              "hessian p(1 − p) (its comment: \"this is wrong, but this is better for visualisation\"), so each "
              "leaf is half a true Newton step and the pictures change more gently; the true step is the XGBoost "
              "mode's. Leaves where the model is already sure (p near 0 or 1) take bigger steps.",
    "xgboost": "What XGBoost itself does (binary:logistic for log-loss): gradients *and* hessians choose the "
               "splits too, gain = G²/(H+λ) summed over the children minus the parent's, minus γ; "
               "leaves −G/(H+λ). λ, γ, the minimum child weight and column sampling are XGBoost's own.",
}
LOSS_LABELS = {"logloss": "Log-loss", "exponential": "Exponential", "squared": "Squared error"}
LOSS_HELP = ("What the trees minimise. Log-loss (logistic): the original. Exponential: AdaBoost's loss, "
             "e^(−yF) with y = ±1; it punishes confident mistakes exponentially. Squared error: (F − y)²/2 "
             "with y = ±1, a regression loss used for classification. The loss numbers on the page are always "
             "the log-loss of the predicted probability, so the three can be compared.")


LINK_BEFORE = "boosting_link_before"
"""Session-state slot: the link's values as the run started (dataset_picker -> settings_section)."""


def _dataset_from_link() -> None:
    """Read the link's dataset once per session (validated: an unknown name keeps the default)."""
    key = K.setting("dataset")
    if st.session_state.get(K.STATE_READ):
        return
    st.session_state[K.STATE_READ] = True
    name = st.query_params.get(key)
    st.session_state[key] = name if name in DATASETS else DEFAULT_DATASET


def _write_dataset(name: str) -> None:
    key = K.setting("dataset")
    if name == DEFAULT_DATASET:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != name:
        st.query_params[key] = name


def _pick(name: str) -> None:
    st.session_state[K.setting("dataset")] = name


@st.cache_data(show_spinner=False)
def _thumbnail_buttons_css(palette: str = "red-blue") -> str:
    """Each dataset button wears its dataset's picture: the thumbnail itself is what you click.

    The buttons stay real buttons (named by the dataset, keyboard-focusable, found by AppTest and
    Playwright); only their look changes: the picture above the name, a coloured frame when chosen.
    """
    rules = []
    for i, name in enumerate(DATASETS):
        uri = dataset_thumbnail_uri(name, palette=palette)
        rules.append(f'.st-key-{K.DATASET_BUTTON}{i} button {{background: #f6f6f6 url("{uri}") '
                     "no-repeat center 6px / calc(100% - 12px) auto !important;}")
    rules.append(f'[class*="st-key-{K.DATASET_BUTTON}"] button {{aspect-ratio: 1 / 1.2; display: flex; '
                 "align-items: flex-end; justify-content: center; padding-bottom: 4px; "
                 "border: 2px solid #e6e6e6 !important; border-radius: 8px; color: #31333f !important;}")
    rules.append(f'[class*="st-key-{K.DATASET_BUTTON}"] button:hover {{border-color: #e8553e !important;}}')
    chosen = f'[class*="st-key-{K.DATASET_BUTTON}"] button[data-testid="stBaseButton-primary"]'
    rules.append(chosen + " {border-color: #e8553e !important; box-shadow: 0 0 0 2px #e8553e; font-weight: 600;}")
    return "<style>" + "\n".join(rules) + "</style>"


def dataset_picker() -> str:
    """Six clickable thumbnails (the training points of each dataset); return the chosen dataset."""
    st.session_state[LINK_BEFORE] = link_values(K.PREFIX)  # before the dataset or any control reads the link
    _dataset_from_link()
    chosen = st.session_state.get(K.setting("dataset"), DEFAULT_DATASET)
    if chosen not in DATASETS:
        chosen = DEFAULT_DATASET
        st.session_state[K.setting("dataset")] = chosen
    with st.container(key=K.DATASETS_BOX):
        st.markdown("**Dataset**", help="300 training and 300 test points of two classes. Click a picture to "
                                        "switch.")
        if K.ORIGINAL_COLOURS in st.session_state:
            original = st.session_state[K.ORIGINAL_COLOURS] is True
        else:  # the colours box is drawn further down: on a session's first run, the link says
            original = st.query_params.get(K.ORIGINAL_COLOURS) == "true"
        colours = "orange-blue" if original else "red-blue"
        st.markdown(_thumbnail_buttons_css(colours), unsafe_allow_html=True)
        for row in range(0, len(DATASETS), PER_ROW):
            for col, i in zip(st.columns(PER_ROW, gap="small"), range(row, row + PER_ROW), strict=True):
                name = DATASETS[i]
                with col:
                    st.button(SHORT.get(name, TITLES[name]), key=f"{K.DATASET_BUTTON}{i}", on_click=_pick, args=(name,),
                              type="primary" if name == chosen else "tertiary", width="stretch",
                              help=f"**{TITLES[name]}**: {DESCRIPTIONS[name]}")
        st.caption(DESCRIPTIONS[chosen])
    _write_dataset(chosen)
    return chosen


def _on_n_trees() -> None:
    """More or fewer trees: a stage that showed the whole ensemble keeps showing it; others are clamped."""
    n = st.session_state.get(K.setting("n_trees"), DEFAULT.n_trees)
    last = st.session_state.get(K.LAST_N_TREES, DEFAULT.n_trees)
    stage = st.session_state.get(K.STAGE, last)
    if stage >= last or stage > n:
        st.session_state[K.STAGE] = n
    if st.session_state.get(K.TREE, 0) >= n:
        st.session_state[K.TREE] = n - 1


def settings_section(disabled: bool = False) -> tuple[BoostingConfig, list[str]]:
    """Draw the controls (his, then ours); return the clamped config and notes on any correction."""
    common = dict(bind="query-params", disabled=disabled)
    d = DEFAULT
    v: dict[str, object] = {"dataset": st.session_state.get(K.setting("dataset"), DEFAULT_DATASET)}
    with st.container(key=K.SETTINGS_BOX):
        st.markdown("**The original's controls**")
        v["depth"] = st.slider("Tree depth", 1, 8, d.depth, key=K.setting("depth"), **common,
                               help="Maximum depth of every tree. Depth 1 trees are stumps: one cut each, so the "
                                    "ensemble is a sum of functions of one coordinate (no interactions).")
        v["learning_rate"] = st.slider("Learning rate", 0.05, 1.0, d.learning_rate, 0.05,
                                       key=K.setting("learning_rate"), **common,
                                       help="Shrinkage η: every tree's leaves are multiplied by it. Small steps need "
                                            "more trees but overfit later.")
        v["rotate_deg"] = st.slider("Rotate dataset (degrees)", 0, 90, d.rotate_deg, 10,
                                    key=K.setting("rotate_deg"), **common,
                                    help="Turn the whole dataset about the square's centre. Axis-aligned cuts fit "
                                         "tilted boundaries only with many small steps.")
        subsample = st.slider("Subsample (%)", 10, 100, int(d.subsample * 100), 10, key=K.setting("subsample"),
                              **common, help="Each tree is grown from this share of the training points (a fixed "
                                             "draw per tree). Below 100 % it is stochastic gradient boosting.")
        v["subsample"] = subsample / 100
        v["n_trees"] = st.slider("Number of trees", 50, 200, d.n_trees, 10, key=K.setting("n_trees"), **common,
                                 on_change=_on_n_trees, help="Trees in the ensemble.")
        v["rotate_trees"] = st.checkbox("Rotate trees", d.rotate_trees, key=K.setting("rotate_trees"), **common,
                                        help="Tree k is grown in coordinates turned by k radians about the centre, "
                                             "so its cuts are oblique lines in the original square.")
        shown = st.checkbox("Show gradients", True, key=K.SHOW_GRADIENTS, bind="query-params",
                            help="Draw each training point with a size proportional to |gradient|: how much the "
                                 "next tree is pushed to fix it. On by default, as in the original.")
        if shown:
            st.radio("Sizes: the gradients of", ["tree", "stage"], key=K.GRADIENTS_OF, bind="query-params",
                     horizontal=True, format_func={"tree": "the selected tree", "stage": "the stage shown"}.get,
                     help="The selected tree: the gradients it was grown from (at the stage before it). The stage "
                          "shown: the gradients after k trees, which tree k would be grown from.",
                     persist_state="session")
        v["mode"] = st.radio("Leaf update", list(MODE_LABELS), list(MODE_LABELS).index(d.mode),
                             key=K.setting("mode"), format_func=MODE_LABELS.get, **common,
                             help="His plain gradient step, his Newton-Raphson update, or XGBoost's own "
                                  "second-order trees. " + " ".join(f"**{MODE_LABELS[m]}**: {t}"
                                                                    for m, t in MODE_HELP.items()))
        st.caption(MODE_HELP[v["mode"]])
        st.markdown("**Beyond the original**")
        st.checkbox("Show test points", True, key=K.SHOW_TEST, bind="query-params",
                    help="Rings: the 300 test points, never used for growing trees.")
        st.checkbox("The original's colours (orange and blue)", False, key=K.ORIGINAL_COLOURS, bind="query-params",
                    help="Orange for class 0 and blue for class 1 on grey, as in the original and the other "
                         "playgrounds, instead of blue and red on white.")
        v["loss"] = st.radio("Loss", list(LOSS_LABELS), list(LOSS_LABELS).index(d.loss), key=K.setting("loss"),
                             format_func=LOSS_LABELS.get, horizontal=True, **common, help=LOSS_HELP)
        xgb = v["mode"] == "xgboost"
        off = "" if xgb else " (XGBoost second-order mode only)"
        with st.expander("XGBoost's regularisation", expanded=xgb, key="boosting_xgb_box"):
            if not xgb:
                st.caption("Used by the XGBoost second-order mode: choose it under Leaf update.")
            xcommon = dict(bind="query-params", disabled=disabled or not xgb)
            v["reg_lambda"] = st.slider("λ (L2 on leaf values)", 0.0, 10.0, d.reg_lambda, 0.5,
                                        key=K.setting("reg_lambda"), **xcommon,
                                        help="Leaf = −G/(H+λ): λ pulls every leaf towards 0, most where few points "
                                             "(small H) land." + off)
            v["gamma"] = st.slider("γ (minimum gain to split)", 0.0, 5.0, d.gamma, 0.1, key=K.setting("gamma"),
                                   **xcommon, help="A split must reduce the loss by at least γ, otherwise it is "
                                                   "pruned: fewer, shallower trees." + off)
            v["min_child_weight"] = st.slider("Minimum child weight (Σh)", 0.0, 10.0, d.min_child_weight, 0.5,
                                              key=K.setting("min_child_weight"), **xcommon,
                                              help="A leaf needs at least this much hessian Σp(1−p): where the "
                                                   "model is already sure, points weigh little." + off)
            v["colsample"] = st.select_slider("Column sample per tree", (0.5, 1.0), d.colsample,
                                              key=K.setting("colsample"), **xcommon,
                                              format_func=lambda c: "one of x₁, x₂" if c < 1 else "both",
                                              help="colsample_bytree: with two features, 0.5 gives each tree one "
                                                   "coordinate at random." + off)
        v["seed"] = st.number_input("Seed", 0, 2**31 - 1, d.seed, 1, key=K.setting("seed"), **common,
                                    help="The subsample draws and XGBoost's column sampling come from it.")
    v["learning_rate"] = round(float(v["learning_rate"]), 2)
    v["reg_lambda"], v["gamma"] = round(float(v["reg_lambda"]), 2), round(float(v["gamma"]), 2)
    v["min_child_weight"] = round(float(v["min_child_weight"]), 2)
    st.session_state[K.LAST_N_TREES] = v["n_trees"]
    config, notes = BoostingConfig.clamped(v, base=DEFAULT)
    link = st.session_state.pop(LINK_BEFORE, None)
    return config, (link_notes(K.PREFIX, link) if link else []) + notes
