"""Draw a digit and watch a convolutional network think."""

import streamlit as st

from app import digit_sections as sections
from app.train_section import train_section

st.title("✏️ Draw a digit")
st.caption("A convolutional network (LeNet-style) reads your handwriting. Every layer is shown; pick any unit to see "
           "the arithmetic behind it.")

model, model_name = sections.current_model()
left, middle, right = st.columns([1.15, 1, 1.1], gap="medium")
with left:
    image = sections.input_section()
steps, x = sections.prepare(image)
with right:  # the guess first: it is what a student waits for after each stroke
    proba = sections.guess_section(image, steps, x, model, model_name)
with middle:
    sections.sees_section(steps, x)
sections.steps_section(steps)

tab_layers, tab_unit, tab_saliency, tab_train = st.tabs(
    ["🧠 Layers", "🔍 Inspect a unit", "🔥 Saliency", "🏋️ Train your own"]
)
with tab_layers:
    if proba is None:
        st.info("The layers light up once there is a digit to look at.")
    else:
        features = sections.layers_section(model, x)
with tab_unit:
    if proba is None:
        st.info("Draw a digit first: then pick any unit to see its weights, its input and its arithmetic.")
    else:
        sections.unit_section(model, features)
with tab_saliency:
    if proba is None:
        st.info("Draw a digit first to see which pixels drove the guess.")
    else:
        sections.saliency_section(model, x, proba)
with tab_train:
    train_section()
