"""Every setting of the playground as a widget bound to the URL, read into clamped configs.

Widget keys are ``playground_<thing>`` (:mod:`app.playground.keys`) and double as URL
parameters (``bind="query-params"``): a link holds the whole setup, defaults leave it
clean. The network's shape is a text such as ``4,2`` (the +/− buttons edit it), so it
goes through the same parser as a TensorFlow Playground link: 100 layers become 6,
9 neurons become 8, and the page says so.

TensorFlow Playground's own keys are understood too: pasted into the link box, or
straight in our URL (``/playground?dataset=spiral&networkShape=8,8``), they set the
widgets once, when the page opens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, unquote, urlsplit

import numpy as np
import streamlit as st

from app.html_view import svg
from app.layout import projector_on
from app.playground import keys as K
from engine.playground import (
    ACTIVATIONS,
    EPOCH_LIMITS,
    FEATURE_LABELS,
    FEATURES,
    LEARNING_RATES,
    LOSSES,
    MAX_LAYERS,
    MAX_NEURONS,
    OPTIMIZERS,
    REGULARIZATION_RATES,
    REGULARIZATIONS,
    PlaygroundConfig,
)
from engine.playground.config import BATCH_RANGE, NOISE_RANGE, NOISE_STEP, SEED_MAX, TRAIN_RANGE, TRAIN_STEP

D = PlaygroundConfig()
"""Every widget's default (the original's defaults)."""
DATASET_LABELS = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Gaussian", "spiral": "Spiral"}
REG_DATASET_LABELS = {"reg-plane": "Plane", "reg-gauss": "Multi-Gaussian"}
ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}
REG_LABELS = {"none": "None", "L1": "L1", "L2": "L2"}
LOSS_LABELS = {"squared": "Squared error (original)", "cross_entropy": "Cross-entropy"}
OPTIMIZER_LABELS = {"sgd": "SGD (original)", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
HIDEABLE = {
    "problem": "Problem type", "dataset": "Data set", "noise": "Noise", "train": "Ratio of training data",
    "batch": "Batch size", "regenerate": "Regenerate", "features": "Features", "network": "Hidden layers",
    "activation": "Activation", "learning_rate": "Learning rate", "regularization": "Regularization",
    "beyond": "Loss, optimizer, epochs", "display": "Test data and discretize", "share": "Links and export",
    "own_data": "Your own data", "compare": "Compare mode",
}
"""Controls an instructor can hide (classroom mode); the original's ``*_hide`` keys map onto them."""
TF_HIDE = {"problem": "problem", "dataset": "dataset", "noise": "noise", "percTrainData": "train",
           "batchSize": "batch", "learningRate": "learning_rate", "activation": "activation",
           "regularization": "regularization", "regularizationRate": "regularization", "numHiddenLayers": "network",
           "showTestData": "display", "discretize": "display", **{f: "features" for f in FEATURES}}
TF_KEYS = ("dataset", "regDataset", "problem", "networkShape", "activation", "learningRate", "batchSize",
           "percTrainData", "noise", "seed", "regularization", "regularizationRate", "initZero", "hideText",
           *FEATURES)


@dataclass(frozen=True)
class Display:
    """How the run is shown (not part of the model)."""

    show_test: bool = False
    discretize: bool = False
    hidden: tuple[str, ...] = ()
    large_font: bool = False
    hide_text: bool = False


def shape_text(hidden: tuple[int, ...]) -> str:
    return ",".join(str(h) for h in hidden)


def parse_shape(text: str) -> tuple[tuple[int, ...], list[str]]:
    """``"4,2"`` -> ``(4, 2)`` through the link parser (clamped; notes for each correction)."""
    config, notes = PlaygroundConfig.from_params({"networkShape": str(text)})
    return config.hidden, notes


