"""Layers: every layer's activations, each with a toggle and a one-line explanation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app.digits import keys as K
from app.digits.layer_view import maps_picture, show_layer, units_picture
from engine.digits import LAYERS

LAYER_NOTES = {
    "input": "The 28×28 grey image after preprocessing: all the network ever sees.",
    "conv1": "Each map is one small filter slid over the image: it lights up where its pattern (an edge, a "
             "stroke direction) appears.",
    "pool1": "Each map keeps the strongest response in every 2×2 block: half the size, and a little shift no "
             "longer matters.",
    "conv2": "Filters over all the maps below: they combine simple strokes into parts of digits (corners, loops, "
             "line ends).",
    "pool2": "Downsampled again to 7×7: where a part was found matters only roughly now.",
    "fc1": "Every unit looks at every value of the layer below and answers one learned question about the whole "
           "digit.",
    "fc2": "A second layer of such questions, closer to the answer.",
    "output": "One unit per digit. Softmax turns the scores (logits) into probabilities that add up to 100%.",
}
HIDDEN = ("conv1", "pool1", "conv2", "pool2", "fc1", "fc2")
COLOR_RANGES = ("per map", "per layer", "global")


@dataclass(frozen=True)
class LayerView:
    """What the student chose to see: which layers, and how colours span values."""

    visible: dict[str, bool]
    color_range: str


def layer_controls() -> LayerView:
    """The show/hide toggles and the colour range (in the URL; drawn even without a digit, so they keep).

    Drawn by the page, outside the drawing's fragment: a stroke's rerun does not send them again.
    """
    st.markdown("**Show or hide each layer**")
    visible = {}
    with st.container(horizontal=True, gap="medium"):  # one row that wraps: cheaper than two rows of columns
        for name, title in LAYERS:
            visible[name] = st.toggle(title, value=True, key=K.DIGITS_LAYER_TOGGLE.format(layer=name),
                                      bind="query-params", width=170)
    mode = st.segmented_control(
        "Colour range", COLOR_RANGES, default=COLOR_RANGES[0], required=True, key=K.DIGITS_COLOR_RANGE,
        bind="query-params",
        help="Per map: each feature map uses its own min–max (shows patterns in weak maps). Per layer: one range for "
             "the whole layer (compare maps). Global: one range for all hidden layers (compare layers).")
    return LayerView(visible, mode or COLOR_RANGES[0])  # None only from an empty ?digits_color_range=


def layers_section(features: dict[str, np.ndarray] | None, view: LayerView) -> None:
    """Every layer's activations that ``view`` (from :func:`layer_controls`) shows.

    ``features`` is ``None`` when there is no digit. The page draws this into its box
    ``K.DIGITS_LAYERS_BOX``, and only while the tab is open.
    """
    if features is None:
        st.info("The layers light up once there is a digit to look at.")
        return
    mode = view.color_range
    global_range = (min(float(features[n].min()) for n in HIDDEN), max(float(features[n].max()) for n in HIDDEN))
    shown = 0
    for name, title in LAYERS:
        if not view.visible[name]:
            continue
        shown += 1
        value = features[name]
        if name == "input":
            header, picture = f"{title} — 28×28", maps_picture(value, "per layer", (0.0, 1.0), columns=1,
                                                              tile_px=160)
        elif value.ndim == 3:
            header = f"{title} — {value.shape[0]} maps of {value.shape[1]}×{value.shape[2]}"
            picture = maps_picture(value, mode, global_range)
        elif name == "output":
            header = f"{title} — softmax probabilities"
            picture = units_picture(value, "global", (0.0, 1.0), labels=[f"{d}: {p:.0%}" for d, p in enumerate(value)])
        else:
            header = f"{title} — {value.shape[0]} units"
            picture = units_picture(value, mode, global_range)
        # Heading and note in one element: every element is a message, and messages are most of a rerun's cost.
        st.markdown(f"**{header}**  \n:small[:gray[{LAYER_NOTES[name]}]]")
        show_layer(picture, key=f"digits_layer_{name}")
    logits = ("Logits (before softmax): " + "  ".join(f"{d}: {z:+.2f}" for d, z in enumerate(features["logits"]))
              + "  \n") if view.visible["output"] else ""  # the output layer is the last: right below it
    st.caption(f"{logits}Showing {shown} of {len(LAYERS)} layers. Hover a cell to read its value.")

