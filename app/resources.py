"""Read-only objects shared by every session (``st.cache_resource``) and cached pure data."""

from __future__ import annotations

import streamlit as st

from engine.runtime import describe_device, resolve_device
from engine.scheduler import SlotScheduler


@st.cache_resource
def device_label() -> str:
    """Which device models run on, for the sidebar."""
    return describe_device(resolve_device())


@st.cache_resource
def training_slots() -> SlotScheduler:
    """The server-wide training slots (shared on purpose: thread-safe, holds only session ids)."""
    return SlotScheduler()