def apply_config(config: PlaygroundConfig, b: PlaygroundConfig | None = None) -> None:
    """Set every setting widget from ``config`` (and compare mode's B from ``b``); call before the widgets exist."""
    s = st.session_state
    s[K.PROBLEM], s[K.DATASET], s[K.REG_DATASET] = config.problem, config.dataset, config.reg_dataset
    s[K.NOISE], s[K.TRAIN], s[K.BATCH], s[K.SEED] = config.noise, config.perc_train, config.batch_size, config.seed
    s[K.SHAPE] = shape_text(config.hidden)
    s[K.ACTIVATION], s[K.LEARNING_RATE] = config.activation, config.learning_rate
    s[K.REGULARIZATION], s[K.REG_RATE] = config.regularization, config.reg_rate
    s[K.LOSS], s[K.OPTIMIZER], s[K.MAX_EPOCHS] = config.loss, config.optimizer, config.max_epochs
    s[K.INIT_ZERO] = config.init_zero
    for name in FEATURES:
        s[K.feature(name)] = name in config.features
    extra = config.extra or {}
    if "showTestData" in extra:
        s[K.SHOW_TEST] = bool(extra["showTestData"])
    if "discretize" in extra:
        s[K.DISCRETIZE] = bool(extra["discretize"])
    if "hideText" in extra:
        s[K.HIDE_TEXT] = bool(extra["hideText"])
    hidden = sorted({TF_HIDE[k[: -len("_hide")]] for k, v in extra.items()
                     if k.endswith("_hide") and v and k[: -len("_hide")] in TF_HIDE})
    if hidden:
        s[K.HIDE] = hidden
    if b is not None:
        s[K.COMPARE] = True
        s[K.B_SHAPE], s[K.B_ACTIVATION], s[K.B_LEARNING_RATE] = shape_text(b.hidden), b.activation, b.learning_rate
        s[K.B_REGULARIZATION], s[K.B_REG_RATE] = b.regularization, b.reg_rate
        s[K.B_OPTIMIZER], s[K.B_LOSS] = b.optimizer, b.loss


def params_of_link(text: str) -> dict[str, str]:
    """The key=value pairs of a TensorFlow Playground link (after ``#``) or of a query string."""
    text = text.strip()
    parts = urlsplit(text)
    raw = parts.fragment or parts.query or (text if "=" in text and "://" not in text else "")
    return {k: unquote(v) for k, v in parse_qsl(raw.lstrip("#?"), keep_blank_values=True)}


def load_link(text: str) -> list[str]:
    """Apply a pasted TensorFlow Playground link to the widgets; return the notes (or why nothing happened)."""
    params = params_of_link(text)
    if not any(k in params for k in TF_KEYS):
        return ["That does not look like a TensorFlow Playground link: expected something like "
                "playground.tensorflow.org/#activation=tanh&dataset=circle&networkShape=4,2 …"]
    config, notes = PlaygroundConfig.from_params(params)
    apply_config(config)
    return notes


def read_link_in_url() -> None:
    """Once per session: TensorFlow Playground keys in our own URL set the widgets (then leave the URL)."""
    if st.session_state.get(K.LINK_READ):
        return
    st.session_state[K.LINK_READ] = True
    params = {k: st.query_params.get(k) for k in st.query_params}
    if any(k in params for k in TF_KEYS):
        config, notes = PlaygroundConfig.from_params(params)
        apply_config(config)
        st.session_state[K.NOTES] = notes
        for k in list(params):
            if not k.startswith(K.PREFIX):
                del st.query_params[k]


def _on_load_link() -> None:
    st.session_state[K.NOTES] = load_link(st.session_state.get(K.TF_LINK, ""))


def _on_regenerate() -> None:
    st.session_state[K.SEED] = int(np.random.default_rng().integers(0, SEED_MAX))


def _change_layers(delta: int) -> None:
    hidden, _ = parse_shape(st.session_state.get(K.SHAPE, shape_text(D.hidden)))
    if delta > 0 and len(hidden) < MAX_LAYERS:
        hidden = (*hidden, 2)
    elif delta < 0 and hidden:
        hidden = hidden[:-1]
    st.session_state[K.SHAPE] = shape_text(hidden)


def _change_neurons(layer: int, delta: int) -> None:
    hidden, _ = parse_shape(st.session_state.get(K.SHAPE, shape_text(D.hidden)))
    if layer < len(hidden):
        h = list(hidden)
        h[layer] = min(max(h[layer] + delta, 1), MAX_NEURONS)
        st.session_state[K.SHAPE] = shape_text(tuple(h))


def _rate(x: float) -> str:
    return f"{x:g}"


class Hider:
    """Where a control goes: its place on the page, or an invisible box when the instructor hid it.

    Hidden controls are still drawn (invisibly), so they keep their values and their place in the link.
    """

    def __init__(self, hidden: tuple[str, ...], box) -> None:
        self.hidden, self.box = hidden, box

    def place(self, group: str, where):
        return self.box if group in self.hidden else where


