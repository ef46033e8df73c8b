"""What the playground shows of a run, redrawn at every live update (the ``show`` of the live controls).

Everything here is cheap by design (see :mod:`app.playground.figures`): one grid of
every node's output (numba, a few ms), small PNGs inside inline SVG, no Plotly. Per update the
fragment sends two things: the numbers (epoch, losses, accuracy: ``st.metric`` s, which tests read)
and one live view (:mod:`app.playground.board`) whose fixed markup the browser parses only when it
changes; the heatmaps, the links' colours and the loss curve are all that change while training.
With your own data, that view's output map is where clicks add points.
"""

from __future__ import annotations

import functools
import hashlib
import math
from html import escape

import numpy as np
import streamlit as st

from app.playground import figures, pointing
from app.playground import keys as K
from app.playground.board import board
from app.playground.own_data import apply_click_event, click_label
from app.playground.own_data import points as own_points
from app.playground.settings import Display
from engine.playground import FEATURES, PairTrainer, Trainer

LIVE_SPEEDS = {"one epoch": 0.0, "slow": 0.01, "normal": 0.06, "fast": 0.1}
"""Training seconds per screen update (at least one epoch each). "one epoch" trains like the original's
browser loop (one epoch per frame); "normal" trains about 150 epochs of the default network per update and about
28 of the big one (spiral, 7 features, six layers of 8; 465 epochs a second on one core): at ten updates a second
more than ten times the epochs per second TensorFlow Playground shows (60 and 22), with room left in the 0.1 s
between updates for drawing them (about 15 ms of server time)."""
LIVE_UPDATE_SECONDS = 0.09
"""How often the live fragment asks for an update while playing: a little under 0.1 s, so that a page whose
update fits in that time shows at least ten a second (at 0.1 s it showed 9.5–10.2 on a quiet machine)."""
MAP_RESOLUTION = 100
FRAMES = "playground_frames"
"""Session state: the maps' fixed markup by picture, with the data it was drawn from."""
COLOUR_BAR = figures.colour_bar()


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


NUMBER_HELP = {
    "Training loss": "Mean loss on the training points (what the updates reduce).",
    "Test loss": "Mean loss on the test points, never trained on: rising while training loss falls is overfitting.",
    "Training accuracy": "Share of training points on the right side of the boundary (output sign).",
    "Test accuracy": "Share of test points on the right side of the boundary (output sign).",
}


def numbers_markup(trainer: Trainer, large: bool = False) -> str:
    """The losses (and accuracies) beside the epoch, drawn like ``st.metric`` s (hover a label for what it means).

    They travel inside one element of our own: five ``st.metric`` s in five columns were a dozen elements for
    Streamlit to redraw at every live update."""
    now = trainer.current()
    values = {"Training loss": _num(now["train_loss"]), "Test loss": _num(now["test_loss"])}
    if trainer.classify:
        values |= {"Training accuracy": _pct(now["train_acc"]), "Test accuracy": _pct(now["test_acc"])}
    cells = "".join(f'<div class="pg-num" data-num="{name}"><div class="pg-lab" title="{escape(NUMBER_HELP[name])}">'
                    f'{name}</div><div class="pg-val">{value}</div></div>' for name, value in values.items())
    return f'<div class="pg-nums{" pg-large" if large else ""}">{cells}</div>'


def metrics(trainer: Trainer, display: Display, label: str = "") -> None:
    """The epoch (an ``st.metric``: tests and the bench read it) and, beside it, the losses and accuracies."""
    prefix = f"{label} " if label else ""
    with st.container(horizontal=True, vertical_alignment="top", gap="medium"):
        st.metric(f"{prefix}Epoch", f"{trainer.epoch:,}", help="Passes over the training data so far.",
                  width="content")
        board(f"{K.NUMBERS}{'_' + label.lower() if label else ''}", numbers_markup(trainer, display.large_font))


def _points(trainer: Trainer, display: Display):
    Xtr, ytr, Xte, yte = trainer.raw_
    return (Xtr, ytr), ((Xte, yte) if display.show_test else None)


def _curve(trainer: Trainer) -> str:
    h = trainer.history_.array()
    return figures.loss_curve(h[:, 0], h[:, 1])


def _fingerprint(*sets) -> str:
    digest = hashlib.sha1()
    for pair in sets:
        if pair is None:
            digest.update(b"-")
            continue
        for a in pair:
            a = np.ascontiguousarray(a)
            digest.update(str(a.shape).encode() + a.tobytes())
    return digest.hexdigest()


