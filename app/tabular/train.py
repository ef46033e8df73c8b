"""Training live: Play / Pause / Step / Reset on the shared controls, the curves per round with the best round
marked, early stopping's patience, the test set scored once at the end, and one tree's default directions.

The run lives in this session's :class:`app.live.LiveRun` under the prefix ``tabular``; a training
worker sends a light view (history, status, best round) while it plays and the whole trainer
when it stops, so the sections that need the model (explain, export) read it from there.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import html_view
from app.live import LiveRun, live_controls, live_run, replace_trainer
from app.resources import training_slots
from app.tabular import keys as K
from app.tabular.figures import curve_svg, metric_label
from engine.live import run_to_end
from engine.tabular.data import Table
from engine.tabular.split import Split, digits_split, split_rows
from engine.tabular.trainer import TabularConfig, TabularTrainer, trees_frame

LIVE_SPEEDS = {"slow": 0.02, "normal": 0.08, "fast": 0.3}
"""Seconds of boosting per screen update: slow is about one round per update on Bank Marketing."""
FIT_SLOT_WAIT = 30.0
COMPACT_CONTROLS = (
    "<style>@media (max-width: 640px) {"
    f".st-key-{K.CONTROLS_BOX} [data-testid='stHorizontalBlock'] {{flex-wrap: wrap; gap: 0.4rem;}}"
    f".st-key-{K.CONTROLS_BOX} [data-testid='stHorizontalBlock'] > [data-testid='stColumn'] "
    "{min-width: 0 !important; flex: 1 1 22% !important; width: auto !important;}"
    f".st-key-{K.CONTROLS_BOX} [data-testid='stHorizontalBlock'] > [data-testid='stColumn']:last-child "
    "{flex-basis: 100% !important;}"
    "}</style>"
)
"""On a phone Streamlit stacks columns: Play, Pause, Step and Reset then fill the first screen before any
curve. Here the four buttons share one row (the speed slider takes the next), so the curves follow at once."""


def make_split(table: Table, dataset: str, seed: int) -> Split:
    """The digits use the digit page's own validation rows (so the CNN comparison is on the same digits)."""
    return digits_split(table, seed) if dataset == "digits" else split_rows(table, seed=seed)


def split_sentence(table: Table, split: Split, dataset: str) -> str:
    n = len(table.y)
    parts = (f"**{len(split.train):,}** training rows ({len(split.train) / n:.0%}) grow the trees, "
             f"**{len(split.valid):,}** validation rows ({len(split.valid) / n:.0%}) decide when to stop and which "
             f"settings win, **{len(split.test):,}** test rows ({len(split.test) / n:.0%}) are scored once, at the "
             "end, when you ask")
    how = ("stratified by class" if table.task != "regression" else "stratified by the target's deciles")
    extra = (" The validation digits are the digit page's own (its 10 % split with the same seed)."
             if dataset == "digits" else "")
    return f"{parts}; {how}, seed {split.seed}.{extra}"


def run_of() -> LiveRun:
    return live_run(K.PREFIX)


def model_of(run: LiveRun) -> TabularTrainer | None:
    """The run's whole trainer when it has at least one round and is not playing (a worker holds it then)."""
    trainer = run.trainer
    if run.playing or not isinstance(trainer, TabularTrainer) or not trainer.history_:
        return None
    return trainer


def fit_now(run: LiveRun, table: Table, split: Split, config: TabularConfig) -> str | None:
    """Train a run to its end here (in a CPU slot) and make it the page's run; return an error or None."""
    with training_slots().slot(run.owner, wait=FIT_SLOT_WAIT) as admission:
        if not admission.granted:
            return "The server is busy training other models: try again in a moment. " + admission.describe()
        trainer = TabularTrainer(table, split, config)
        run_to_end(trainer, max_seconds=1.0)
    replace_trainer(run, trainer)
    return None