def hyper_row(hider: Hider) -> dict:
    """The original's top bar: learning rate, activation, regularization and its rate, problem type."""
    v: dict = {}
    cols = st.columns(5)
    common = dict(bind="query-params")
    with hider.place("learning_rate", cols[0]):
        v["learning_rate"] = st.select_slider(
            "Learning rate", LEARNING_RATES, D.learning_rate, key=K.LEARNING_RATE, format_func=_rate, **common,
            help="Step size of every update. Changing it keeps the run going (no reset), as in the original. "
                 "Too large and the loss jumps or training diverges.")
    with hider.place("activation", cols[1]):
        v["activation"] = st.selectbox(
            "Activation", ACTIVATIONS, ACTIVATIONS.index(D.activation), key=K.ACTIVATION,
            format_func=ACTIVATION_LABELS.get, **common,
            help="The function every hidden neuron applies to its weighted sum. The output neuron uses tanh "
                 "(linear for regression).")
    with hider.place("regularization", cols[2]):
        v["regularization"] = st.selectbox(
            "Regularization", REGULARIZATIONS, 0, key=K.REGULARIZATION, format_func=REG_LABELS.get, **common,
            help="A penalty on large weights: L2 shrinks every weight a little each update; L1 pushes small "
                 "weights to exactly zero (their links turn dashed).")
    with hider.place("regularization", cols[3]):
        v["reg_rate"] = st.select_slider(
            "Regularization rate", REGULARIZATION_RATES, 0.0, key=K.REG_RATE, format_func=_rate, **common,
            help="How strong the penalty is.")
    with hider.place("problem", cols[4]):
        v["problem"] = st.selectbox(
            "Problem type", ("classification", "regression"), 0, key=K.PROBLEM, format_func=str.capitalize,
            **common, help="Classification: orange (−1) or blue (+1) points. Regression: predict a number per "
                           "point.")
    return v


def data_section(hider: Hider, thumbnails: dict[str, str], problem: str) -> dict:
    """Data set, noise, split, batch size, seed and Regenerate; the features; the hidden layers."""
    v: dict = {}
    common = dict(bind="query-params")
    with st.container(key=K.DATA_BOX):
        st.markdown("**Data**")
        with hider.place("dataset", st.container()):
            labels = REG_DATASET_LABELS if problem == "regression" else DATASET_LABELS
            names = list(labels)
            # our own element, not Markdown: Streamlit redraws every element of the page at each live update,
            # and Markdown would parse these 2,000 dots again ten times a second
            svg('<div style="display:flex;gap:6px">' + "".join(
                f'<span title="{labels[n]}" data-set="{n}">{thumbnails[n]}</span>' for n in names) + "</div>",
                key=K.THUMBNAILS)
            if problem == "regression":
                v["reg_dataset"] = st.radio("Which data set?", names, 0, key=K.REG_DATASET,
                                            format_func=REG_DATASET_LABELS.get, horizontal=True, **common,
                                            help="The original's two regression data sets (pictured above, in "
                                                 "order; the colour is the target, from −1 orange to +1 blue).")
            else:
                v["dataset"] = st.radio("Which data set?", names, 0, key=K.DATASET, format_func=DATASET_LABELS.get,
                                        horizontal=True, **common,
                                        help="The four data sets of TensorFlow Playground (pictured above, in "
                                             "order).")
        with hider.place("train", st.container()):
            v["perc_train"] = st.slider("Ratio of training to test data (%)", *TRAIN_RANGE, D.perc_train, TRAIN_STEP,
                                        key=K.TRAIN, **common,
                                        help="The network learns from the training points only; the test points "
                                             "tell whether it generalizes.")
        with hider.place("noise", st.container()):
            v["noise"] = st.slider("Noise", *NOISE_RANGE, D.noise, NOISE_STEP, key=K.NOISE, **common,
                                   help="Circle and XOR: labels flip near the boundary. Gaussian: wider blobs. "
                                        "Spiral: points move. Regression: the target is read at a moved point.")
        with hider.place("batch", st.container()):
            v["batch_size"] = st.slider("Batch size", *BATCH_RANGE, D.batch_size, key=K.BATCH, **common,
                                        help="Examples per update: the weights move once per batch, by the mean "
                                             "gradient of its examples.")
        with hider.place("regenerate", st.container()):
            v["seed"] = st.number_input("Seed", 0, SEED_MAX, D.seed, 1, key=K.SEED, **common,
                                        help="Data, split and starting weights all come from it: same seed, same "
                                             "run.")
            st.button("Regenerate", key=K.REGENERATE, on_click=_on_regenerate, width="stretch",
                      help="New data and new starting weights (a new seed).")
    with st.container(key=K.FEATURES_BOX), hider.place("features", st.container()):
        st.markdown("**Features** — which properties of a point the network is given")
        cols = st.columns(2)
        chosen = []
        for i, name in enumerate(FEATURES):
            if cols[i % 2].checkbox(FEATURE_LABELS[name], name in D.features, key=K.feature(name), **common):
                chosen.append(name)
        v["features"] = tuple(chosen)
    with st.container(key=K.NETWORK_BOX), hider.place("network", st.container()):
        hidden_layers, _ = parse_shape(st.session_state.get(K.SHAPE, shape_text(D.hidden)))
        st.markdown(f"**Hidden layers: {len(hidden_layers)}**")
        a, b = st.columns(2)
        a.button("➕ layer", key=K.ADD_LAYER, on_click=_change_layers, args=(1,), width="stretch",
                 disabled=len(hidden_layers) >= MAX_LAYERS, help=f"At most {MAX_LAYERS} hidden layers.")
        b.button("➖ layer", key=K.REMOVE_LAYER, on_click=_change_layers, args=(-1,), width="stretch",
                 disabled=not hidden_layers, help="Zero hidden layers is a linear model of the features.")
        for i, n in enumerate(hidden_layers):
            label, minus, plus = st.columns([3, 1, 1], vertical_alignment="center")
            label.caption(f"Layer {i + 1}: {n} neuron{'s' if n != 1 else ''}")
            minus.button("−", key=K.neurons_button(i, "-"), on_click=_change_neurons, args=(i, -1), disabled=n <= 1)
            plus.button("+", key=K.neurons_button(i, "+"), on_click=_change_neurons, args=(i, 1),
                        disabled=n >= MAX_NEURONS)
        text = st.text_input("Shape (neurons per hidden layer)", shape_text(D.hidden), key=K.SHAPE,
                             bind="query-params",
                             help=f"Comma-separated, e.g. 8,8,4: up to {MAX_LAYERS} layers of 1–{MAX_NEURONS}.")
        v["hidden"], v["shape_notes"] = parse_shape(text)
    return v


