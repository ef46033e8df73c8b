"""The page's glue: the engine's warm-up, presets, the run's lifecycle, export / import, the page's style."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from app.layout import PHONE_MAX_PX, projector_on
from app.live import LiveRun, forward, replace_trainer
from app.playground import figures
from app.playground import keys as K
from app.playground.own_data import version
from app.playground.settings import DATASET_LABELS, REG_DATASET_LABELS, Hider, apply_config
from app.resources import training_slots
from engine.playground import PairTrainer, PlaygroundConfig, Trainer, make_dataset, warm_up
from engine.playground.presets import PRESETS


@st.cache_resource(show_spinner="Compiling the training loops (once per server start)…")
def warm_engine() -> float:
    """Compile (or load from numba's cache) the engine's kernels once per server process."""
    return warm_up()


@st.cache_data
def thumbnails() -> dict[str, str]:
    """A small picture of each data set, classification and regression (noise 0, seed 0; a regression's points
    coloured by their target on the same scale)."""
    return {name: figures.thumbnail(*make_dataset(name, None, 0, 0), size=56)
            for name in (*DATASET_LABELS, *REG_DATASET_LABELS)}




def phone_css() -> str:
    """On a phone (app.layout puts the main column first) the live view (notes, Play, the numbers, the network
    and the output map) comes before the settings bar, presets and options of that column, and Play's row stays
    one row. Streamlit stacks containers as flex items: ``order`` moves them without changing the desktop's."""
    def wrapped(key: str) -> str:  # a keyed container is one flex item of its parent (in its layout wrapper)
        return f"[data-testid='stLayoutWrapper']:has(> .st-key-{key}), .st-key-{key}"

    picture = f".st-key-{K.PICTURE_BOX}"
    return (f"@media (max-width: {PHONE_MAX_PX}px) {{"
            f" {wrapped(K.PICTURE_BOX)} {{order: -1;}}"
            # Play, Pause, Step, Reset and Speed stay one row (Streamlit stacks columns on a narrow screen)
            f" {picture} [data-testid='stHorizontalBlock'] {{flex-wrap: nowrap; gap: 0.3rem;}}"
            f" {picture} [data-testid='stColumn'] {{min-width: 0 !important; width: auto !important;}}"
            f" {picture} [data-testid='stColumn'] button {{padding: 0.25rem 0.3rem; min-height: 2.2rem;}}"
            f" {picture} [data-testid='stMetricValue'] {{font-size: 1.5rem;}} }}"
            # a wide screen: less blank above the title, so that data, network and output fit 900 px
            f"@media (min-width: {PHONE_MAX_PX + 1}px) {{ [data-testid='stMainBlockContainer'] "
            "{padding-top: 3.2rem;} }")


def page_style(hider: Hider) -> None:
    css = f".st-key-{K.HIDDEN_BOX} {{display: none;}} " + phone_css()
    if st.session_state.get(K.LARGE_FONT) or projector_on():
        css += ("[data-testid='stMainBlockContainer'] p, [data-testid='stMainBlockContainer'] label "
                "{font-size: 1.35rem !important;} "
                "[data-testid='stMetricValue'] {font-size: 2.8rem !important;}")
    st.html(f"<style>{css}</style>")


def _reset(run: LiveRun, trainer) -> None:
    replace_trainer(run, trainer)


def make_trainer(config: PlaygroundConfig, b_config: PlaygroundConfig | None, points) -> Trainer | PairTrainer:
    a = Trainer(config, points)
    if b_config is None:
        return a
    return PairTrainer(a, Trainer(b_config, points))


def _key(config: PlaygroundConfig, b_config: PlaygroundConfig | None, points) -> tuple:
    """What a run is built from, the learning rates aside (they change without a reset)."""
    return (replace(config, learning_rate=0.0), None if b_config is None else replace(b_config, learning_rate=0.0),
            version(points))


def ensure_trainer(run: LiveRun, config: PlaygroundConfig, b_config: PlaygroundConfig | None, points) -> None:
    """The run belongs to the current settings: any change but the learning rate starts a fresh (paused) run,
    as in the original; a learning-rate change takes effect in the running network."""
    key = _key(config, b_config, points)
    if run.trainer is None or st.session_state.get(K.RUN_CONFIG) != key:
        _reset(run, make_trainer(config, b_config, points))
        st.session_state[K.RUN_CONFIG] = key
        return
    pairs = [("a", config), ("b", b_config)] if isinstance(run.trainer, PairTrainer) else [("", config)]
    for part, wanted in pairs:
        trainer = getattr(run.trainer, part) if part else run.trainer
        if trainer.learning_rate != wanted.learning_rate:  # a worker training it gets the new rate too
            forward(run, f"{part}.set_learning_rate" if part else "set_learning_rate", wanted.learning_rate)


def _apply_preset(name: str) -> None:
    preset = PRESETS.get(name)
    if preset is None:
        return
    a, _ = PlaygroundConfig.from_params(preset.params)
    b = PlaygroundConfig.from_params({**preset.params, **preset.b})[0] if preset.b else None
    apply_config(a, b)
    if b is None:
        st.session_state[K.COMPARE] = False


def _on_preset() -> None:
    _apply_preset(st.session_state.get(K.PRESET))


def apply_preset_from_link() -> None:
    """A link naming only a preset (``/playground?playground_preset=ReLU+vs+Tanh``) opens with its settings."""
    if st.session_state.get("playground_preset_read"):
        return
    st.session_state["playground_preset_read"] = True
    name = st.query_params.get(K.PRESET)
    if name in PRESETS and not any(k.startswith(K.PREFIX) and k != K.PRESET for k in st.query_params):
        _apply_preset(name)


def preset_section() -> None:
    names = list(PRESETS)
    cols = st.columns([1.2, 2.4], vertical_alignment="center")
    name = cols[0].selectbox("Lesson preset", names, index=None, key=K.PRESET, bind="query-params",
                             placeholder="Choose a lesson…", on_change=_on_preset,
                             help="Ready-made setups for a lecture; the comparisons open in compare mode.")
    if name in PRESETS:
        cols[1].info(PRESETS[name].lesson, icon="🎓")


def _on_import() -> None:
    file = st.session_state.get(K.IMPORT)
    if file is None:
        return
    try:
        trainer = Trainer.from_json(file.getvalue())
    except ValueError as err:
        st.session_state["playground_import_error"] = str(err)
        return
    st.session_state.pop("playground_import_error", None)
    apply_config(trainer.config)
    st.session_state[K.COMPARE] = False
    st.session_state[K.DATA_SOURCE] = "generated"
    from app.live import live_run

    run = live_run(K.PREFIX)
    _reset(run, trainer)
    st.session_state[K.RUN_CONFIG] = _key(trainer.config, None, None)


def export_import_section(run: LiveRun) -> None:
    """Download the trained network (config, weights, loss history) as JSON; load one back."""
    with st.expander("Export / import the network", key=K.EXPORT_BOX):
        trainer = run.trainer
        if isinstance(trainer, PairTrainer):
            trainer = trainer.a
        if trainer is not None and not run.playing:
            st.download_button("Download network (JSON)", trainer.to_json(), file_name="network.json",
                               mime="application/json", key=K.EXPORT, on_click="ignore",
                               help="Settings, every weight and bias, and the loss per epoch. The data is "
                                    "rebuilt from the seed when it is loaded.")
        elif trainer is not None:
            st.caption("Pause to download the network.")
        st.file_uploader("Load a network (JSON)", type=["json"], key=K.IMPORT, on_change=_on_import)
        error = st.session_state.get("playground_import_error")
        if error:
            st.error(f"Not loaded: {error}")


def epoch_count(trainer) -> int:
    return 0 if trainer is None else int(np.int64(trainer.epoch))


def clear_run(run: LiveRun) -> None:
    """Settings that cannot train (no features, too few own points): no run, no stale pictures."""
    if run.trainer is not None:
        _reset(run, None)
    st.session_state.pop(K.RUN_CONFIG, None)


def _on_step_epoch() -> None:
    from app.live import live_run

    run = live_run(K.PREFIX)
    if run.trainer is not None and not run.trainer.finished and not run.playing:
        with training_slots().slot(run.owner, wait=10.0) as admission:
            if admission.granted:
                run.trainer.train_epochs(1)


def step_epoch_button(run: LiveRun, disabled: bool) -> None:
    """The original's step button: exactly one epoch (the live controls' Step trains one update's worth)."""
    st.button("+1 epoch", key=K.STEP_EPOCH, on_click=_on_step_epoch, disabled=disabled or run.playing,
              help="Train exactly one epoch, as the original's step button does.")


TIPS = (
    "**Features can replace layers**: on the circle, turn on X₁² and X₂² and set 0 hidden layers — one neuron "
    "is enough.",
    "**Depth for the spiral**: with X₁, X₂ only, 1 layer of 2 neurons fails; 3 layers of 8 wind around the arms "
    "(preset \"Spiral needs depth\").",
    "**Each neuron is a region**: in the first layer every square is a straight split of the plane (with tanh) or "
    "a ramp (ReLU); later layers combine them.",
    "**Overfitting**: spiral, noise 50, training ratio 10 %, a big network — the training loss falls while "
    "the test loss rises (preset \"Overfitting\").",
    "**Learning rate**: 3 or 10 makes the loss jump or diverge; change it while playing — it takes effect at once.",
    "**Regularization**: L1 sets useless links to exactly zero (dashed); L2 only shrinks them.",
)


def tips() -> None:
    with st.expander("What to try"):
        st.markdown("\n".join(f"- {t}" for t in TIPS))