def need_model(run: LiveRun, table: Table, split: Split, config: TabularConfig, where: str) -> TabularTrainer | None:
    """The run's model, or an explanation and a "Train to the end now" button."""
    trainer = model_of(run)
    if trainer is not None:
        return trainer
    if run.playing:
        st.info(f"Training is running: {where} appears when you press Pause or when it ends.", icon="⏳")
        return None
    st.info(f"{where} needs a trained model: press Play on the **Train** tab, or train one to the end here "
            "with the current settings.", icon="▶️")
    if st.button("Train to the end now", key=f"{K.FIT_NOW}_{where.split()[0].lower()}",
                 help="Early stopping on the validation rows, as Play would, without the live curves."):
        with st.spinner("Boosting until the validation score stops improving…"):
            error = fit_now(run, table, split, config)
        if error:
            st.warning(error)
            return None
        st.rerun()
    return None


def best_round(trainer) -> int | None:
    """The best round, counted from 1 as the curves and messages count (None before the first round)."""
    best = getattr(trainer, "best_round_", -1)
    return None if best is None or best < 0 else int(best) + 1


def _values(history: list, part: str, metric: str) -> list[float | None]:
    return [record.get(part, {}).get(metric) for record in history]


def _settle(trainer) -> tuple[str, str]:
    level = "error" if trainer.status_ == "diverged" else "success" if trainer.status_ == "done" else "info"
    return level, trainer.message_ or f"Finished after {len(trainer.history_)} rounds."


def _show(trainer, config: TabularConfig) -> None:
    with st.container(key=K.LIVE_BOX):
        if trainer is None:
            st.info("Press **Play** to boost one round at a time and watch the training and validation curves "
                    "grow (Step adds one update's worth). Early stopping ends the run when the validation score "
                    "stops improving.", icon="▶️")
            return
        history = list(trainer.history_)
        run_config = getattr(trainer, "config", config)
        best = best_round(trainer)
        patience = run_config.early_stopping
        rounds = [int(r["round"]) + 1 for r in history]
        done = len(history)
        text = f"Round {done} of at most {run_config.n_rounds} · {trainer.status_}"
        if best is not None and patience:
            text += f" · best round {best}, {trainer.rounds_since_best} of {patience} rounds without improvement"
        st.progress(min(1.0, float(trainer.progress)), text=text)
        if run_config != config:
            st.caption("This run uses the settings it started with; press Reset to train with the current ones.")
        if not history:
            return
        metrics = list(history[-1].get("valid", {}))
        stopping = getattr(trainer, "metric_", None)
        if stopping in metrics:  # the metric early stopping watches comes first
            metrics.remove(stopping)
            metrics.insert(0, stopping)
        with st.container(key=K.CURVES_BOX, horizontal=True):
            for metric in metrics:
                html_view.svg(curve_svg(rounds, _values(history, "train", metric), _values(history, "valid", metric),
                                        metric, best), key=f"tabular_curve_{metric}")
        numbers = st.container(horizontal=True, key="tabular_numbers")  # under the curves, side by side
        numbers.metric("Rounds", f"{done}")
        numbers.metric("Best round", "—" if best is None else f"{best}",
                       help="The round with the best validation score (the first metric); the model keeps the trees up "
                            "to it.")
        main = getattr(trainer, "metric_", None) or (metrics[0] if metrics else None)
        if main is not None:
            at = history[best - 1] if best is not None and 0 < best <= len(history) else history[-1]
            value = at.get("valid", {}).get(main)
            numbers.metric(f"Validation {metric_label(main)} at best", "—" if value is None else f"{value:.4f}")
        last = history[-1]
        where = "the GPU (CUDA)" if getattr(trainer, "device_", "cpu") == "cuda" else \
            f"the CPU ({run_config.n_jobs} thread{'s' * (run_config.n_jobs != 1)})"
        st.caption("Last round: " + " · ".join(
            f"{metric_label(m)} train {last['train'].get(m, float('nan')):.4f}, validation {last['valid'][m]:.4f}"
            for m in metrics) + f". XGBoost trains on {where}.")


def live_section(table: Table | None, split: Split | None, config: TabularConfig, reason: str | None) -> LiveRun:
    """The live controls and curves; ``reason`` (no table yet) disables Play."""

    def make() -> TabularTrainer:
        return TabularTrainer(table, split, config)

    st.markdown(COMPACT_CONTROLS, unsafe_allow_html=True)
    with st.container(key=K.CONTROLS_BOX):
        return live_controls(K.PREFIX, make, _settle, lambda t: _show(t, config), speeds=LIVE_SPEEDS,
                             disabled_reason=reason)


