"""What the mixture-of-experts page shows of a run, in two parts that refresh at different rates.

- :func:`show_live` is the ``show`` of :func:`app.live.live_controls`: it runs in the
  training fragment about ten times a second while playing, so it holds only what
  must move with every step and is cheap to draw: the imbalance figures, the
  routing map (a NumPy-rendered picture) and the load over training.
- :func:`show_slower` (the page runs it in its own fragment, about once a second
  while playing, and on every full rerun) holds the rest: decision boundaries of
  the whole model, the dense models and each expert, the class x expert matrix,
  the curves, the parameter accounting and the comparison of this session's runs.
  Every Plotly chart the browser remounts costs it real time, so these stay out
  of the fast loop.

Each view is one element of :mod:`app.html_view` (heading, picture and caption in one
piece of HTML): every Streamlit element of a fragment is a message the browser handles
on every update, so the fast part is four of them (status box, progress, the figure
cards, the routing map beside the load chart).

Before the first Play both show the untrained model (the router's starting regions).
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from app.html_view import own_component
from app.html_view import svg as inline_picture
from app.moe import figures, probe, svg
from app.moe import keys as K
from app.moe.settings import preset_of
from engine.moe import MoEConfig, MoETrainer, count_params, load_task
from engine.moe.data import digits_task
from engine.moe.metrics import DEAD_SHARE

DIGITS_SHAPE = (784, 10)
"""Inputs and classes of the digits task (known without loading the digits)."""
MAP_RESOLUTION = 80
EXPERT_RESOLUTION = 40
RUNS_KEPT = 8
SPARK_POINTS = 60
SLOW_VIEW_SECONDS = 1.0
"""While playing, the dense models' maps, the expert maps, the class x expert matrix and the curves are
redrawn at most this often (the routing map, the load chart and the figures every update)."""
LIVE_SPEEDS = {"slow": 0.02, "normal": 0.06, "fast": 0.15}
"""Training seconds per update: the live views are cheap, so train little and update often (≥ 5 a second)."""
ROUTING_MAP_HEADING = ("Routing map", "top-1 expert; pale where the router is unsure")
LOAD_HEADING = ("Expert load over training", "share of the inputs each expert processed")
DECISION_HEADING = ("Decision boundaries", "predicted class, dots are validation points")
EXPERT_MAPS_HEADING = ("Each expert on its own", "its decision boundary over the whole plane; bright where the "
                       "router sends points to it, faded where its answer is never used")
DIGITS_HEADING = ("What each expert sees", "the average validation digit routed to it first (count below)")
LOAD_NOTE = "Colours as in the routing map. A band that thins to nothing is an expert dying."
BIAS_HEADING = ("Loss-free balancing bias", "each expert's selection bias over training (lines) and now (bars)")
BIAS_NOTE = ("After every step an expert chosen more than the average loses γ and one chosen less gains γ "
             "(DeepSeek-V3). The bias only shifts which experts are chosen; the gates never see it.")
BIAS_OFF = ("The loss-free balancing bias is off in this run (γ = 0): set \u201cLoss-free balancing bias rate "
            "γ\u201d, or choose the Balanced preset, to watch it push load from busy experts to idle ones.")
BATCH_HEADING = ("One training batch, routed together", "as a training step routes it, so capacity and expert "
                 "choice act")
DIGIT_STRIP_HEADING = ("Point at a digit", "two validation digits of each class")
_COMPONENTS = Path(__file__).parent / "components"
_PLAY_ROW = (f"[data-testid='stHorizontalBlock']:has(> [data-testid='stColumn'] > [data-testid='stVerticalBlock'] "
             f"> .st-key-{K.PLAY})")
PHONE_CSS = (
    "<style>@media (max-width: 700px) {"
    # the live views (routing map, its answers, load) before the eight figure cards: map right under Play
    f".st-key-{K.IMBALANCE_BOX} {{order: 1;}}"
    # the sentence under the title after the run (the phone's first screen is for the map)
    f"[data-testid='stLayoutWrapper']:has(> .st-key-{K.INTRO}), .st-key-{K.INTRO} {{order: 1;}}"
    # Play, Pause, Step and Reset on one row (Streamlit stacks columns on a phone), the speed on the next
    f"{_PLAY_ROW} {{flex-wrap: wrap; gap: 0.4rem;}}"
    f"{_PLAY_ROW} > [data-testid='stColumn'] {{min-width: 0 !important; flex: 1 1 22% !important; "
    "width: auto !important;}"
    f"{_PLAY_ROW} > [data-testid='stColumn']:last-child {{flex-basis: 100% !important;}}"
    "}</style>")
"""Page CSS for phones (the columns' order itself is :func:`app.layout.phone_first`'s)."""
SPARSE_SPEED = ("Measured (bench/moe_speed.py, one CPU thread): a training step of 16 experts of width "
                "64 → 256 → 64, top-2, batch 1,024, with real sparse dispatch costs **0.10–0.12×** the dense "
                "\"every expert on every input, then mask\" step. Sparse compute is the point of a MoE: work "
                "per input follows the *active* parameters, capacity the *total*.")


def task_shape(config: MoEConfig) -> tuple[int, int]:
    """``(inputs, classes)`` of the config's task (digits: without loading them)."""
    if config.task == "digits":
        return DIGITS_SHAPE
    task = load_task(config.task, config.n_samples, config.task_noise, config.data_seed)
    return task.n_features, task.n_classes


