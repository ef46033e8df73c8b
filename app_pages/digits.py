"""Draw a digit and watch a convolutional network think."""

import streamlit as st

from app.digits.guess import guess_section
from app.digits.input import input_section, prepare, sees_section, steps_section
from app.digits.layers import layers_section
from app.digits.models import current_model
from app.digits.saliency import saliency_section
from app.digits.training import train_section
from app.digits.unit import unit_section

st.title("✏️ Draw a digit")
st.caption("A convolutional network (LeNet-style) reads your handwriting. Every layer is shown; pick any unit to see "
           "the arithmetic behind it.")

model, model_name = current_model()
left, middle, right = st.columns([1.15, 1, 1.1], gap="medium")
with left:
    image = input_section()
steps, x = prepare(image)
with right:  # the guess first: it is what a student waits for after each stroke
    proba = guess_section(image, steps, x, model, model_name)
with middle:
    sees_section(steps, x)
steps_section(steps)

tab_layers, tab_unit, tab_saliency, tab_train = st.tabs(
    ["🧠 Layers", "🔍 Inspect a unit", "🔥 Saliency", "🏋️ Train your own"]
)
with tab_layers:
    if proba is None:
        st.info("The layers light up once there is a digit to look at.")
    else:
        features = layers_section(model, x)
with tab_unit:
    if proba is None:
        st.info("Draw a digit first: then pick any unit to see its weights, its input and its arithmetic.")
    else:
        unit_section(model, features)
with tab_saliency:
    if proba is None:
        st.info("Draw a digit first to see which pixels drove the guess.")
    else:
        saliency_section(model, x, proba)
with tab_train:
    train_section()
