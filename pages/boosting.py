"""Gradient boosting: Rogozhnikov's 2016 playground, with XGBoost growing the trees, and what it never had.

Dataset thumbnails and settings (every one in the URL) -> a clamped BoostingConfig ->
the ensemble, grown once and cached by its settings -> the views of any stage.
"""

import streamlit as st

from app import layout
from app.boosting import keys as K
from app.boosting.compute import views_for
from app.boosting.extras import challenges_section, compare_section, live_section, modes_section, shap_section
from app.boosting.regression import regression_section
from app.boosting.settings import dataset_picker, settings_section
from app.boosting.views import main_views, stage_and_tree, thumbnails, tree_diagram

TABS = ["Build it tree by tree", "Challenges", "Three leaf updates", "SHAP contributions", "Tree, forest, boosting",
        "Regression in 3-D"]

st.title("🌲 Gradient boosting")
st.caption("An ensemble of small trees built one after another: each new tree is fitted to what the sum of the "
           "trees before it still gets wrong (the residuals y − p, the negative gradient of the loss), and is "
           "added with a small weight, the learning rate. After Alex Rogozhnikov's 2016 playground, with "
           "XGBoost growing every tree.")
with st.container(key=K.FORMULA_BOX):  # the caption in symbols: left out on a phone, for the map's sake
    st.markdown("$F_0 = 0,\\quad F_{k+1}(x) = F_k(x) + \\eta\\, f_k(x),\\quad p(x) = \\sigma(F(x))$ "
                "— with his gradient step, tree $f_k$ is a least-squares fit to the residuals $y - p$ of $F_k$ "
                "on the training points.")
layout.hide_on_phone(K.FORMULA_BOX)

settings, main = layout.phone_first([1, 3.2], picture=1, key=K.LAYOUT)  # on a phone: the map, then settings
with settings:
    dataset_picker()
    config, notes = settings_section()

with main:
    with st.container(key=K.NOTES_BOX):
        for note in notes:
            st.warning(note, icon="✂️")
    views = views_for(config)
    stage, tree = stage_and_tree(views.n_trees)
    show_gradients = bool(st.session_state.get(K.SHOW_GRADIENTS, True))  # on by default, as in the original
    gradients_of = "stage" if st.session_state.get(K.GRADIENTS_OF) == "stage" else "tree"
    show_test = bool(st.session_state.get(K.SHOW_TEST, True))
    main_views(views, stage, tree, show_gradients, gradients_of, show_test)
    thumbnails(views, tree, stage)
    tree_diagram(views, tree)

    tabs = st.tabs(TABS, key=K.VIEW, bind="query-params", on_change="rerun")
    with tabs[0]:
        if tabs[0].open:
            live_section(config)
    with tabs[1]:
        if tabs[1].open:
            challenges_section(config, views)
    with tabs[2]:
        if tabs[2].open:
            modes_section(config)
    with tabs[3]:
        if tabs[3].open:
            shap_section(views, stage)
    with tabs[4]:
        if tabs[4].open:
            compare_section(config, views)
    with tabs[5]:
        if tabs[5].open:
            regression_section()
