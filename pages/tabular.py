"""XGBoost on real data: a Kaggle notebook's workflow on Bank Marketing, the digits as pixels, or your CSV.

The data column (dataset, switches, upload) and XGBoost's settings (every one in the URL) ->
a Table, its seeded stratified split and a clamped TabularConfig -> the live run and the tabs
that read its model (explain, export) or make fits of their own (compare, leakage, search, Spark or Dask).
"""

import streamlit as st

from app import layout
from app.link_check import link_notes, link_values
from app.live import live_run, replace_trainer
from app.tabular import keys as K
from app.tabular.data import bank_with_duration, data_picker, describe, summary
from app.tabular.explain import importance_section, shap_section
from app.tabular.lessons import compare_section, digits_section, leakage_section
from app.tabular.settings import settings_section
from app.tabular.tools import cluster_section, export_section, search_section
from app.tabular.train import (
    live_section,
    make_split,
    model_of,
    need_model,
    run_of,
    split_sentence,
    test_section,
    tree_section,
)

TABS = ["Train", "Compare encodings", "Explain", "Leakage", "Search", "Cluster", "Export"]

st.title("📊 XGBoost on real data")
st.caption("A real table, the Kaggle way: split it, boost live with early stopping, look inside the model, search "
           "the settings, score the test rows once, take the model with you.")

link = link_values(K.PREFIX)  # before any control drops a value it cannot show
main, side = layout.phone_first([3.2, 1.1], picture=0, key=K.LAYOUT)  # phone: the curves, then settings
with side:
    choice = data_picker()
    config, config_notes = settings_section()
config_notes = link_notes(K.PREFIX, link) + config_notes

run = run_of()
table = choice.table
split, split_error = None, None
if table is not None:
    try:
        split = make_split(table, choice.dataset, config.seed)
    except ValueError as err:  # TableError included: a table too small to split
        split_error = str(err)
if st.session_state.get("tabular_run_data") != choice.signature:  # other data: the old run's model is moot
    st.session_state["tabular_run_data"] = choice.signature
    for old in (run, live_run(K.SEARCH_PREFIX)):
        if old.trainer is not None:
            replace_trainer(old, None)

with main:
    with st.container(key=K.NOTES_BOX):
        for error in [*choice.errors, *([split_error] if split_error else [])]:
            st.error(error, icon="🚫")
        for note in config_notes:
            st.warning(note, icon="✂️")
    if table is not None:
        with st.container(key=K.SPLIT_BOX):
            st.markdown(summary(table, split))  # one line: the picture stays on a phone's first screen
            with st.expander("The table and its split", key="tabular_about_box"):
                st.markdown(describe(table))
                if split is not None:
                    st.markdown(split_sentence(table, split, choice.dataset))
            for note in table.notes:
                st.caption(f"ℹ️ {note}")
            if choice.unknown_note:
                st.info(choice.unknown_note, icon="❓")
    ready = table is not None and split is not None
    reason = None if ready else "Choose a table the page can use (see the message above) to train."

    tabs = st.tabs(TABS, key=K.VIEW, bind="query-params", on_change="rerun")
    with tabs[0]:
        if tabs[0].open:
            live_section(table, split, config, reason)
            test_section(run)
            model = model_of(run)
            if model is not None:
                with st.expander("One tree: where missing values go", key="tabular_tree_expander"):
                    tree_section(model, table)
            if ready and choice.dataset == "digits":
                digits_section(table, split, model, run.owner)
    if not ready:
        for tab in tabs[1:]:
            with tab:
                if tab.open:
                    st.info("Nothing to show until a usable table is chosen.")
    else:
        with tabs[1]:
            if tabs[1].open:
                compare_section(table, split, config, choice.signature, run.owner)
        with tabs[2]:
            if tabs[2].open:
                model = need_model(run, table, split, config, "Explain")
                if model is not None:
                    importance_section(model)
                    shap_section(model, table)
        with tabs[3]:
            if tabs[3].open:
                leakage_section(bank_with_duration(choice), split, config, choice.signature, run.owner)
        with tabs[4]:
            if tabs[4].open:
                search_section(table, split, config, run.owner)
        with tabs[5]:
            if tabs[5].open:
                cluster_section(table, split, config, model_of(run), run.owner)
        with tabs[6]:
            if tabs[6].open:
                model = model_of(run)
                export_section(model, model.config if model is not None else config, table, split, choice.csv_name,
                               choice.dataset)
                if model is None:
                    need_model(run, table, split, config, "Export")
