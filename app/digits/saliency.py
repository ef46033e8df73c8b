"""Saliency: gradient × input, which pixels pushed the network toward a class."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import figures as common
from app.digits import keys as K

TARGETS = ("first guess", "second guess", *range(10))
"""What the saliency explains: a guess, or a digit (an int)."""


def target_label(target: str | int) -> str:
    """A target as the selectbox (and the URL) shows it: the same whatever the guess is."""
    return target if isinstance(target, str) else f"digit {target}"


def saliency_controls() -> str | int | None:
    """The on/off toggle and the target (in the URL), outside the drawing's fragment; ``None`` when switched off."""
    show = st.toggle("Show saliency", value=True, key=K.DIGITS_SALIENCY, bind="query-params",
                     help="Gradient × input: red pixels raised the chosen class's score, blue ones lowered it.")
    if not show:
        return None
    return st.selectbox("Explain the score of", TARGETS, format_func=target_label, key=K.DIGITS_SALIENCY_TARGET,
                        bind="query-params", persist_state="session")


def target_digit(pick: str | int, proba: np.ndarray) -> int:
    """The class a target label means for these probabilities."""
    order = np.argsort(proba)[::-1]
    if pick == "first guess":
        return int(order[0])
    if pick == "second guess":
        return int(order[1])
    return int(pick)


def saliency_section(model, x: np.ndarray | None, proba: np.ndarray | None, pick: str | int) -> None:
    """Gradient × input: which pixels pushed the network toward the class ``pick`` means.

    ``pick`` comes from :func:`saliency_controls`. The page draws this into its box
    ``K.DIGITS_SALIENCY_BOX``, only while the tab is open and saliency is switched on.
    """
    if proba is None:
        st.info("Draw a digit first to see which pixels drove the guess.")
        return
    target = target_digit(pick, proba)
    sal = model.saliency(x, target)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(common.diverging_figure(sal, f"Saliency for {target}", height=300, hover="grad × input"),
                        key="digits_saliency_chart", config={"displayModeBar": False})
    with right:
        st.plotly_chart(common.image_figure(x, "Input", height=300), key="digits_saliency_input",
                        config={"displayModeBar": False})
    st.caption("Gradient × input of the digit's logit. Compare the saliency for the first and the second guess: "
               "the difference shows which strokes decided between them.")

