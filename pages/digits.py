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
from app.digits.network_view import NOTE as NETWORK_NOTE
from app.digits.network_view import network_section, network_weights_section
from app.digits.saliency import saliency_controls, saliency_section
from app.digits.training import train_section
from app.digits.unit import unit_layer_control, unit_section
from app.layout import PHONE_MAX_PX, hide_in_projector
from app.link_check import link_notes, link_values

# Tab labels: the open one is in the URL (?digits_tab=Saliency), so keep them plain and stable.
TABS = ("Layers", "Network view", "Inspect a unit", "Saliency", "Train your own")

st.title("✏️ Draw a digit")
st.caption("A convolutional network (LeNet-style) reads your handwriting. Every layer is shown; point at any unit in "
           "the Network view to see the arithmetic behind it.")

# On a phone (columns stacked) the page starts with the canvas (or the upload or example), then the guess; the
# input controls follow, then what the network sees. Pure CSS, so a wide screen keeps its order: below
# PHONE_MAX_PX the input column's elements join the columns' wrapping row (display: contents), where each
# takes a whole line and the guess's column can come between the canvas and the controls.
_INPUT_COLUMN = f"[data-testid='stColumn']:has(.st-key-{K.DIGITS_SOURCE})"
st.html(f"<style>@media (max-width: {PHONE_MAX_PX}px) {{"
        f" {_INPUT_COLUMN}, {_INPUT_COLUMN} > [data-testid='stVerticalBlock'] {{display: contents;}}"
        f" {_INPUT_COLUMN} > [data-testid='stVerticalBlock'] > * {{flex: 1 1 100%; width: 100%; order: 1;}}"
        f" {_INPUT_COLUMN} > [data-testid='stVerticalBlock'] > :last-child {{order: -3;}}"
        f" [data-testid='stColumn']:has(.st-key-{K.DIGITS_GUESS_BOX}) {{order: -2;}} }}</style>")
# A projector shows the canvas, the guess and the network: the input switches and the pen width (set before the
# class, kept in the link) step aside.
hide_in_projector(K.DIGITS_SOURCE, K.DIGITS_PEN, K.DIGITS_NAIVE)
link = link_values("digits")  # before any control drops a value it cannot show
link_box = st.container(key="digits_link_notes")
model, model_name = current_model()
left, middle, right = st.columns([1.15, 1, 1.1], gap="medium")
with left:
    source, pen = input_choice()
with middle:
    naive = naive_toggle()
    sees_box = st.container(key=K.DIGITS_SEES_BOX)
guess_box = right.container(key=K.DIGITS_GUESS_BOX)
steps_box = st.container()  # the preprocessing steps: below the columns, above the tabs
tab_layers, tab_network, tab_unit, tab_saliency, tab_train = st.tabs(TABS, key=K.DIGITS_TAB, bind="query-params")
# Each open tab's controls, then the box its views go in (built only while the tab is open).
with tab_layers:
    view = layer_controls()
    layers_box = st.container(key=K.DIGITS_LAYERS_BOX) if tab_layers.open is not False else None
with tab_network:  # the model's weights go to the browser here, in a full run: a drawing sends only activations
    network_box = None
    if tab_network.open is not False:
        st.markdown(NETWORK_NOTE)
        network_weights_section(model)
        network_box = st.container(key=K.DIGITS_NETWORK_BOX)
with tab_unit:
    unit_layer = unit_layer_control()
    unit_box = st.container(key=K.DIGITS_UNIT_BOX) if tab_unit.open is not False else None
with tab_saliency:
    target = saliency_controls()
    saliency_box = (st.container(key=K.DIGITS_SALIENCY_BOX) if tab_saliency.open is not False and target is not None
                    else None)


@st.fragment
def drawing_views() -> None:
    """Everything that depends on the input: a stroke reruns this alone.

    A fragment may write into containers the page made outside it, each in the place
    it wrote to during the last full run, so each one it uses gets a write on every run.
    """
    with left:
        image = input_section(source, pen)
    steps, x = prepare(image, naive)
    with guess_box:  # the guess first: it is what a student waits for after each stroke
        features = guess_section(image, steps, x, model, model_name)
    with sees_box:
        sees_section(steps, x, naive)
    with steps_box:
        steps_section(steps)
    if layers_box is not None:
        with layers_box:
            layers_section(features, view)
    if network_box is not None:
        with network_box:
            network_section(model, features)
    if unit_box is not None:
        with unit_box:
            unit_section(model, features, unit_layer)
    if saliency_box is not None:
        with saliency_box:
            saliency_section(model, x, None if features is None else features["output"], target)


drawing_views()
with tab_train:  # always built: a run in progress trains in this tab's fragment, whichever tab is open
    train_section()
with link_box:  # now that every control is drawn: which of the link's values did not survive
    for note in link_notes("digits", link, {K.DIGITS_PEN: "pen width", K.DIGITS_TAB: "tab"}):
        st.warning(note, icon="✂️")