def run_label(config: MoEConfig) -> str:
    """How the comparison table names a run: its preset (or "Custom") and seed."""
    return f"{preset_of(config) or 'Custom settings'}, seed {config.seed}"


def _finite(values) -> list[float]:
    return [float(v) if v is not None and math.isfinite(v) else 0.0 for v in values]


def _spark(values) -> list[float] | None:
    """The last ``SPARK_POINTS`` values for a metric's sparkline (None until there are two)."""
    values = _finite(values)[-SPARK_POINTS:]
    return values if len(values) >= 2 else None


def _pct(value) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.1%}"


def settle_note(trainer: MoETrainer):
    """``on_finish`` of the live controls: a note saying how the run ended and how balanced it was."""
    last = trainer.history_[-1] if trainer.history_ else None
    if trainer.status_ == "diverged":
        return "error", (f"{trainer.message_} Press Reset, choose a smaller learning rate (the presets use 0.05) "
                         "and press Play.")
    if last is None:
        return "info", trainer.message_ or "The run ended before its first record."
    summary = (f"Busiest expert {last.max_share:.0%} of the inputs, {last.dead} of {trainer.config.n_experts} "
               f"experts dead (< 1 %), validation accuracy {last.val_accuracy:.1%}.")
    level = "success" if trainer.status_ == "done" else "info"
    return level, f"{trainer.message_} {summary}"


def show_live(trainer: MoETrainer | None, config: MoEConfig, preview: MoETrainer | None) -> None:
    """The fast part (every live update): progress, imbalance figures, routing map, load over training."""
    shown = trainer or preview
    _status(trainer, config)
    cfg = shown.config if shown is not None else config
    _imbalance(shown, cfg)
    if shown is None:
        st.info("Press **Play** to load the handwritten digits and train; the load, the class × expert matrix and "
                "the curves appear as it learns.", icon="▶️")
    elif cfg.is_2d:
        task = shown.task_
        picture = figures.routing_picture(shown.routing_map(MAP_RESOLUTION), cfg.n_experts, task.x_val, task.bounds)
        routing = _heading(ROUTING_MAP_HEADING) + figures.inline_png(
            picture, alt="Routing map: the plane coloured by each point's top-1 expert") + PROBE_BOX
        # the routing map (with the answer to a click under it), the load chart and the bias in one element:
        # one message of every update instead of seven (columns, their boxes, headings and caption)
        _live_element(f'<div class="moe-grid"><div class="moe-routing">{routing}</div><div class="moe-load">'
                      f"{_load_chart(shown)}{_bias_view(shown)}</div></div>", probe.plane_payload(shown))
    else:
        strip = _heading(DIGIT_STRIP_HEADING) + _digit_strip() + PROBE_BOX
        _live_element(f'<div class="moe-grid"><div class="moe-digits">{strip}</div><div class="moe-load">'
                      f"{_load_chart(shown)}{_bias_view(shown)}</div></div>", probe.digits_payload(shown))
    if trainer is not None:
        _remember(trainer)


PROBE_BOX = '<div class="moe-probe" data-state="empty"></div>'
"""Where the browser writes the answer to a click (app/moe/components/moe_live.js)."""


def _live_element(markup: str, payload: str) -> None:
    """The live views as one element that also answers clicks (see :mod:`app.moe.probe`)."""
    own_component(_COMPONENTS, "moe_live")(key=K.LIVE_VIEWS, data={"svg": markup, "probe": payload})


