"""Read-only objects of the digit page shared by every session (``st.cache_resource``)."""

from __future__ import annotations

import streamlit as st

from engine.digits import load_pretrained
from engine.digits.data import load_training_digits
from engine.digits.synth import read_only_synthetic_digits
from engine.snapshots import shared


@st.cache_resource(show_spinner="Loading the shipped CNN…")
def shipped_model():
    """The pretrained digit CNN, evaluation mode, shared read-only by all sessions."""
    return load_pretrained()


@st.cache_resource(show_spinner="Loading the training digits…")
def training_digits():
    """Train/validation split of the training digits (read-only arrays; a training worker loads its own copy)."""
    return shared(load_training_digits, val_fraction=0.1, seed=0)


@st.cache_resource(show_spinner="Drawing synthetic pen-style digits…")
def pen_style_digits(n: int = 3000):
    """Synthetic pen-style training digits (read-only arrays; a training worker makes its own copy)."""
    return shared(read_only_synthetic_digits, n, seed=7)