def _map_frame(train, test, size: int = 340, title: str = "", href: str = "out", clickable: bool = False,
               hover_for: str | None = None) -> str:
    """:func:`figures.map_frame`, kept per session while its data is the same (it changes with the data only)."""
    cache = st.session_state.setdefault(FRAMES, {})
    key = (_fingerprint(train, test), size, title, clickable, hover_for)
    hit = cache.get(href)
    if hit is None or hit[0] != key:
        hit = cache[href] = (key, figures.map_frame(train, test, size, title, href, clickable, hover_for))
    return hit[1]


@functools.lru_cache(maxsize=64)
def _network_frame(ids: tuple[tuple[str, ...], ...], uid: str, activation: str, output: str, discretize: bool) -> str:
    return figures.network_frame([list(layer) for layer in ids], None, uid, activation=activation, output=output,
                                 discretize=discretize, inputs=list(FEATURES))


def _network(trainer: Trainer, maps, display: Display, uid: str):
    """The network's fixed markup and, for the board, its live state."""
    ids = trainer.node_ids()
    weights = trainer.weights()
    state = figures.network_state(ids, maps, weights, display.discretize)
    frame = _network_frame(tuple(map(tuple, ids)), uid, trainer.config.activation,
                           "tanh" if trainer.classify else "linear", display.discretize)
    hrefs = {f"atlas_{uid}": state.pop("atlas")}
    ntitles = {uid: state.pop("ntitle")}
    return frame, hrefs, {uid: state}, ntitles, weights


def _click(own: bool) -> dict:
    label = click_label()
    colour = {1: figures.POS_HEX, -1: figures.NEG_HEX}.get(label, "")
    return {"on": bool(own), "colour": colour, "seen": st.session_state.get(K.CLICKS_SEEN)}


def _own_caption(own: bool) -> str:
    if not own:
        return ""
    what = {1: "a blue (+1) point", -1: "an orange (−1) point"}.get(click_label(), "nothing: it erases the nearest")
    return (f'<p class="pg-note">🖱️ <b>Click on the map</b> to add your own points: a click adds {what} '
            "(choose under “Clicks add” on the left). The run starts again from your new points.</p>")


def _after_click(event, own: bool) -> None:
    """A click on the map (your own data): change the points and rerun the whole page (the run restarts, and the
    map is redrawn with the points as they are now)."""
    if own and apply_click_event(event):
        st.rerun(scope="app")


def _col(flex: str, part: str, inner: str) -> str:
    return f'<div class="pg-col" data-part="{part}" style="flex:{flex}">{inner}</div>'


POINT_HELP = ("<b>Point at a square</b> (or tap it) to see its map large over the output; click an input to "
              "switch it on or off, a link to set its weight, a neuron to set its bias. Links are blue for positive "
              "weights, orange for negative, thicker when larger; dashed: a weight L1 set to exactly zero.")


def _texts(display: Display, layout: str) -> str:
    """The layout, with its captions hidden under the original's ``hideText``."""
    return f'<div class="pg-notext">{layout}</div>' if display.hide_text else layout


def single(trainer: Trainer, display: Display, own: bool = False) -> None:
    """One network: its numbers, its diagram, the output map and the loss curve."""
    with st.container(key=K.METRICS_BOX):
        metrics(trainer, display)
    maps = trainer.grid(MAP_RESOLUTION)
    train, test = _points(trainer, display)
    net, hrefs, links, ntitles, weights = _network(trainer, maps, display, "a")
    hrefs["out"] = figures.heatmap_uri(maps[trainer.output_id], display.discretize)
    dead = len(weights["dead"])
    slots = {"curve": _curve(trainer), "edit": pointing.note_markup(),
             "dead": (f"<b>L1 has set {dead} of {len(weights['links'])} links to exactly zero</b>: those inputs "
                      "and neurons no longer matter." if dead else "")}
    left = ('<p class="pg-h"><b>Network</b> — what each neuron computes over the plane</p>' + net
            + f'<p class="pg-note" data-slot="edit"></p><p class="pg-cap">{POINT_HELP} <span data-slot="dead">'
              "</span></p>")
    right = ('<p class="pg-h" data-head="a"><b>Output</b> — the network\'s answer over the plane</p>'
             + _map_frame(train, test, clickable=own, hover_for="a") + COLOUR_BAR
             + '<p class="pg-cap">Orange: the network says −1, blue: +1. Dots are the training points'
             + (" (white ring) and test points (black ring).</p>" if display.show_test else ".</p>")
             + _own_caption(own)
             + '<p class="pg-h pg-curve-h"><b>Loss per epoch</b> — test (black), training (grey)</p>'
               '<div data-slot="curve"></div>')
    layout = _texts(display, f'<div class="pg-row">{_col("1.5 1 0", "network", left)}'
                             f'{_col("1 1 0", "output", right)}</div>')
    event = board(K.BOARD, layout, hrefs=hrefs, slots=slots, links=links, ntitles=ntitles, click=_click(own),
                  on_edit=pointing.on_edit, on_feature=pointing.on_feature)
    _after_click(event, own)
    if pointing.rerun_wanted():
        st.rerun(scope="app")  # a feature switched or a weight set in the diagram: settings, link, export follow


