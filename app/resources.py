"""Read-only objects shared by every session (``st.cache_resource``) and cached pure data."""

from __future__ import annotations

import streamlit as st

from engine.runtime import describe_device, resolve_device
from engine.scheduler import SlotScheduler
from engine.workers import TrainingPool, default_workers


@st.cache_resource
def device_label() -> str:
    """Which device models run on, for the sidebar."""
    return describe_device(resolve_device())


@st.cache_resource
def training_slots() -> SlotScheduler:
    """The server-wide training slots (shared on purpose: thread-safe, holds only session ids)."""
    return SlotScheduler()


@st.cache_resource
def training_pool() -> TrainingPool | None:
    """The server's training worker processes (shared on purpose: thread-safe, holds only session ids and the
    runs' bytes); None when ``ML_PLAYGROUND_TRAINING_WORKERS=0`` trains in the web process."""
    workers = default_workers()
    return TrainingPool(workers) if workers > 0 else None
