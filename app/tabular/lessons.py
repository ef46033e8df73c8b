"""Lessons that need two real fits (native categories against one-hot; with and without a leaking feature)
and the digit page's CNN trained on the same digits as XGBoost. Each runs on a button, with a spinner, and
its result is kept in this session under the table and the settings it was made with."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from app.resources import training_slots
from app.tabular import keys as K
from app.tabular.figures import metric_label
from engine.tabular.data import Table
from engine.tabular.split import Split
from engine.tabular.trainer import TabularConfig, compare_categorical, leakage_lesson

SLOT_WAIT = 30.0
CNN_EPOCHS = 5


def _results() -> dict:
    return st.session_state.setdefault(K.RESULTS, {})


def _in_slot(owner: str, work):
    """Run ``work()`` inside one of the server's training slots; None (and a warning) if none came free."""
    with training_slots().slot(owner, wait=SLOT_WAIT) as admission:
        if admission.granted:
            return work()
    st.warning("The server is busy training other models: try again in a moment. " + admission.describe())
    return None


def _score_line(part: dict) -> str:
    return " · ".join(f"{metric_label(k)} {v:.4f}" for k, v in part["score"].items())


def compare_section(table: Table, split: Split, config: TabularConfig, signature: tuple, owner: str) -> None:
    with st.container(key=K.COMPARE_BOX):
        n_cat = sum(k == "categorical" for k in table.kinds.values())
        st.caption("XGBoost can split a categorical column into two *groups* of categories (`enable_categorical`), "
                   "or you can one-hot encode it first: one 0/1 column per category, each split then separates one "
                   "category from all the others. Two real fits with the current settings, the same split.")
        if n_cat == 0:
            st.info("This table has no categorical column, so both encodings give the same columns. Bank "
                    "Marketing has nine.")
        key = ("compare", signature, config)
        if st.button("Fit both", key=K.COMPARE_RUN, help="Two full fits with early stopping (a few seconds on Bank "
                                                        "Marketing)."):
            with st.spinner("Fitting with native categories, then with one-hot columns…"):
                result = _in_slot(owner, lambda: compare_categorical(table, split, config))
            if result is not None:
                _results()[key] = {k: {f: v for f, v in part.items() if f != "trainer"} for k, part in result.items()}
        result = _results().get(key)
        if result is None:
            return
        cols = st.columns(2)
        for col, (kind, label) in zip(cols, (("native", "Native categories"), ("onehot", "One-hot columns")),
                                      strict=True):
            part = result[kind]
            metric = part["metric"]
            with col, st.container(border=True, key=f"tabular_compare_{kind}"):
                st.markdown(f"**{label}**: {part['n_columns']:,} columns")
                st.metric(f"Validation {metric_label(metric)}", f"{part['score'][metric]:.4f}")
                st.metric("Seconds", f"{part['seconds']:.2f}")
                st.metric("Trees kept", f"{part['n_trees']:,}", help=f"Best round {part['best_round'] + 1} of "
                                                                      f"{part['rounds']} trained.")
                st.caption(_score_line(part))
        a, b = result["native"], result["onehot"]
        faster = "native" if a["seconds"] < b["seconds"] else "one-hot"
        st.markdown(f"The {faster} fit was quicker ({a['seconds']:.2f} s against {b['seconds']:.2f} s); one-hot "
                    f"made XGBoost scan {b['n_columns']:,} columns instead of {a['n_columns']:,}.")


def leakage_section(table_with: Table | None, split: Split | None, config: TabularConfig, signature: tuple,
                    owner: str, feature: str = "duration") -> None:
    with st.container(key=K.LEAK_BOX):
        st.markdown(f"**A lesson in leakage.** Bank Marketing's `{feature}` is the length of the last call, in "
                    "seconds. It predicts the answer very well, because a client who says yes stays on the phone. "
                    "But it is only known **after** the call has ended, when the answer is known too: a model "
                    "that uses it cannot be used to decide whom to call.")
        if table_with is None or split is None or feature not in table_with.features:
            st.info(f"Choose Bank Marketing to see the lesson on `{feature}`. For your own CSV, the page refuses "
                    "a feature that predicts the target (nearly) perfectly and names it; ask yourself of every "
                    "column whether it is known at the moment you would predict.")
            return
        key = ("leak", signature, config)
        if st.button(f"Fit with and without `{feature}`", key=K.LEAK_RUN,
                     help="Two full fits, same split and settings, one of them without the feature."):
            with st.spinner(f"Fitting with `{feature}`, then without it…"):
                result = _in_slot(owner, lambda: leakage_lesson(table_with, split, config, feature))
            if result is not None:
                _results()[key] = {k: ({f: v for f, v in part.items() if f != "trainer"} if isinstance(part, dict)
                                       else part) for k, part in result.items()}
        result = _results().get(key)
        if result is None:
            return
        with_, without = result["with"], result["without"]
        main = "auc" if "auc" in with_["score"] else with_["metric"]
        cols = st.columns(2)
        for col, (label, part) in zip(cols, ((f"With `{feature}`", with_), (f"Without `{feature}` (honest)",
                                                                             without)), strict=True):
            with col, st.container(border=True):
                st.markdown(f"**{label}**")
                st.metric(f"Validation {metric_label(main)}", f"{part['score'][main]:.4f}")
                st.caption(_score_line(part))
        drop = with_["score"][main] - without["score"][main]
        st.markdown(f"Without `{feature}` the validation {metric_label(main)} is **{abs(drop):.4f} "
                    f"{'lower' if drop > 0 else 'higher'}**. The second number is the honest one: it is what the "
                    "model can do with what is known *before* the call, which is when the bank must decide. The "
                    "first is a promise no deployed model could keep. The dataset's authors say as much: "
                    f"`{feature}` \"should only be included for benchmark purposes\".")