@st.cache_data(show_spinner=False)
def _digit_strip_images() -> list[str]:
    """The strip's digits as PNG data URIs (the same validation rows for every run: :func:`probe.digit_rows`)."""
    x, y = digits_task().split("val")
    rows = [np.flatnonzero(y == c)[: probe.DIGITS_PER_CLASS] for c in range(10)]
    images = x[np.concatenate(rows)].reshape(-1, 28, 28)
    scale = np.maximum(images.max(axis=(1, 2), keepdims=True), 1e-6)
    return [figures.png_uri((255 - np.kron(im / s, np.ones((2, 2))) * 255).astype(np.uint8))
            for im, s in zip(images, scale, strict=True)]


def _digit_strip() -> str:
    cells = "".join(f'<img src="{uri}" data-index="{i}" alt="validation digit {i}" width="56" height="56">'
                    for i, uri in enumerate(_digit_strip_images()))
    return f'<div class="moe-digit-strip">{cells}</div>'


def _bias_view(trainer: MoETrainer) -> str:
    """HTML of the loss-free balancing bias (or a sentence saying it is off)."""
    cfg = trainer.config
    if cfg.bias_rate <= 0 or cfg.router == "expert_choice":
        off = BIAS_OFF if cfg.router != "expert_choice" else ("Expert choice balances by construction (every "
                                                             "expert takes the same number of inputs): no bias.")
        return f'<div class="moe-bias" data-state="off">{_note(off)}</div>'
    steps, bias = trainer.bias_history()
    return (f'<div class="moe-bias" data-state="on">{_heading(BIAS_HEADING)}'
            f"{svg.bias_chart(steps, bias, figures.EXPERT_COLORS)}{_note(BIAS_NOTE)}</div>")


def show_slower(shown: MoETrainer | None, config: MoEConfig) -> None:
    """The slower part: decision boundaries, expert maps or digits, class x expert, curves, parameters, runs."""
    cfg = shown.config if shown is not None else config
    last = shown.history_[-1] if shown is not None and shown.history_ else None
    if shown is not None and cfg.is_2d:
        _plane_views(shown)
    elif shown is not None:
        _digit_views(shown)
    if shown is not None:
        _batch_view(shown)
    if shown is not None and len(shown.history_) >= 2:
        _curves_and_matrix(shown)
    _params(cfg, last)
    _runs_table()


def _status(trainer: MoETrainer | None, config: MoEConfig) -> None:
    with st.container(key=K.STATUS_BOX):
        if trainer is None:
            st.progress(0.0, text="Ready: press Play or Step. The maps show the untrained model: every expert starts "
                                  "with a region of its own.")
            return
        label = {"ready": "Ready: press Play or Step", "training": f"Step {trainer.step_} of {trainer.config.steps}",
                 "done": f"Done: {trainer.step_} steps in {trainer.seconds_:.1f} s",
                 "diverged": f"Diverged at step {trainer.step_ + 1}",
                 "stopped": f"Stopped at step {trainer.step_}"}.get(trainer.status_, trainer.status_)
        st.progress(trainer.progress, text=f"{run_label(trainer.config)} · {label}")
        if trainer.config != config:
            st.caption("Showing the last run; the settings have changed since. Press Play to train with them.")


