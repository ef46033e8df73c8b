"""Draw a digit and watch a convolutional network think.

Only the open tab is built (``st.tabs`` tracks which one is open): every drawing
reruns this page, and building all four tabs cost most of the server's time.
The controls of the closed tabs are still drawn, cheaply, so their settings
(and the URL that holds them) survive a tab switch.
"""

import streamlit as st

from app.digits import keys as K
from app.digits.guess import guess_section
from app.digits.input import input_section, naive_toggle, prepare, sees_section, steps_section
from app.digits.layers import layers_section
from app.digits.models import current_model
from app.digits.saliency import saliency_section
from app.digits.training import train_section
from app.digits.unit import unit_section

# Tab labels: the open one is in the URL (?digits_tab=Saliency), so keep them plain and stable.
TABS = ("Layers", "Inspect a unit", "Saliency", "Train your own")

st.title("✏️ Draw a digit")
st.caption("A convolutional network (LeNet-style) reads your handwriting. Every layer is shown; pick any unit to see "
           "the arithmetic behind it.")

model, model_name = current_model()
left, middle, right = st.columns([1.15, 1, 1.1], gap="medium")
with left:
    image = input_section()
with middle:
    naive = naive_toggle()
steps, x = prepare(image, naive)
with right:  # the guess first: it is what a student waits for after each stroke
    features = guess_section(image, steps, x, model, model_name)
with middle:
    sees_section(steps, x, naive)
steps_section(steps)

tab_layers, tab_unit, tab_saliency, tab_train = st.tabs(TABS, key=K.DIGITS_TAB, bind="query-params")
proba = None if features is None else features["output"]
with tab_layers:
    layers_section(features, build=tab_layers.open is not False)
with tab_unit:
    unit_section(model, features, build=tab_unit.open is not False)
with tab_saliency:
    saliency_section(model, x, proba, build=tab_saliency.open is not False)
with tab_train:  # always built: a run in progress trains in this tab's fragment, whichever tab is open
    train_section()
