"""The app's pages, in menu order. Only playgrounds that exist are listed."""

from __future__ import annotations

import streamlit as st

from app.resources import device_label


def pages() -> list:
    return [
        st.Page("pages/home.py", title="Home", icon="🧪", default=True),
        st.Page("pages/digits.py", title="Draw a digit", icon="✏️", url_path="draw-digit"),
    ]


def sidebar() -> None:
    """Facts every page shares: the compute device."""
    with st.sidebar:
        st.caption(f"Compute: **{device_label()}**")