def _imbalance(shown: MoETrainer | None, config: MoEConfig) -> None:
    """The load-balance figures as cards with their history as sparklines, and one sentence: one element
    (:func:`app.moe.svg.metric_cards`; tests read the cards by their ``data-label``)."""
    history = shown.history_ if shown is not None else []
    last = history[-1] if history else None
    e = config.n_experts
    top = [("Max share", _pct(last.max_share if last else None),
            f"Share of the inputs the busiest expert processed since the last record. Even: {1 / e:.0%}; "
            f"collapsed onto one expert: 100 %.", _spark(r.max_share for r in history), "area"),
           ("Load CV", f"{last.cv:.2f}" if last else "–",
            "Coefficient of variation of the experts' loads (std / mean): 0 when even.",
            _spark(r.cv for r in history), "area"),
           ("Dead experts", f"{last.dead} of {e}" if last else "–",
            f"Experts that processed under {DEAD_SHARE:.0%} of the inputs since the last record.",
            _spark(r.dead for r in history), "bar"),
           ("Dropped", _pct(last.dropped_fraction if last else None),
            "Expert choice: inputs no expert picked. Top-k with a capacity factor: chosen (input, expert) pairs "
            "refused by a full expert. Dropped pairs get no output from that expert (only the shared experts' and "
            "the other chosen experts').", _spark(r.dropped_fraction for r in history), "area")]
    bottom = [("Gate entropy", f"{last.gate_entropy:.2f}" if last else "–",
               f"Mean entropy (nats) of the router's distribution over experts on the validation inputs: "
               f"{math.log(e):.2f} (ln {e}) when it cannot tell experts apart, 0 when certain.",
               _spark(r.gate_entropy for r in history), "line"),
              ("Validation accuracy", _pct(last.val_accuracy if last else None), "",
               _spark(r.val_accuracy for r in history), "line"),
              ("Training loss", f"{last.train_loss:.3f}" if last else "–", "",
               _spark(r.train_loss for r in history), "line"),
              ("Step", f"{shown.step_ if shown is not None else 0}", "Optimizer steps trained (one batch each).",
               None, "line")]
    summary = ""
    if last is not None:
        busiest = int(np.argmax(last.shares))
        summary = (f"<strong>{escape(run_label(shown.config))}</strong>, step {last.step}: expert {busiest} takes "
                   f"<strong>{last.max_share:.0%}</strong> of the inputs (an even share is {1 / e:.0%}); "
                   f"<strong>{last.dead} of {e}</strong> experts are dead; load CV <strong>{last.cv:.2f}</strong>.")
    inline_picture(svg.metric_cards([top, bottom], summary), key=K.IMBALANCE_BOX)


def _plane_views(trainer: MoETrainer) -> None:
    task, cfg = trainer.task_, trainer.config
    points, labels = task.x_val, task.y_val
    names = [("moe", "Mixture of experts")]
    if trainer.dense_ is not None:
        counts = trainer.param_counts()
        names += [("dense_active", f"Dense, same active ({counts.dense_active_params} parameters)"),
                  ("dense_total", f"Dense, same total ({counts.dense_total_params} parameters)")]
    pictures = []
    for model, title in names:
        dm = trainer.decision_map(MAP_RESOLUTION, model)
        pictures.append((figures.decision_picture(dm["label"], dm["confidence"], task.n_classes, points, labels,
                                                  task.bounds), title))
    _gallery(pictures, K.DECISION_MAP_BOX, DECISION_HEADING, per_row=3)
    maps = trainer.expert_maps(EXPERT_RESOLUTION)
    shares = trainer.history_[-1].shares if trainer.history_ else None
    pictures = []
    for i in range(cfg.n_experts):
        share = f" · {shares[i]:.0%}" if shares is not None else ""
        pictures.append((figures.decision_picture(maps["label"][i], maps["confidence"][i], task.n_classes,
                                                  owned=maps["owned"][i], side=120), f"E{i}{share}"))
    for s in range(len(maps["shared_label"])):
        pictures.append((figures.decision_picture(maps["shared_label"][s], maps["shared_confidence"][s],
                                                  task.n_classes, side=120), f"Shared {s}"))
    _gallery(pictures, K.EXPERT_MAPS_BOX, EXPERT_MAPS_HEADING)


def batch_caption(trainer: MoETrainer, unserved: int, partly: int, size: int, capacity: int | None, rule: str) -> str:
    """The sentence under the batch view: what the rule is and what it did to this batch."""
    cfg = trainer.config
    if rule == "expert_choice":
        return (f"Expert choice: each of the {cfg.n_experts} experts takes its {capacity} favourite inputs of the "
                f"{size}. {unserved} inputs ({unserved / size:.0%}) were picked by no expert (black crosses): they "
                "get no routed expert's output this step.")
    if rule == "capacity":
        lost = f"{unserved} inputs ({unserved / size:.0%}) lost every chosen expert (black crosses)"
        if cfg.top_k > 1:
            lost += f" and {partly} lost some (black rings)"
        return (f"Capacity factor {cfg.capacity_factor:g}: an expert takes at most {capacity} of the {size} inputs "
                f"(⌈{cfg.capacity_factor:g} × {size} × {cfg.top_k} / {cfg.n_experts}⌉); first choices first, larger "
                f"gates first. {lost}.")
    return ("No capacity limit: every input reaches its chosen experts, so nothing is dropped. Set a capacity "
            "factor (or choose the Capacity limit or Expert choice preset) to see drops.")


