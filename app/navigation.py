"""The app's pages, in menu order, and the sidebar facts every page shares."""

from __future__ import annotations

import streamlit as st

from app.resources import training_slots


def pages() -> list:
    """Only playgrounds that exist are listed; each has a stable URL path for deep links."""
    return [
        st.Page("app_pages/home.py", title="Home", icon="🧪", default=True),
        st.Page("app_pages/digits.py", title="Draw a digit", icon="✏️", url_path="draw-digit"),
        st.Page("app_pages/playground.py", title="Decision boundaries", icon="🧭", url_path="playground"),
        st.Page("app_pages/boosting.py", title="Gradient boosting", icon="🌲", url_path="boosting"),
        st.Page("app_pages/moe.py", title="Mixture of experts", icon="🔀", url_path="moe"),
    ]


def sidebar() -> None:
    """How busy the server's training slots are (cheap: no torch, no figures)."""
    slots = training_slots()
    waiting = len(slots.queue())
    with st.sidebar:
        st.caption(f"Training slots on this server: **{slots.busy} of {slots.slots} busy**"
                   + (f", {waiting} waiting" if waiting else ""),
                   help="Live training shares the server's CPU: at most this many training updates run at once, "
                        "the others wait their turn, so drawing stays quick for everyone.")
