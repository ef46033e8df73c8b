"""'Train your own' on the draw-a-digit page: settings, live progress, results.

Training advances in bounded ticks inside a fragment that reruns itself while a
run is active, so the Stop button (and everything else on the page) stays live.
The trainer and the resulting model live in this session's state only.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app import figures as common
from app.digits import figures
from app.digits import keys as K
from app.digits.models import request_model
from app.digits.resources import pen_style_digits, training_digits
from engine.digits.evaluate import evaluate
from engine.digits.model import ACTIVATIONS
from engine.digits.train import DEFAULT_CONFIG, DigitTrainer, TrainConfig

TICK_SECONDS = 0.6
"""Training time per fragment run: long enough to amortise the rerun, short enough for a live Stop."""
PEN_STYLE_FRACTION = 0.4
"""Synthetic pen-style digits per epoch, as a fraction of the training digits, when switched on."""
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.005, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def read_config(disabled: bool = False) -> TrainConfig:
    """The hyperparameter widgets, as a frozen config (greyed out while a run is in progress)."""
    d = DEFAULT_CONFIG
    c1, c2, c3 = st.columns(3)
    with c1:
        conv1 = st.slider("Filters in conv 1", 1, 32, d.arch.conv1_filters, key=K.DIGITS_TRAIN_CONV1,
                          disabled=disabled)
        conv2 = st.slider("Filters in conv 2", 1, 64, d.arch.conv2_filters, key=K.DIGITS_TRAIN_CONV2,
                          disabled=disabled)
        kernel = st.select_slider("Kernel size", [3, 5, 7], d.arch.kernel_size, key=K.DIGITS_TRAIN_KERNEL,
                                  disabled=disabled, help="Side of each convolution filter.")
    with c2:
        fc = st.slider("Fully-connected width", 8, 256, d.arch.fc1_units, key=K.DIGITS_TRAIN_FC, disabled=disabled,
                       help="Units in Fully-connected 1; Fully-connected 2 gets 70% of that.")
        activation = st.selectbox("Activation", list(ACTIVATIONS), list(ACTIVATIONS).index(d.arch.activation),
                                  key=K.DIGITS_TRAIN_ACTIVATION, disabled=disabled)
        epochs = st.slider("Epochs", 1, 30, d.epochs, key=K.DIGITS_TRAIN_EPOCHS, disabled=disabled,
                           help="Passes over the training digits.")
    with c3:
        lr = st.select_slider("Learning rate", LEARNING_RATES, d.learning_rate, key=K.DIGITS_TRAIN_LR,
                              disabled=disabled,
                              help="Peak Adam learning rate (one-cycle schedule). Try 0.3 to watch the units die, "
                                   "3 or 10 to watch the loss explode.")
        batch = st.select_slider("Batch size", [16, 32, 64, 128, 256], d.batch_size, key=K.DIGITS_TRAIN_BATCH,
                                 disabled=disabled)
        augment = st.toggle("Augmentation", d.augment, key=K.DIGITS_TRAIN_AUGMENT, disabled=disabled,
                            help="Randomly rotate, scale, shear and shift each digit every time it is seen.")
        pen = st.toggle("Add pen-style digits", False, key=K.DIGITS_TRAIN_PEN_STYLE, disabled=disabled,
                        help="Mix in synthetic digits drawn like on a canvas (flagged 1s, crossed 7s…): better on "
                             "drawings, a little slower.")
    arch = replace(d.arch, conv1_filters=conv1, conv2_filters=conv2, kernel_size=kernel, fc1_units=fc,
                   fc2_units=fc2_width(fc), activation=activation)
    return replace(d, arch=arch, epochs=epochs, learning_rate=lr, batch_size=batch, augment=augment,
                   extra_fraction=PEN_STYLE_FRACTION if pen else 0.0)


def fc2_width(fc1: int) -> int:
    """Fully-connected 2 is 70% as wide as Fully-connected 1 (LeNet-5's 120 -> 84)."""
    return max(8, round(fc1 * 0.7))


def train_section() -> None:
    with st.container(key=K.DIGITS_TRAIN_BOX):
        data = training_digits()
        st.caption(f"Training data: {data.source}: {len(data.y_train):,} to train on, "
                   f"{len(data.y_val):,} held out for validation.")
        trainer: DigitTrainer | None = st.session_state.get(K.DIGITS_TRAINER)
        running = trainer is not None and not trainer.finished
        config = read_config(disabled=running)
        b1, b2, b3, b4 = st.columns(4)
        if b1.button("Start training", key=K.DIGITS_TRAIN_START, type="primary", disabled=running):
            extra = pen_style_digits() if config.extra_fraction > 0 else None
            trainer = DigitTrainer(config, data, extra=extra)
            st.session_state[K.DIGITS_TRAINER] = trainer
            st.session_state[K.DIGITS_TRAIN_NOTE] = None
            st.rerun()  # redraw the buttons (Start off, Stop on) and start the live fragment
        if b2.button("Step", key=K.DIGITS_TRAIN_STEP, disabled=trainer is None or trainer.finished,
                     help="Train one more slice (about half a second) and stop."):
            trainer.step(max_seconds=TICK_SECONDS)
            _finish_if_done(trainer)
            if trainer.finished:
                st.rerun()  # redraw Start/Step/Stop and the model switch
        if b3.button("Stop", key=K.DIGITS_TRAIN_STOP, disabled=not running):
            trainer.stop()
            _finish_if_done(trainer)
            st.rerun()  # redraw Start/Step/Stop, which were drawn while still running
        if b4.button("Use the shipped model", key=K.DIGITS_TRAIN_USE_SHIPPED,
                     disabled=st.session_state.get(K.DIGITS_MODEL_CHOICE, "Shipped") == "Shipped"):
            request_model("Shipped")
            st.rerun()
        _progress_fragment(running)
        _results()


def _finish_if_done(trainer: DigitTrainer) -> bool:
    """When a run ends: adopt the model unless it diverged; remember what to tell the user.

    Returns True when the page must rerun to switch to the new model.
    """
    if not trainer.finished or st.session_state.get(K.DIGITS_TRAIN_NOTE) is not None:
        return False
    if trainer.status_ == "diverged" or not trainer.history_:
        level = "error" if trainer.status_ == "diverged" else "warning"
        text = trainer.message_ if trainer.status_ == "diverged" else (
            trainer.message_ + " No epoch finished, so the model in use did not change.")
        st.session_state[K.DIGITS_TRAIN_NOTE] = (level, text)
        return False
    if not trainer.learned:
        accuracy = trainer.history_[-1].val_accuracy
        st.session_state[K.DIGITS_TRAIN_NOTE] = (
            "error", f"The network did not learn: validation accuracy {accuracy:.0%} is chance level (10%). "
                     f"With a learning rate of {trainer.config.learning_rate:g} the first steps jump so far that "
                     "the units stop responding. Try a smaller learning rate. The model in use did not change.")
        return False
    model = trainer.model(info={"name": "your trained model"})
    data = training_digits()
    report = evaluate(model, data.x_val, data.y_val)
    st.session_state[K.DIGITS_USER_MODEL] = model
    st.session_state[K.DIGITS_USER_REPORT] = report
    request_model("Yours")
    st.session_state[K.DIGITS_TRAIN_NOTE] = (
        "success", f"{trainer.message_} Validation accuracy {report.accuracy:.1%}. The canvas now uses your model.")
    return True


def _progress_fragment(running: bool) -> None:
    @st.fragment(run_every=0.1 if running else None)
    def progress() -> None:
        trainer: DigitTrainer | None = st.session_state.get(K.DIGITS_TRAINER)
        if trainer is None:
            st.caption("Set the hyperparameters and press Start. Training runs on this server's CPU; you can keep "
                       "drawing while it runs.")
            return
        was_running = not trainer.finished
        if was_running:
            trainer.step(max_seconds=TICK_SECONDS)
        last = trainer.history_[-1] if trainer.history_ else None
        label = f"Epoch {min(trainer.epoch_ + 1, trainer.config.epochs)} of {trainer.config.epochs}"
        if trainer.finished:
            label = f"{trainer.status_.capitalize()}: {len(trainer.history_)} epoch(s)"
        st.progress(trainer.progress, text=label)
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Epochs done", f"{len(trainer.history_)}")
        m2.metric("Validation accuracy", f"{last.val_accuracy:.1%}" if last else "–")
        m3.metric("Training loss", f"{last.train_loss:.3f}" if last else "–")
        m4.metric("Time", f"{trainer.seconds_:.1f} s")
        if trainer.history_:
            left, right = st.columns(2)
            left.plotly_chart(figures.training_curves(trainer.history_, "loss"), key="digits_train_loss",
                              config={"displayModeBar": False})
            right.plotly_chart(figures.training_curves(trainer.history_, "accuracy"), key="digits_train_acc",
                               config={"displayModeBar": False})
        if was_running and trainer.finished:
            _finish_if_done(trainer)
            st.rerun(scope="app")

    progress()


def _results() -> None:
    note = st.session_state.get(K.DIGITS_TRAIN_NOTE)
    if note:
        getattr(st, note[0])(note[1])
    report = st.session_state.get(K.DIGITS_USER_REPORT)
    if report is None:
        return
    st.markdown("**Your model on the validation digits**")
    left, right = st.columns([1, 1])
    left.plotly_chart(figures.confusion_figure(report.confusion), key="digits_confusion",
                      config={"displayModeBar": False})
    with right:
        data = training_digits()
        wrong = report.wrong[:24]
        if len(wrong) == 0:
            st.success("No validation digit was misclassified.")
        else:
            st.markdown(f"**Misclassified: {len(report.wrong)}** (most confident mistakes first)")
            st.image(common.tile_images(data.x_val[wrong], columns=8, scale=2), width="stretch")
            st.caption("  ".join(f"{data.y_val[i]}→{report.predicted[i]}" for i in wrong))