def _batch_view(trainer: MoETrainer) -> None:
    """One fixed training batch routed together (engine: :meth:`MoETrainer.batch_view`), drops marked."""
    x, _, batch = trainer.batch_view()
    size = len(x)
    unserved, partly = int(batch.unserved.sum()), int(batch.partly_dropped.sum())
    first = np.where(batch.dropped | (batch.experts < 0), np.iinfo(np.int64).max, np.arange(batch.experts.shape[1]))
    slot = first.argmin(1)
    first_expert = np.maximum(batch.experts[np.arange(size), slot], 0)
    bars = svg.batch_bars(batch.requested, batch.load, batch.capacity, figures.EXPERT_COLORS)
    parts = [bars]
    if trainer.config.is_2d:
        parts.insert(0, svg.batch_plane(x, first_expert, batch.unserved, batch.partly_dropped,
                                        trainer.task_.bounds, figures.EXPERT_COLORS))
    cells = "".join(f"<div>{part}</div>" for part in parts)
    text = batch_caption(trainer, unserved, partly, size, batch.capacity, batch.rule)
    inline_picture(f'<div class="moe-batch" data-rule="{batch.rule}" data-unserved="{unserved}" '
                   f'data-partly="{partly}" data-size="{size}">{_heading(BATCH_HEADING)}'
                   f'<div style="display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start">{cells}</div>'
                   f"{_note(text)}</div>", key=K.BATCH_BOX)


def _heading(markdown_bold: tuple[str, str]) -> str:
    """HTML for a view's heading, styled like the page's ``**Title**: text`` Markdown headings."""
    title, text = markdown_bold
    return (f'<p style="margin:0 0 0.5rem;font-size:1rem;line-height:1.6"><strong>{escape(title)}</strong>: '
            f'{escape(text)}</p>')


def _picture(image: np.ndarray, name: str, caption: str = "", alt: str = "",
             heading: tuple[str, str] | None = None) -> None:
    """A rendered picture, inline (see :func:`app.moe.figures.inline_png`), through our own element
    (:mod:`app.html_view`: Markdown with raw HTML costs the browser real time on every update).
    A ``heading`` (title, text) travels in the same element: one message per update instead of two."""
    markup = figures.inline_png(image, caption, alt)
    inline_picture(_heading(heading) + markup if heading else markup, key=f"{K.PICTURE}_{name}")


def _gallery(pictures: list[tuple[np.ndarray, str]], key: str, heading: tuple[str, str],
             per_row: int = 8) -> None:
    """A heading and pictures with captions in rows of ``per_row``, as one element (one message and one
    component for the browser; ``st.columns`` made every picture a column, a picture and a message)."""
    cells = "".join(f"<div>{figures.inline_png(picture, caption)}</div>" for picture, caption in pictures)
    grid = (f'<div style="display:grid;grid-template-columns:repeat({per_row},minmax(0,1fr));gap:0.75rem">'
            f"{cells}</div>")
    inline_picture(_heading(heading) + grid, key=key)


def _digit_views(trainer: MoETrainer) -> None:
    cfg = trainer.config
    x, _ = trainer.task_.split("val")
    top = trainer.route(x, batch=False)[0][:, 0]
    means = figures.mean_images(x, top, cfg.n_experts)
    counts = np.bincount(top[top >= 0], minlength=cfg.n_experts)
    _gallery([((np.kron(means[e], np.ones((3, 3), dtype=np.float32)) * 255).astype(np.uint8),
               f"E{e} · {counts[e]}") for e in range(cfg.n_experts)], K.EXPERT_MAPS_BOX, DIGITS_HEADING)


def _load_chart(trainer: MoETrainer, width: int = 430) -> str:
    """HTML of the load over training: heading, stacked shares (SVG) and caption."""
    heading = _heading(LOAD_HEADING)
    if len(trainer.history_) < 2:
        return heading + _note(f"Appears after the second record (one every {trainer.config.eval_every} steps). "
                               "Press Play or Step.")
    steps = [r.step for r in trainer.history_]
    shares = np.array([r.shares for r in trainer.history_], dtype=np.float32)
    return heading + svg.stacked_area(steps, shares, figures.EXPERT_COLORS, width=width) + _note(LOAD_NOTE)


def _note(text: str) -> str:
    """HTML for a caption under a view, styled like ``st.caption``."""
    return f'<p style="margin:0.25rem 0 0;font-size:0.875rem;color:rgba(49,51,63,0.6)">{escape(text)}</p>'


