"""The guess: first and second choice, the probability chart and honest warnings."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import html_view
from app.digits import figures
from engine.digits.assess import assess_input, assess_prediction


def guess_section(image: np.ndarray | None, steps, x: np.ndarray | None, model,
                  model_name: str) -> dict[str, np.ndarray] | None:
    """First and second guess, the probability chart and honest warnings.

    Returns every layer's activations (``"output"`` holds the probabilities),
    computed once for the whole page, or None when nothing was predicted. The page
    draws it into its box ``K.DIGITS_GUESS_BOX``.
    """
    if steps is None or x is None:
        st.info("No input yet: draw a digit, upload a picture or pick an example to see the network's guess.")
        return None
    verdict = assess_input(steps, image)
    if not verdict.ok_to_predict:
        getattr(st, verdict.level)(verdict.message)
        return None
    features = model.forward_features(x)
    proba = features["output"]
    order = np.argsort(proba)[::-1]
    with st.container(horizontal=True):
        for label, digit in (("First guess", order[0]), ("Second guess", order[1])):
            st.metric(label, str(digit), f"{proba[digit]:.1%}", delta_color="off", delta_arrow="off")
    html_view.svg(figures.probability_bars(proba, int(order[0])), key="digits_proba_chart")
    st.caption(f"Predicted by {model_name}.")
    for note in (verdict, assess_prediction(proba)):
        if note.message:
            st.warning(note.message)
    return features