def beyond_section(hider: Hider) -> dict:
    """What the original does not have: loss, optimizer, when to stop."""
    v: dict = {}
    with hider.place("beyond", st.container()), st.expander("Loss, optimizer, epochs (beyond the original)"):
        common = dict(bind="query-params")
        v["loss"] = st.selectbox("Loss", LOSSES, 0, key=K.LOSS, format_func=LOSS_LABELS.get, **common,
                                 help="Squared error ½(o − t)² as the original, or cross-entropy on p = (1 + o)/2 "
                                      "(classification only): it keeps pushing confidently wrong points.")
        v["optimizer"] = st.selectbox("Optimizer", OPTIMIZERS, 0, key=K.OPTIMIZER, format_func=OPTIMIZER_LABELS.get,
                                      **common, help="SGD as the original; momentum keeps a running direction; "
                                                     "Adam scales each weight's step by its gradient history.")
        v["max_epochs"] = st.select_slider("Stop after (epochs)", EPOCH_LIMITS, D.max_epochs, key=K.MAX_EPOCHS,
                                           format_func=lambda n: f"{n:,}", **common,
                                           help="The original trains forever; a run here stops by itself.")
        v["init_zero"] = st.checkbox("Start every weight at zero", D.init_zero, key=K.INIT_ZERO, **common,
                                     help="The original's initZero link key: all weights start at 0 instead of "
                                          "random values (biases still 0.1). Every neuron of a layer then "
                                          "learns the same thing: the symmetry random starts break.")
    return v


def display_section(hider: Hider, a, b) -> Display:
    """'Show test data' and 'Discretize output' in the places ``a`` and ``b``."""
    common = dict(bind="query-params")
    if "display" in hider.hidden:
        a = b = hider.box
    show_test = a.checkbox("Show test data", False, key=K.SHOW_TEST, **common,
                           help="Draw the test points too (black ring); the training points have a white ring.")
    discretize = b.checkbox("Discretize output", False, key=K.DISCRETIZE, **common,
                            help="Colour by the predicted class only (the sign of the output).")
    return Display(show_test, discretize, hider.hidden,
                   bool(st.session_state.get(K.LARGE_FONT, False)) or projector_on(), hide_text_now())


def classroom_section() -> tuple[str, ...]:
    """Classroom mode: which controls to hide (in the link) and a large font for a projector."""
    with st.expander("Classroom mode"):
        chosen = st.multiselect("Hide these controls", list(HIDEABLE), [], key=K.HIDE, format_func=HIDEABLE.get,
                                bind="query-params",
                                help="Hidden controls keep their values; the link carries what is hidden, so "
                                     "students see only what the lesson needs.")
        st.toggle("Large font (projector)", False, key=K.LARGE_FONT, bind="query-params")
        st.toggle("Hide the explanations", False, key=K.HIDE_TEXT, bind="query-params",
                  help="The original's hideText link key: no captions, tips or lesson text, only the controls "
                       "and the pictures.")
    return tuple(c for c in chosen if c in HIDEABLE)


