"""Draw a digit and watch a convolutional network think.

Every stroke reruns only :func:`drawing_views`, a fragment: the canvas, the guess,
what the network sees and the open tab's views, written into the columns and
tabs the page laid out. Everything a stroke cannot change (the controls, which
keep their settings in the URL, the tabs, Train your own, the sidebar) is drawn
by the page's full runs alone; changing one of those controls reruns the page.
Every element a run draws is a message to the browser, and those messages were
most of a stroke's server time.

Only the open tab is built (``st.tabs`` tracks which one is open); the controls
of the closed tabs are still drawn, so their settings survive a tab switch.
"""

import streamlit as st

from app.digits import keys as K
from app.digits.guess import guess_section
from app.digits.input import input_choice, input_section, naive_toggle, prepare, sees_section, steps_section
from app.digits.layers import layer_controls, layers_section
from app.digits.models import current_model
from app.digits.saliency import saliency_controls, saliency_section
from app.digits.training import train_section
from app.digits.unit import unit_layer_control, unit_section

# Tab labels: the open one is in the URL (?digits_tab=Saliency), so keep them plain and stable.
TABS = ("Layers", "Inspect a unit", "Saliency", "Train your own")

st.title("✏️ Draw a digit")
st.caption("A convolutional network (LeNet-style) reads your handwriting. Every layer is shown; pick any unit to see "
           "the arithmetic behind it.")

model, model_name = current_model()
left, middle, right = st.columns([1.15, 1, 1.1], gap="medium")
with left:
    source, pen = input_choice()
with middle:
    naive = naive_toggle()
steps_box = st.container()  # the preprocessing steps: below the columns, above the tabs
tab_layers, tab_unit, tab_saliency, tab_train = st.tabs(TABS, key=K.DIGITS_TAB, bind="query-params")
with tab_layers:
    view = layer_controls()
with tab_unit:
    unit_layer = unit_layer_control()
with tab_saliency:
    target = saliency_controls()


@st.fragment
def drawing_views() -> None:
    """Everything that depends on the input: a stroke reruns this alone.

    A fragment may write into containers the page made outside it, each in the place
    it wrote to during the last full run, so each one gets a write on every run.
    """
    with left:
        image = input_section(source, pen)
    steps, x = prepare(image, naive)
    with right:  # the guess first: it is what a student waits for after each stroke
        features = guess_section(image, steps, x, model, model_name)
    with middle:
        sees_section(steps, x, naive)
    with steps_box:
        steps_section(steps)
    proba = None if features is None else features["output"]
    with tab_layers:
        layers_section(features, view, build=tab_layers.open is not False)
    with tab_unit:
        unit_section(model, features, unit_layer, build=tab_unit.open is not False)
    with tab_saliency:
        saliency_section(model, x, proba, target, build=tab_saliency.open is not False)


drawing_views()
with tab_train:  # always built: a run in progress trains in this tab's fragment, whichever tab is open
    train_section()
