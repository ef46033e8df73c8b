"""What the playground shows of a run, redrawn at every live update (the ``show`` of the live controls).

Everything here is cheap by design (see :mod:`app.playground.figures`): one grid of
every node's output (numba, a few ms), small PNGs inside inline SVG, no Plotly.
The numbers a test needs (epoch, losses, accuracy) are ``st.metric`` s.
"""

from __future__ import annotations

import math

import streamlit as st

from app.html_view import svg
from app.playground import figures
from app.playground import keys as K
from app.playground.settings import Display
from engine.playground import FEATURE_LABELS, PairTrainer, Trainer

LIVE_SPEEDS = {"one epoch": 0.0, "slow": 0.01, "normal": 0.04, "fast": 0.1}
"""Training seconds per screen update (at least one epoch each). "one epoch" trains like the original's
browser loop (one epoch per frame); "normal" trains about a hundred epochs of the default network per update."""
MAP_RESOLUTION = 100


def _svg(markup: str, name: str) -> None:
    """An inline SVG picture (our own element: Markdown parsed every update slowly, ``st.html``'s sanitizer
    drops these SVGs)."""
    svg(markup, key=f"{K.PICTURE}_{name}")


def _num(value: float, digits: int = 3) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _pct(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.1%}"


def settle_note(trainer):
    """``on_finish`` of the live controls: how the run ended, in a sentence."""
    if trainer.status_ == "diverged":
        return "error", (f"{trainer.message_} Nothing crashed: the last picture is the network before it "
                         "diverged.")
    if trainer.status_ == "done":
        return "success", trainer.message_ + " Press Play to start again from the seed."
    return "info", trainer.message_ or "Stopped."


def metrics(trainer: Trainer, label: str = "") -> None:
    now = trainer.current()
    cols = st.columns(5 if trainer.classify else 3)
    prefix = f"{label} " if label else ""
    cols[0].metric(f"{prefix}Epoch", f"{trainer.epoch:,}", help="Passes over the training data so far.")
    cols[1].metric(f"{prefix}Training loss", _num(now["train_loss"]),
                   help="Mean loss on the training points (what the updates reduce).")
    cols[2].metric(f"{prefix}Test loss", _num(now["test_loss"]),
                   help="Mean loss on the test points, never trained on: rising while training loss falls is "
                        "overfitting.")
    if trainer.classify:
        cols[3].metric(f"{prefix}Training accuracy", _pct(now["train_acc"]))
        cols[4].metric(f"{prefix}Test accuracy", _pct(now["test_acc"]),
                       help="Share of test points on the right side of the boundary (output sign).")


def _points(trainer: Trainer, display: Display):
    Xtr, ytr, Xte, yte = trainer.raw_
    return (Xtr, ytr), ((Xte, yte) if display.show_test else None)


def _curve(trainer: Trainer) -> str:
    h = trainer.history_.array()
    return figures.loss_curve(h[:, 0], h[:, 1])


def single(trainer: Trainer, display: Display) -> None:
    """One network: its numbers, its diagram, the output map and the loss curve."""
    with st.container(key=K.METRICS_BOX):
        metrics(trainer)
    maps = trainer.grid(MAP_RESOLUTION)
    ids = trainer.node_ids()
    train, test = _points(trainer, display)
    left, right = st.columns([1.5, 1], gap="medium")
    with right:
        with st.container(key=K.OUTPUT_BOX):
            st.markdown("**Output** — the network's answer at every point of the plane")
            _svg(figures.output_map(maps[trainer.output_id], train, test, display.discretize), "output")
            _svg(figures.colour_bar(), "colour_bar")
            st.caption("Orange: the network says −1, blue: +1. Dots are the training points"
                       + (" (white ring) and test points (black ring)." if display.show_test else "."))
        with st.container(key=K.CURVE_BOX):
            st.markdown("**Loss per epoch** — test (black), training (grey)")
            _svg(_curve(trainer), "curve")
    with left:
        with st.container(key=K.DIAGRAM_BOX):
            st.markdown("**Network** — each square is what that neuron computes over the whole plane; links are "
                        "blue for positive weights, orange for negative, thicker when larger")
            selected = st.session_state.get(K.NEURON)
            weights = trainer.weights()
            _svg(figures.network(ids, maps, weights, selected, display.discretize), "network")
            dead = len(weights["dead"])
            st.caption("Hover a square for its bias, a link for its weight (up to 120 links; pick a node above for "
                       "a big network). Dashed: a weight L1 set to exactly zero."
                       + (f" **L1 has set {dead} of {len(weights['links'])} links to exactly zero**: those inputs "
                          "and neurons no longer matter." if dead else ""))
        with st.container(key=K.NEURON_BOX):
            choice = st.session_state.get(K.NEURON)
            if choice in maps:
                values = maps[choice]
                if choice in ids[0]:
                    values = figures.scale_to_unit(values)
                _svg(figures.output_map(values, train, None, False, size=300,
                                        title=_node_label(choice, ids)), "node")
                st.caption(f"{_node_label(choice, ids)}: its output at every point of the plane. A hidden "
                           "neuron's map is built from the maps of the layer before it — the network composes "
                           "simple regions into the boundary on the right.")