def hide_text_now() -> bool:
    """The original's ``hideText`` as the URL has it (read before the classroom widget is drawn)."""
    return bool(st.session_state.get(K.HIDE_TEXT, False))


def hidden_now() -> tuple[str, ...]:
    """The hidden controls as the URL has them (read before the classroom widget is drawn)."""
    value = st.session_state.get(K.HIDE, [])
    return tuple(v for v in (value or []) if v in HIDEABLE)


def compare_section(config: PlaygroundConfig, hider: Hider, box=None) -> tuple[PlaygroundConfig | None, list[str]]:
    """Compare mode: a second network B on the same data, features, batch size and seed (its settings in
    ``box``, a place of the page; default: under the switch)."""
    with hider.place("compare", st.container()):
        return _compare(config, None if "compare" in hider.hidden else box)


def _compare(config: PlaygroundConfig, box=None) -> tuple[PlaygroundConfig | None, list[str]]:
    common = dict(bind="query-params")
    on = st.toggle("Compare with a network B", False, key=K.COMPARE, **common,
                   help="Compare mode: a second network B trains side by side with A, on the same data, features, "
                        "batch size and seed; B differs in what you choose. Both train the same number of epochs "
                        "at every update.")
    if not on:
        return None, []
    with (box or st.container()), st.container(key=K.COMPARE_BOX, border=True):
        st.markdown("**Network B** (A is the one set above)")
        a, b = st.columns(2)
        text = a.text_input("B's hidden layers", shape_text(D.hidden), key=K.B_SHAPE, **common,
                            help="Comma-separated neurons per layer, e.g. 8,8,8 (empty: no hidden layer).")
        activation = b.selectbox("B's activation", ACTIVATIONS, ACTIVATIONS.index(D.activation), key=K.B_ACTIVATION,
                                 format_func=ACTIVATION_LABELS.get, **common)
        a, b = st.columns(2)
        lr = a.select_slider("B's learning rate", LEARNING_RATES, D.learning_rate, key=K.B_LEARNING_RATE,
                             format_func=_rate, **common)
        reg = b.selectbox("B's regularization", REGULARIZATIONS, 0, key=K.B_REGULARIZATION,
                          format_func=REG_LABELS.get, **common)
        a, b = st.columns(2)
        reg_rate = a.select_slider("B's regularization rate", REGULARIZATION_RATES, 0.0, key=K.B_REG_RATE,
                                   format_func=_rate, **common)
        optimizer = b.selectbox("B's optimizer", OPTIMIZERS, 0, key=K.B_OPTIMIZER, format_func=OPTIMIZER_LABELS.get,
                                **common)
        loss = st.selectbox("B's loss", LOSSES, 0, key=K.B_LOSS, format_func=LOSS_LABELS.get, **common)
    hidden, notes = parse_shape(text)
    b_config = replace(config, hidden=hidden, activation=activation, learning_rate=lr, regularization=reg,
                       reg_rate=reg_rate, optimizer=optimizer,
                       loss=loss if config.problem == "classification" else "squared")
    return b_config, [f"B: {n}" for n in notes]


def build_config(values: dict) -> tuple[PlaygroundConfig, list[str]]:
    """The widgets' values -> a config, through the link parser (so the page and links clamp alike)."""
    notes = list(values.pop("shape_notes", []))
    base = replace(D, **{k: v for k, v in values.items() if k in PlaygroundConfig.__dataclass_fields__})
    config, more = PlaygroundConfig.from_params(base.to_params())
    return config, notes + more


def link_box() -> None:
    """Paste a TensorFlow Playground link: its setup loads here."""
    with st.expander("Open a TensorFlow Playground link"):
        st.text_input("TensorFlow Playground link", key=K.TF_LINK,
                      placeholder="https://playground.tensorflow.org/#activation=tanh&batchSize=10&dataset=circle…",
                      help="Everything the original keeps in its link is read: data set, noise, ratio, batch size, "
                           "network shape, activation, learning rate, regularization, problem type, features, "
                           "'show test data', 'discretize', hidden controls, initZero and hideText. Its seed text "
                           "becomes our seed "
                           "(the same link always gives the same run here, not the original's random numbers).")
        st.button("Load this setup", key=K.TF_LINK_LOAD, on_click=_on_load_link)
