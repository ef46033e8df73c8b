"""Saliency: gradient × input, which pixels pushed the network toward a class."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import figures as common
from app.digits import keys as K


def saliency_section(model, x: np.ndarray, proba: np.ndarray):
    """Gradient × input: which pixels pushed the network toward a class."""
    with st.container(key=K.DIGITS_SALIENCY_BOX):
        show = st.toggle("Show saliency", value=True, key=K.DIGITS_SALIENCY,
                         help="Gradient × input: red pixels raised the chosen class's score, blue ones lowered it.")
        if not show:
            return
        order = np.argsort(proba)[::-1]
        options = ["first guess", "second guess", *range(10)]
        pick = st.selectbox("Explain the score of", options, key=K.DIGITS_SALIENCY_TARGET,
                            format_func=lambda o: f"the {o} ({order[0] if o == 'first guess' else order[1]})"
                            if isinstance(o, str) else f"digit {o}")
        target = int(order[0] if pick == "first guess" else order[1] if pick == "second guess" else pick)
        sal = model.saliency(x, int(target))
        left, right = st.columns(2)
        with left:
            st.plotly_chart(common.diverging_figure(sal, f"Saliency for {target}", height=300, hover="grad × input"),
                            key="digits_saliency_chart", config={"displayModeBar": False})
        with right:
            st.plotly_chart(common.image_figure(x, "Input", height=300), key="digits_saliency_input",
                            config={"displayModeBar": False})
        st.caption("Gradient × input of the digit's logit. Compare the saliency for the first and the second guess: "
                   "the difference shows which strokes decided between them.")
