"""Pointing at the network (issue 14): what a click in the diagram changes, applied before the script runs.

The live view (:mod:`app.playground.board`) answers hovering by itself, in the browser. Two things need the
server: a click on an input's square switches that feature (the same setting as its checkbox, so the link and
the run follow), and the small editor of a link or a neuron sets a weight or a bias of the run in progress
(:meth:`engine.playground.Trainer.set_weight`, ``set_bias``): on this page's copy and, while a worker trains
it, on the worker's (:func:`app.live.forward`), so the run continues from the edited network. A value that is
not a number, not finite or too large is refused with a sentence; nothing raises.
"""

from __future__ import annotations

from html import escape

import streamlit as st

from app.live import forward, live_run
from app.playground import keys as K
from app.playground.settings import D, hidden_now
from engine.playground import FEATURE_LABELS, FEATURES, PairTrainer
from engine.playground.trainer import edit_value

RERUN = "playground_pointing_rerun"
"""Session state: a click in the diagram changed a setting or the network (the fragment then reruns the whole
page: the settings, the link and the export must follow)."""
EDIT_NOTE = "playground_edit_note"
"""Session state: ``((run settings, run generation) it belongs to, "ok" | "error", text)`` of the last edit."""


def _trigger(name: str):
    value = st.session_state.get(K.BOARD)
    value = value.get(name) if hasattr(value, "get") else None
    return value if isinstance(value, dict) else None


def on_feature() -> None:
    """A click on an input's square: switch that feature, as its checkbox would."""
    value = _trigger("feature")
    name = value.get("name") if value else None
    if name not in FEATURES:
        return
    if "features" in hidden_now():  # an instructor fixed the features for this lesson
        _note("error", "The features are fixed in this lesson (classroom mode): the inputs stay as they are.")
        return
    key = K.feature(name)
    st.session_state[key] = not bool(st.session_state.get(key, name in D.features))
    st.session_state[RERUN] = True


def rerun_wanted() -> bool:
    """True once after a click switched a feature or edited the network (the page must be run again, whole)."""
    return bool(st.session_state.pop(RERUN, False))


def _run_id() -> tuple:
    """The page's run as notes know it: its settings and its generation (a Reset starts a new one)."""
    return st.session_state.get(K.RUN_CONFIG), live_run(K.PREFIX).generation


def _note(level: str, text: str) -> None:
    st.session_state[EDIT_NOTE] = (_run_id(), level, text)


def _name(node: str) -> str:
    return FEATURE_LABELS.get(node, f"neuron {node}")


def on_edit() -> None:
    """The editor's Apply: set the weight or bias in the run (here and in its worker), or say why not."""
    value = _trigger("edit")
    if not value:
        return
    run = live_run(K.PREFIX)
    uid, kind = str(value.get("uid", "a")), value.get("kind")
    if kind == "weight":
        what = f"Weight {_name(str(value.get('src')))} → {_name(str(value.get('dst')))}"
    else:
        what = f"Bias of {_name(str(value.get('node')))}"
    trainer = run.trainer
    part = ""
    if isinstance(trainer, PairTrainer):
        part = "b" if uid == "b" else "a"
        trainer = getattr(trainer, part)
    if trainer is None:
        _note("error", f"{what} not changed: there is no network yet (turn on a feature).")
        return
    if trainer.finished:
        _note("error", f"{what} not changed: this run has ended. Press Reset, then edit the new network "
                       "(or press Play to start one).")
        return
    try:
        number = edit_value(value.get("value"), "weight" if kind == "weight" else "bias")
        prefix = f"{part}." if part else ""
        # forward sets this page's copy first: an unknown node raises there, before the worker is asked
        if kind == "weight":
            forward(run, prefix + "set_weight", str(value.get("src")), str(value.get("dst")), number)
        else:
            forward(run, prefix + "set_bias", str(value.get("node")), number)
    except ValueError as err:
        _note("error", f"{what} not changed: {err}")
        return
    _note("ok", f"{what} set to {number:g}; the run continues from the edited network.")
    st.session_state[RERUN] = True


def note_markup() -> str:
    """The last edit's outcome for the live view (only while the run it changed is the page's run)."""
    note = st.session_state.get(EDIT_NOTE)
    if not note or note[0] != _run_id():
        return ""
    _, level, text = note
    colour = "#1e7e34" if level == "ok" else "#c0392b"
    return f'<span style="color:{colour}" data-edit-note="{level}">{escape(text)}</span>'
