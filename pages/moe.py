"""Mixture of experts: train a small MoE live and watch the router decide.

Settings (left, every one in the URL) -> a clamped MoEConfig -> the shared live
controls (Play / Pause / Step / Reset) -> the run's views, redrawn on every update.
"""

import streamlit as st

from app.layout import phone_first
from app.live import live_controls, live_run
from app.moe import keys as K
from app.moe.settings import changed_from_preset, option_reference, settings_section
from app.moe.views import LIVE_SPEEDS, PHONE_CSS, SLOW_VIEW_SECONDS, settle_note, show_live, show_slower
from engine.moe import MoETrainer

st.title("🔀 Mixture of experts")
st.html(PHONE_CSS)  # on a phone: the routing map right under Play (app.moe.views.PHONE_CSS)
st.container(key=K.INTRO).caption(
    "A router sends each input to a few small experts: the model's capacity (all its parameters) grows with "
    "the number of experts while the work per input (the active parameters) stays the same. Watch which "
    "expert takes which region, and whether a few experts end up with everything.")

run = live_run(K.PREFIX)
settings, main = phone_first([1, 3], picture=1, key=K.LAYOUT)  # on a phone the map and Play come first
with settings:
    config, notes = settings_section(disabled=run.in_progress)
    if run.in_progress:
        st.caption("These settings belong to the run in progress: press Reset (or choose a preset) to change them.")
    option_reference()

with main:
    with st.container(key=K.NOTES_BOX):
        changed = changed_from_preset(config)
        if changed:
            st.caption("Changed from the preset: " + ", ".join(c.replace("_", " ") for c in changed) + ".")
        for note in notes:
            st.warning(note, icon="✂️")
        for warning in config.warnings():
            st.warning(warning, icon="⚠️")

    preview = None
    if run.trainer is None and config.is_2d:  # the untrained model, so the maps show the router's start
        cached = st.session_state.get(K.PREVIEW)
        if cached is None or cached[0] != config:
            cached = (config, MoETrainer(config))
            st.session_state[K.PREVIEW] = cached
        preview = cached[1]

    live_controls(K.PREFIX, lambda: MoETrainer(config), settle_note,
                  lambda trainer: show_live(trainer, config, preview), speeds=LIVE_SPEEDS)

    @st.fragment(run_every=SLOW_VIEW_SECONDS if run.playing else None)
    def slower_views() -> None:
        """Redrawn about once a second while playing (and on every full rerun): see app.moe.views."""
        current = live_run(K.PREFIX)
        show_slower(current.trainer or preview, config)

    slower_views()