def digits_section(table: Table, split: Split, trainer, owner: str) -> None:
    """XGBoost on raw pixels beside the digit page's CNN trained on the same training rows, scored on the same
    validation rows (a real training run on a button, not a number from elsewhere)."""
    with st.container(key=K.DIGITS_BOX):
        st.markdown("**How much of our earlier learning applies here?** XGBoost sees 784 independent numbers; the "
                    "digit page's CNN sees a picture, with convolutions that know neighbouring pixels belong "
                    "together.")
        xgb_accuracy = None
        if trainer is not None and trainer.history_:
            record = trainer.history_[trainer.rounds_used - 1]["valid"]
            if "merror" in record:
                xgb_accuracy = 1.0 - record["merror"]
        key = ("cnn", split.seed, tuple(split.train[:5]), len(split.train))
        if st.button(f"Train the digit page's CNN on the same {len(split.train):,} digits ({CNN_EPOCHS} epochs)",
                     key=K.CNN_RUN, help="The digit page's default network (LeNet-5 sized) trained on exactly "
                                         "XGBoost's training rows and validated on its validation rows. About half "
                                         "a minute on one core."):
            result = _in_slot(owner, lambda: _train_cnn(table, split))
            if result is not None:
                _results()[key] = result
        cnn = _results().get(key)
        n_valid = len(split.valid)
        if cnn is None:
            line = (f"XGBoost on raw pixels: **{xgb_accuracy:.1%}** of the {n_valid:,} validation digits right. "
                    if xgb_accuracy is not None else "Train XGBoost (Play) for its score. ")
            st.markdown(line + "Train the CNN with the button for its score on the same digits.")
            return
        cnn_accuracy, seconds = cnn
        if xgb_accuracy is None:
            st.markdown(f"The CNN gets **{cnn_accuracy:.1%}** of the {n_valid:,} validation digits right "
                        f"(trained in {seconds:.0f} s). Train XGBoost (Play) to compare.")
            return
        better = "CNN" if cnn_accuracy > xgb_accuracy else "XGBoost"
        st.success(f"On the same {n_valid:,} validation digits, XGBoost on raw pixels is right **{xgb_accuracy:.1%}**"
                   f" of the time and the digit page's CNN **{cnn_accuracy:.1%}** ({CNN_EPOCHS} epochs, "
                   f"{seconds:.0f} s): the {better} is ahead by {abs(cnn_accuracy - xgb_accuracy):.1%}.", icon="🔢")


def _train_cnn(table: Table, split: Split) -> tuple[float, float]:
    from dataclasses import replace

    from engine.digits.data import DigitData
    from engine.digits.train import DEFAULT_CONFIG, DigitTrainer

    images = (table.X.to_numpy(dtype=np.float32) / 255.0).reshape(-1, 28, 28)
    labels = np.asarray(table.y, dtype=np.int64)
    data = DigitData(images[split.train], labels[split.train], images[split.valid], labels[split.valid],
                     "the tabular page's split")
    trainer = DigitTrainer(replace(DEFAULT_CONFIG, epochs=CNN_EPOCHS, seed=split.seed), data, device="cpu")
    bar = st.progress(0.0, text="Training the CNN…")
    start = time.perf_counter()
    while not trainer.finished:
        trainer.step(0.5)
        bar.progress(min(1.0, trainer.progress), text=f"Training the CNN: epoch {trainer.epoch_ + 1} of "
                                                      f"{CNN_EPOCHS}")
    bar.empty()
    return float(trainer.history_[-1].val_accuracy), time.perf_counter() - start