def node_picker(trainer) -> None:
    """Which node to show large (outside the live fragment: a widget redrawn ten times a second costs)."""
    if not isinstance(trainer, Trainer):
        return
    ids = trainer.node_ids()
    nodes = [n for layer in ids for n in layer]
    if st.session_state.get(K.NEURON) not in nodes:
        st.session_state.pop(K.NEURON, None)
    st.selectbox("Show one node large", nodes, index=None, key=K.NEURON, placeholder="Pick a node…",
                 format_func=lambda n: _node_label(n, ids),
                 help="An input feature or a neuron: its map over the whole plane, large, under the diagram.")


def _node_label(node: str, ids: list[list[str]]) -> str:
    if node in ids[0]:
        return f"Input {FEATURE_LABELS.get(node, node)}"
    if node == ids[-1][0]:
        return f"Output (neuron {node})"
    layer = next(i for i, layer in enumerate(ids) if node in layer)
    return f"Neuron {node} (layer {layer})"


def pair(trainer: PairTrainer, display: Display) -> None:
    """Compare mode: A and B side by side, same epoch."""
    a, b = trainer.trainers
    ha, hb = a.history_.array(), b.history_.array()
    with st.container(key=K.METRICS_BOX):
        for t, name in ((a, "A"), (b, "B")):
            metrics(t, name)
    cols = st.columns(2, gap="medium")
    for col, t, name in zip(cols, (a, b), ("A", "B"), strict=True):
        with col, st.container(key=f"{K.OUTPUT_BOX}_{name.lower()}"):
            c = t.config
            st.markdown(f"**{name}**: {', '.join(map(str, c.hidden)) or 'no'} hidden "
                        f"{'neurons' if c.hidden else 'layer'}, {c.activation}, rate {t.learning_rate:g}"
                        + (f", {c.regularization} {c.reg_rate:g}" if c.regularization != "none" else "")
                        + (f", {c.optimizer}" if c.optimizer != "sgd" else "")
                        + (", cross-entropy" if c.loss == "cross_entropy" else ""))
            if t.status_ == "diverged":
                st.error(t.message_)
            maps = t.grid(MAP_RESOLUTION)
            train, test = _points(t, display)
            _svg(figures.output_map(maps[t.output_id], train, test, display.discretize, size=320),
                 f"output_{name.lower()}")
            _svg(figures.network(t.node_ids(), maps, t.weights(), None, display.discretize, uid=name.lower()),
                 f"network_{name.lower()}")
    with st.container(key=K.CURVE_BOX):
        st.markdown("**Loss per epoch** — A: test black, training grey; B: test red, training pink")
        _svg(figures.loss_curve(ha[:, 0], ha[:, 1], width=700, height=150,
                                extra={"B test": (hb[:, 1], "#e8553e"), "B train": (hb[:, 0], "#f3a99c")}),
             "curve")


def show(trainer, display: Display) -> None:
    """The live view of a single or paired run (nothing to show before one exists)."""
    if trainer is None:
        st.info("Set up the data and the network on the left, then press **Play**.", icon="▶️")
        return
    if isinstance(trainer, PairTrainer):
        pair(trainer, display)
    else:
        single(trainer, display)
