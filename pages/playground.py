"""Decision boundaries: TensorFlow Playground, trained live in Python — and compare mode, own data, export.

Settings (every one in the URL) -> clamped PlaygroundConfig(s) -> one trainer per setup,
rebuilt when a setting changes (the learning rate changes in place, as in the original)
-> the shared live controls (Play / Pause / Step / Reset) -> the views, redrawn live.
"""

import streamlit as st

from app import layout
from app.link_check import link_notes, link_values
from app.live import live_controls, live_run
from app.playground import keys as K
from app.playground.own_data import own_data_section
from app.playground.page import (
    apply_preset_from_link,
    clear_run,
    ensure_trainer,
    export_import_section,
    make_trainer,
    page_style,
    preset_section,
    step_epoch_button,
    thumbnails,
    tips,
    warm_engine,
)
from app.playground.settings import (
    Hider,
    beyond_section,
    build_config,
    classroom_section,
    compare_section,
    data_section,
    display_section,
    hidden_now,
    hide_text_now,
    hyper_row,
    link_box,
    read_link_in_url,
)
from app.playground.views import LIVE_SPEEDS, LIVE_UPDATE_SECONDS, settle_note, show

LINK_LABELS = {K.LEARNING_RATE: "learning rate", K.REG_RATE: "regularization rate", K.REGULARIZATION: "regularization",
               K.BATCH: "batch size", K.TRAIN: "training share", K.B_LEARNING_RATE: "B's learning rate",
               K.B_REG_RATE: "B's regularization rate", K.B_REGULARIZATION: "B's regularization",
               K.B_ACTIVATION: "B's activation", K.B_OPTIMIZER: "B's optimizer", K.B_LOSS: "B's loss"}
# (how a note names a setting the link got wrong; the rest: the key without "playground_")

warm_engine()
link = link_values(K.PREFIX)  # before any control drops a value it cannot show
read_link_in_url()  # first: the original's hideText decides whether the explanations are drawn
apply_preset_from_link()
st.title("🧠 Decision boundaries")
# The page as TensorFlow Playground lays it out: the data column on the left, and beside it the settings bar,
# Play and the live view (network and output side by side), so that at 1440 x 900 data, network and output are
# on the first screen. On a phone the live view with Play comes first and every setting follows (app.layout
# orders the columns, page_style the live view before the settings bar inside the main one).
left, main = layout.phone_first([1, 3.2], picture=1, key=K.LAYOUT)  # projector mode hides the data column
layout.hide_in_projector(K.TOP_BOX, K.SETTINGS_BOX, K.OPTIONS_BOX)  # and the settings: Play and the view stay
with main:
    with st.container(key=K.TOP_BOX):
        preset_col, tips_col, classroom_col = st.columns([1.6, 1, 1], vertical_alignment="top")
        with preset_col:
            preset_section()
        with tips_col:
            if not hide_text_now():
                tips()
        with classroom_col:
            classroom_section()  # first: what it hides is known before the controls are drawn
    hider = Hider(hidden_now(), st.container(key=K.HIDDEN_BOX))
    page_style(hider)
    with st.container(key=K.SETTINGS_BOX):
        hyper = hyper_row(hider)
    options = st.container(key=K.OPTIONS_BOX)
    picture = st.container(key=K.PICTURE_BOX)
with left:
    data = data_section(hider, thumbnails(), hyper["problem"])
    with hider.place("own_data", st.container()):
        own, points, own_problem = own_data_section(hyper["problem"])
    beyond = beyond_section(hider)
    with hider.place("share", st.container()):
        link_box()
config, notes = build_config({**hyper, **data, **beyond})
with options:
    show_col, discretize_col, epoch_col, compare_col = st.columns([1, 1, 0.8, 1.6], vertical_alignment="center")
    display = display_section(hider, show_col, discretize_col)
    with compare_col:
        b_config, b_notes = compare_section(config, hider, box=options)
with picture:
    with st.container(key=K.NOTES_BOX):
        for note in link_notes(K.PREFIX, link, LINK_LABELS) + st.session_state.pop(K.NOTES, []) + notes + b_notes:
            st.warning(note, icon="✂️")
    problems = config.problems() + ([own_problem] if own_problem else [])
    run = live_run(K.PREFIX)
    if problems:
        clear_run(run)
    else:
        ensure_trainer(run, config, b_config, points if own else None)
    with epoch_col:
        step_epoch_button(run, bool(problems))
    live_controls(K.PREFIX, lambda: make_trainer(config, b_config, points if own else None), settle_note,
                  lambda trainer: show(trainer, display, own), disabled_reason=problems[0] if problems else None,
                  speeds=LIVE_SPEEDS, update_seconds=LIVE_UPDATE_SECONDS)
with main:
    if not hide_text_now():
        st.caption("A small neural network learns to separate orange from blue points while you watch — "
                   "TensorFlow Playground's setup, trained live on the server. Change the data, the features, the "
                   "layers or the learning rate and see how the boundary forms (or fails to).")
with left:
    with hider.place("share", st.container()):
        export_import_section(run)