def own_points_only(display: Display) -> None:
    """Your own data before there are enough points to train: the empty plane to click them onto."""
    current = own_points()
    train = current if current is not None and len(current[0]) else None
    right = ('<p class="pg-h"><b>Your points</b> — click on the plane to add them</p>'
             + _map_frame(train, None, clickable=True) + _own_caption(True))
    layout = f'<div class="pg-row">{_col("1 1 0", "output", right)}{_col("0.6 1 0", "spacer", "")}</div>'
    event = board(K.BOARD, layout, click=_click(True))
    _after_click(event, True)


def pair(trainer: PairTrainer, display: Display, own: bool = False) -> None:
    """Compare mode: A and B side by side, same epoch."""
    a, b = trainer.trainers
    ha, hb = a.history_.array(), b.history_.array()
    with st.container(key=K.METRICS_BOX):
        for t, name in ((a, "A"), (b, "B")):
            metrics(t, display, name)
    hrefs, links, ntitles, cols = {}, {}, {}, []
    for t, name in ((a, "A"), (b, "B")):
        uid = name.lower()
        c = t.config
        head = f"<b>{name}</b>: " + escape(
            f"{', '.join(map(str, c.hidden)) or 'no'} hidden {'neurons' if c.hidden else 'layer'}, {c.activation}, "
            f"rate {t.learning_rate:g}"
            + (f", {c.regularization} {c.reg_rate:g}" if c.regularization != "none" else "")
            + (f", {c.optimizer}" if c.optimizer != "sgd" else "")
            + (", cross-entropy" if c.loss == "cross_entropy" else ""))
        maps = t.grid(MAP_RESOLUTION)
        train, test = _points(t, display)
        net, h, lk, nt, _ = _network(t, maps, display, uid)
        hrefs.update(h)
        links.update(lk)
        ntitles.update(nt)
        hrefs[f"out_{uid}"] = figures.heatmap_uri(maps[t.output_id], display.discretize)
        diverged = f'<p class="pg-note" style="color:#c0392b">{escape(t.message_)}</p>' \
            if t.status_ == "diverged" else ""
        cols.append(_col("1 1 0", f"output_{uid}", f'<p class="pg-h" data-head="{uid}">{head}</p>' + diverged
                         + _map_frame(train, test, 320, "", f"out_{uid}", own, hover_for=uid) + net))
    curve = figures.loss_curve(ha[:, 0], ha[:, 1], width=700, height=150,
                               extra={"B test": (hb[:, 1], "#e8553e"), "B train": (hb[:, 0], "#f3a99c")})
    layout = _texts(display, f'<div class="pg-row">{"".join(cols)}</div><p class="pg-note" data-slot="edit"></p>'
                             f'<p class="pg-cap">{POINT_HELP}</p>{_own_caption(own)}<div data-part="curve">'
                             '<p class="pg-h"><b>Loss per epoch</b> — A: test black, training grey; B: test red, '
                             'training pink</p><div data-slot="curve"></div></div>')
    event = board(K.BOARD, layout, hrefs=hrefs, slots={"curve": curve, "edit": pointing.note_markup()}, links=links,
                  ntitles=ntitles, click=_click(own), on_edit=pointing.on_edit, on_feature=pointing.on_feature)
    _after_click(event, own)
    if pointing.rerun_wanted():
        st.rerun(scope="app")


def show(trainer, display: Display, own: bool = False) -> None:
    """The live view of a single or paired run (with your own data and no run yet: the plane to click on)."""
    if trainer is None:
        if own:
            own_points_only(display)
        else:
            st.info("Set up the data and the network on the left, then press **Play**.", icon="▶️")
        return
    if isinstance(trainer, PairTrainer):
        pair(trainer, display, own)
    else:
        single(trainer, display, own)