def _score(trainer: TabularTrainer) -> None:
    """Score the test rows (a callback, so the button is drawn disabled in the same run)."""
    try:
        trainer.score_test()
    except Exception as err:  # noqa: BLE001
        st.session_state[K.TEST_SCORES] = str(err)


def test_section(run: LiveRun) -> None:
    """Score the test rows once, at the end of a run, on request."""
    with st.container(key=K.TEST_BOX):
        trainer = run.trainer
        finished = isinstance(trainer, TabularTrainer) and trainer.finished and bool(trainer.history_)
        if isinstance(trainer, TabularTrainer) and not trainer.finished and trainer.history_ and not run.playing:
            if st.button("Stop here and keep this model", key="tabular_stop_here",
                         help="End the run at this round (the model keeps the trees up to its best round), so the "
                              "test set can be scored."):
                trainer.stop()
                st.rerun()
        scored = finished and getattr(trainer, "test_scored_", False)
        st.button("🎯 Score the test set", key=K.SCORE_TEST, type="primary", disabled=not finished or scored,
                  on_click=_score, args=(trainer,),
                  help="Once, at the end: the test rows were never used to grow trees, stop early or choose "
                       "settings, so this is the honest estimate. Scoring again after changing settings would make "
                       "the test set one more validation set.")
        if not finished:
            st.caption("The test rows stay unseen until a run has finished (or you stop it); then score them once.")
            return
        error = st.session_state.pop(K.TEST_SCORES, None)
        if error:
            st.error(f"The test set could not be scored: {error}")
        if getattr(trainer, "test_scored_", False):
            scores = trainer.score_test()  # cached: the rows are scored once
            used = trainer.rounds_used
            st.success(f"Test set, scored once with the model of round {used}: "
                       + " · ".join(f"{metric_label(k)} **{v:.4f}**" for k, v in scores.items()), icon="🎯")
            valid = trainer.history_[used - 1].get("valid", {})
            if valid:
                st.caption("Validation at the same round: " + " · ".join(
                    f"{metric_label(k)} {v:.4f}" for k, v in valid.items())
                           + ". A test score a little worse than validation is normal: the validation rows chose "
                             "the stopping round.")


def tree_section(trainer: TabularTrainer, table: Table) -> None:
    """One tree's splits with the branch each sends missing values down (XGBoost's learned default direction)."""
    with st.container(key=K.TREE_BOX):
        try:
            frame = trees_frame(trainer)
        except Exception as err:  # noqa: BLE001
            st.warning(f"The trees could not be read: {err}")
            return
        n_trees = int(frame["Tree"].max()) + 1
        tree = st.number_input("Tree", 0, n_trees - 1, 0, key="tabular_tree_index", bind="query-params",
                               help="Trees in the order they were grown (with several classes, one tree per class "
                                    "per round).")
        nodes = frame[(frame["Tree"] == tree) & (frame["Feature"] != "Leaf")]
        missing_share = table.X.isna().mean()
        rows = []
        for _, node in nodes.iterrows():
            feature = node["Feature"]
            condition = (f"in {{{node['Category']}}}" if isinstance(node.get("Category"), list | tuple)
                         else f"< {node['Split']:.4g}")
            rows.append({"node": node["ID"], "split": f"{feature} {condition}",
                         "missing goes": node["Default"],
                         "rows missing it": f"{missing_share.get(feature, 0.0):.1%}",
                         "gain": round(float(node["Gain"]), 2), "cover": round(float(node["Cover"]), 1)})
        st.caption(f"Tree {tree} of {n_trees}: every split stores where rows **without** a value go. XGBoost "
                   "learns it while growing the tree: it tries sending the missing rows left and right and keeps "
                   "the side with the larger gain. Nothing is imputed.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="tabular_tree_table")
        with_missing = [r for r in rows if r["rows missing it"] != "0.0%"]
        if with_missing:
            left = sum(r["missing goes"] == "left" for r in with_missing)
            st.markdown(f"{len(with_missing)} of this tree's {len(rows)} splits are on features with missing "
                        f"values: {left} send them left (the yes branch), {len(with_missing) - left} right.")
        else:
            st.caption("No split of this tree is on a feature with missing values here (try \"Treat unknown as "
                       "missing\" on Bank Marketing): the stored direction is then never used on these rows.")
