"""'Train your own' on the draw-a-digit page: settings, live progress, results.

Training runs on the shared live controls (:mod:`app.live`): Play, Pause, Step,
Reset, in bounded ticks inside a server-wide CPU slot, so drawing stays live
while it trains. The trainer and the resulting model live in this session's
state only.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app import figures as common
from app import html_view
from app.digits import figures
from app.digits import keys as K
from app.digits.models import request_model
from app.digits.resources import pen_style_digits, training_digits
from app.live import live_controls, live_run, take_back
from engine.digits.evaluate import evaluate
from engine.digits.model import ACTIVATIONS
from engine.digits.train import DEFAULT_CONFIG, LEARNED_ACCURACY, DigitTrainer, TrainConfig

LIVE_UPDATE_SECONDS = 0.15
"""How often a training tab asks for the newest snapshot: a training worker shared by five runs sends each
about six to eight a second, and every request the page makes costs the web process a rerun of its fragment
(about 8 ms), whether or not a new snapshot has arrived. At 0.1 s five trainers cost the server 0.4 cores."""
PEN_STYLE_FRACTION = 0.4
"""Synthetic pen-style digits per epoch, as a fraction of the training digits, when switched on."""
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.005, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def read_config(disabled: bool = False) -> TrainConfig:
    """The hyperparameter widgets, as a frozen config (greyed out while a run is in progress)."""
    d = DEFAULT_CONFIG
    shared = dict(disabled=disabled, bind="query-params")  # every setting lives in the URL (shareable)
    c1, c2, c3 = st.columns(3)
    with c1:
        conv1 = st.slider("Filters in conv 1", 1, 32, d.arch.conv1_filters, key=K.DIGITS_TRAIN_CONV1,
                          **shared)
        conv2 = st.slider("Filters in conv 2", 1, 64, d.arch.conv2_filters, key=K.DIGITS_TRAIN_CONV2,
                          **shared)
        kernel = st.select_slider("Kernel size", [3, 5, 7], d.arch.kernel_size, key=K.DIGITS_TRAIN_KERNEL,
                                  **shared, help="Side of each convolution filter.")
    with c2:
        fc = st.slider("Fully-connected width", 8, 256, d.arch.fc1_units, key=K.DIGITS_TRAIN_FC, **shared,
                       help="Units in Fully-connected 1; Fully-connected 2 gets 70% of that.")
        activation = st.selectbox("Activation", list(ACTIVATIONS), list(ACTIVATIONS).index(d.arch.activation),
                                  key=K.DIGITS_TRAIN_ACTIVATION, **shared)
        epochs = st.slider("Epochs", 1, 30, d.epochs, key=K.DIGITS_TRAIN_EPOCHS, **shared,
                           help="Passes over the training digits.")
    with c3:
        lr = st.select_slider("Learning rate", LEARNING_RATES, d.learning_rate, key=K.DIGITS_TRAIN_LR,
                              **shared,
                              help="Peak Adam learning rate (one-cycle schedule). Try 0.3 to watch the units die, "
                                   "3 or 10 to watch the loss explode.")
        batch = st.select_slider("Batch size", [16, 32, 64, 128, 256], d.batch_size, key=K.DIGITS_TRAIN_BATCH,
                                 **shared)
        augment = st.toggle("Augmentation", d.augment, key=K.DIGITS_TRAIN_AUGMENT, **shared,
                            help="Randomly rotate, scale, shear and shift each digit every time it is seen.")
        pen = st.toggle("Add pen-style digits", False, key=K.DIGITS_TRAIN_PEN_STYLE, **shared,
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
        run = live_run(K.DIGITS_TRAIN)
        config = read_config(disabled=run.in_progress)
        if run.in_progress:
            st.caption("These settings belong to the run in progress: press Reset to change them.")

        def make_trainer() -> DigitTrainer:
            extra = pen_style_digits() if config.extra_fraction > 0 else None
            return DigitTrainer(config, data, extra=extra)

        run = live_controls(K.DIGITS_TRAIN, make_trainer, _settle, _show, update_seconds=LIVE_UPDATE_SECONDS)
        finish, shipped = st.columns(2)
        finish.button("Finish now and use this model", key=K.DIGITS_TRAIN_FINISH, on_click=_finish_now,
                      args=(run,), disabled=not run.in_progress or (not run.playing and run.trainer.progress == 0),
                      help="End the run here (paused or playing). The model is checked on the validation digits "
                           "first and used only if it learned something.")
        shipped.button("Use the shipped model", key=K.DIGITS_TRAIN_USE_SHIPPED, on_click=request_model,
                       args=("Shipped",),
                       disabled=st.session_state.get(K.DIGITS_MODEL_CHOICE, "Shipped") == "Shipped")
        _results()


def _finish_now(run) -> None:
    take_back(run)  # a worker training it hands the whole trainer back (the page holds only its progress)
    if run.trainer is not None and not run.trainer.finished:
        run.trainer.stop()


def _settle(trainer: DigitTrainer):
    """A run ended: adopt its model if a fresh check on the validation digits says it learned.

    Returns the note to show. The decision never uses the last epoch's numbers (a
    run stopped mid-epoch has moved on since): the model is evaluated now.
    """
    if trainer.status_ == "diverged":
        return "error", trainer.message_
    if trainer.batch_ == 0 and not trainer.history_:
        return "warning", trainer.message_ + " Nothing was trained, so the model in use did not change."
    model = trainer.model(info={"name": "your trained model"})
    data = training_digits()
    report = evaluate(model, data.x_val, data.y_val)
    if report.accuracy <= LEARNED_ACCURACY and trainer.status_ == "stopped":
        trained = trainer.epoch_ * trainer.batches_per_epoch_ + trainer.batch_
        return "warning", (f"Stopped after {trained} batches: validation accuracy (checked now) "
                           f"{report.accuracy:.0%} is still near chance level (10%), so the model in use did not "
                           "change. Let it train longer before finishing.")
    if report.accuracy <= LEARNED_ACCURACY:
        return "error", (f"The network did not learn: validation accuracy {report.accuracy:.0%} is chance level "
                         f"(10%). With a learning rate of {trainer.config.learning_rate:g} the first steps jump so "
                         "far that the units stop responding. Try a smaller learning rate. The model in use did not "
                         "change.")
    st.session_state[K.DIGITS_USER_MODEL] = model
    st.session_state[K.DIGITS_USER_REPORT] = report
    request_model("Yours")
    return "success", (f"{trainer.message_} Validation accuracy (checked now) {report.accuracy:.1%}. The canvas now "
                       "uses your model.")


def _show(trainer: DigitTrainer | None) -> None:
    """Progress, metrics and curves of the run (called on every live update)."""
    if trainer is None:
        st.caption("Set the hyperparameters and press Play. Training runs on this server's CPU; you can keep "
                   "drawing while it runs, pause it, or step through it.")
        return
    last = trainer.history_[-1] if trainer.history_ else None
    label = f"Epoch {min(trainer.epoch_ + 1, trainer.config.epochs)} of {trainer.config.epochs}"
    if trainer.finished:
        label = f"{trainer.status_.capitalize()}: {len(trainer.history_)} epoch(s)"
    elif trainer.status_ == "ready":
        label = "Ready: press Play or Step"
    st.progress(trainer.progress, text=label)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Epochs done", f"{len(trainer.history_)}")
    m2.metric("Validation accuracy", f"{last.val_accuracy:.1%}" if last else "–")
    m3.metric("Training loss", f"{last.train_loss:.3f}" if last else "–")
    m4.metric("Batches trained", f"{trainer.epoch_ * trainer.batches_per_epoch_ + trainer.batch_}",
              f"{trainer.seconds_:.1f} s", delta_color="off", delta_arrow="off")
    if trainer.history_:
        html_view.svg(figures.training_curves(trainer.history_), key="digits_train_curves")


def _results() -> None:
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
