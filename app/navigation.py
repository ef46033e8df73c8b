"""The app's pages, in menu order, and the sidebar facts every page shares."""

from __future__ import annotations

import streamlit as st

from app.paths import page_file
from app.resources import training_pool, training_slots


def pages() -> list:
    """Only playgrounds that exist are listed; each has a stable URL path for deep links.

    The scripts are in the top-level ``pages/`` folder, registered by absolute path
    (``st.Page`` would also take ``"../../pages/<name>.py"``, relative to the entry script).
    """
    return [
        st.Page(page_file("home"), title="Home", icon="🧪", default=True),
        st.Page(page_file("digits"), title="Draw a digit", icon="✏️", url_path="draw-digit"),
        st.Page(page_file("playground"), title="Decision boundaries", icon="🧭", url_path="playground"),
        st.Page(page_file("boosting"), title="Gradient boosting", icon="🌲", url_path="boosting"),
        st.Page(page_file("moe"), title="Mixture of experts", icon="🔀", url_path="moe"),
        st.Page(page_file("tabular"), title="XGBoost on real data", icon="📊", url_path="tabular"),
    ]


def sidebar() -> None:
    """How busy the server's training is (cheap: no torch, no figures)."""
    pool = training_pool()
    with st.sidebar:
        if pool is not None:
            busy = pool.busy
            st.caption(f"Training on this server: **{busy} run{'s' if busy != 1 else ''} on {pool.size} training "
                       f"process{'es' if pool.size != 1 else ''}**",
                       help="Live training runs in separate processes, one per spare CPU core, so drawing stays "
                            "quick for everyone. Runs on one process share it in turns: each trains at the same "
                            "rate and updates its page about ten times a second.")
            return
        slots = training_slots()
        waiting = len(slots.queue())
        st.caption(f"Training slots on this server: **{slots.busy} of {slots.slots} busy**"
                   + (f", {waiting} waiting" if waiting else ""),
                   help="Live training shares the server's CPU: at most this many training updates run at once, "
                        "the others wait their turn, so drawing stays quick for everyone.")
