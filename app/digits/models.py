"""The model a session uses: the shipped CNN or the one it trained itself (sidebar switch)."""

from __future__ import annotations

import streamlit as st

from app.digits import keys as K
from app.digits.resources import shipped_model
from app.resources import device_label

MODEL_CHOICES = {"Shipped": "Shipped CNN", "Yours": "Your trained model"}


def request_model(choice: str) -> None:
    """Ask for a model switch; applied at the top of the next run (widgets can't change mid-run)."""
    st.session_state[K.DIGITS_PENDING_CHOICE] = choice


def current_model():
    """The model this session uses (its own trained one, or the shipped one), chosen in the sidebar."""
    pending = st.session_state.pop(K.DIGITS_PENDING_CHOICE, None)
    if pending in MODEL_CHOICES:
        st.session_state[K.DIGITS_MODEL_CHOICE] = pending
    st.sidebar.caption(f"Compute: **{device_label()}**")
    user = st.session_state.get(K.DIGITS_USER_MODEL)
    try:
        shipped = shipped_model()
    except (FileNotFoundError, RuntimeError, KeyError) as err:
        st.error(f"The shipped model could not be loaded ({err}). Recreate it with "
                 "`python -m engine.digits.pretrain`.")
        st.stop()
    if user is None:
        st.sidebar.caption("Model: **shipped CNN** (train your own in the last tab)")
        return shipped, "the shipped model"
    choice = st.sidebar.radio("Model in use", list(MODEL_CHOICES), key=K.DIGITS_MODEL_CHOICE,
                              format_func=MODEL_CHOICES.get,
                              help="Your model exists only in this browser session.")
    if choice == "Yours":
        return user, "your trained model"
    return shipped, "the shipped model"