def _curves_and_matrix(trainer: MoETrainer) -> None:
    h = trainer.history_
    steps = [r.step for r in h]
    moe, active, total, extra = "#e8553e", "#1f77b4", "#2ca02c", "#9467bd"
    accuracy = {"MoE, validation": ([r.val_accuracy for r in h], moe, "none"),
                "MoE, training": ([r.train_accuracy for r in h], moe, "2 3"),
                "Dense, same active": ([r.dense_active_val_accuracy for r in h], active, "6 3"),
                "Dense, same total": ([r.dense_total_val_accuracy for r in h], total, "6 3")}
    accuracy = {name: line for name, line in accuracy.items() if any(v is not None for v in line[0])}
    loss = {"Validation": ([r.val_loss for r in h], moe, "none"), "Training": ([r.train_loss for r in h], moe, "2 3")}
    if any(r.aux_loss for r in h):
        loss["Switch balancing loss"] = ([r.aux_loss for r in h], extra, "6 3")
    if any(r.z_loss for r in h):
        loss["Router z-loss"] = ([r.z_loss for r in h], "#8c564b", "6 3")
    what = "digit" if trainer.config.task == "digits" else "class"
    matrix = _heading(("Class × expert", f"where each {what}'s validation inputs go first")) + svg.heat_grid(
        trainer.class_expert_matrix("val"), what)
    # the two curves and the matrix side by side in one element (one message instead of seven)
    row = "".join(f"<div>{part}</div>" for part in (
        svg.line_chart(steps, accuracy, True, "Accuracy (dense models: validation)"),
        svg.line_chart(steps, loss, False, "Loss (cross-entropy)"), matrix))
    inline_picture(f'<div style="display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:1rem">{row}</div>',
                   key=K.CURVES_BOX)


def _params(config: MoEConfig, last) -> None:
    """Total vs active parameters and FLOPs per input, with the dense comparisons' accuracy beside."""
    counts = count_params(config, *task_shape(config))
    moe_acc = last.val_accuracy if last else None
    accuracies = [moe_acc, moe_acc, last.dense_active_val_accuracy if last else None,
                  last.dense_total_val_accuracy if last else None]
    rows = [(name, f"{params:,}", f"{flops:,}", _pct(acc) if acc is not None or not last else "not trained")
            for (name, params, flops), acc in zip(counts.as_rows(), accuracies, strict=True)]
    with st.container(key=K.PARAMS_BOX):
        st.markdown("**Parameter accounting**: what a sparse model buys")
        table = pd.DataFrame(rows, columns=["Model", "Parameters", "FLOPs per input", "Validation accuracy"])
        st.table(table, hide_index=True)
        st.caption(f"Each input uses {counts.active:,} of {counts.total:,} parameters "
                   f"({counts.active / counts.total:.0%}): the router ({counts.router:,}), "
                   f"{counts.active_experts:g} routed expert(s) of {counts.per_expert:,} each"
                   + (f" and the shared experts ({counts.shared:,})" if counts.shared else "")
                   + ". FLOPs count multiply-adds twice and skip biases and activations.")
        st.caption(SPARSE_SPEED)


def _remember(trainer: MoETrainer) -> None:
    """Keep this run's latest numbers for the comparison table (one row per distinct config, latest first)."""
    if not trainer.history_:
        return
    runs: dict = st.session_state.setdefault(K.RUNS, {})
    last = trainer.history_[-1]
    runs.pop(trainer.config, None)
    runs[trainer.config] = {
        "Run": run_label(trainer.config), "Step": last.step, "Max share": _pct(last.max_share),
        "Load CV": f"{last.cv:.2f}", "Dead": f"{last.dead} of {trainer.config.n_experts}",
        "Dropped": _pct(last.dropped_fraction), "Gate entropy": f"{last.gate_entropy:.2f}",
        "Validation accuracy": _pct(last.val_accuracy)}
    while len(runs) > RUNS_KEPT:
        runs.pop(next(iter(runs)))


def _runs_table() -> None:
    runs = st.session_state.get(K.RUNS)
    if not runs:
        return
    with st.container(key=K.RUNS_BOX):
        st.markdown("**Your runs this session**: the imbalance each one measured (latest record)")
        st.table(pd.DataFrame(list(reversed(runs.values()))), hide_index=True)
