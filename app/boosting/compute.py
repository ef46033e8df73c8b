"""Fitted ensembles for the page, cached by their settings, with a progress bar for slow ones.

Each session keeps its few most recent ensembles (:data:`KEPT`; the leaf-update tab adds two) keyed by their
frozen config, so scrubbing the stage, selecting a tree or toggling a view never
refits, and going back to a previous setting is instant. A fit that is not
cached grows tree by tree; after :data:`QUIET_SECONDS` a progress bar appears
and is updated between trees. Every update is a point where Streamlit can stop
this run when the student moves a slider again, so a stale fit is abandoned
within one update instead of piling up behind the new one.

Fits are training too: each update grows its trees inside one of the server-wide
CPU slots (:func:`app.resources.training_slots`, the live ticks' slots), so thirty
students moving sliders at once queue for the cores instead of fitting thirty
ensembles in parallel. While it waits, the bar says how many are ahead.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable

import numpy as np
import streamlit as st

from app.boosting import keys as K
from app.resources import training_slots
from engine.boosting import BoostingConfig, BoostingTrainer, EnsembleViews
from engine.scheduler import Admission, SlotScheduler

KEPT = 4
QUIET_SECONDS = 0.3
"""Fits shorter than this show no progress bar."""
UPDATE_SECONDS = 0.15
SLOT_WAIT = 0.25
"""How long one update of a fit waits for a CPU slot before it redraws the queue and asks again."""


def _cache(key: str) -> dict:
    cache = st.session_state.get(key)
    if not isinstance(cache, dict):
        cache = st.session_state[key] = {}
    return cache


def grow(config: BoostingConfig, slots: SlotScheduler, owner: Hashable,
         on_update: Callable[[BoostingTrainer, Admission], None] | None = None,
         wait: float = SLOT_WAIT) -> EnsembleViews:
    """Grow the ensemble of ``config`` tree by tree, each update of at most :data:`UPDATE_SECONDS` inside a slot
    of ``slots``; ``on_update(trainer, admission)`` is called after every update or refused request (the page
    draws its progress there, which is also where Streamlit can stop a stale fit). Leaves the queue on exit."""
    trainer = BoostingTrainer(config)
    try:
        while not trainer.finished:
            with slots.slot(owner, wait=wait) as admission:
                if admission.granted:
                    trainer.step(UPDATE_SECONDS)
            if on_update is not None:
                on_update(trainer, admission)
    finally:
        slots.leave(owner)  # a fit stopped while queued must not hold a place
    return trainer.views()


def _owner() -> str:
    if not isinstance(st.session_state.get(K.FIT_OWNER), str):
        st.session_state[K.FIT_OWNER] = f"fit-{uuid.uuid4().hex}"
    return st.session_state[K.FIT_OWNER]


def views_for(config: BoostingConfig, label: str = "Growing trees") -> EnsembleViews:
    """The ensemble of ``config`` with every stage's views (cached per session)."""
    cache = _cache(K.CACHE)
    if config in cache:
        cache[config] = cache.pop(config)  # most recent last
        return cache[config]
    start, bar = time.perf_counter(), None

    def progress(trainer: BoostingTrainer, admission: Admission) -> None:
        nonlocal bar
        if trainer.finished or (admission.granted and time.perf_counter() - start <= QUIET_SECONDS):
            return
        text = f"{label}: {trainer.n_built} of {config.n_trees}"
        if not admission.granted:
            text += f" — {admission.describe()}"
        if bar is None:
            bar = st.progress(trainer.progress, text=text)
        else:
            bar.progress(trainer.progress, text=text)

    views = grow(config, training_slots(), _owner(), progress)
    if bar is not None:
        bar.empty()
    cache[config] = views
    while len(cache) > KEPT:
        cache.pop(next(iter(cache)))
    return views


@st.cache_data(show_spinner=False, max_entries=64)
def compare_maps(dataset: str, rotate_deg: int, resolution: int, n_trees: int, seed: int) -> dict:
    """One deep decision tree and a random forest (scikit-learn) on the same data and grid.

    Returns ``{name: (probability map (R, R), train log-loss, test log-loss, test accuracy)}``.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    from engine.boosting.data import train_test, view_bounds
    from engine.boosting.losses import log_loss
    from engine.boosting.trainer import grid_points

    x, y, xt, yt = train_test(dataset, rotate_deg)
    grid = grid_points(view_bounds(x, xt), resolution)
    models = {
        "One deep tree": DecisionTreeClassifier(random_state=seed),
        f"Random forest ({n_trees} trees)": RandomForestClassifier(n_estimators=n_trees, random_state=seed,
                                                                   n_jobs=1),
    }
    out = {}
    for name, model in models.items():
        model.fit(x, y)
        p_grid = model.predict_proba(grid)[:, 1].reshape(resolution, resolution)
        p_train, p_test = model.predict_proba(x)[:, 1], model.predict_proba(xt)[:, 1]
        out[name] = (p_grid.astype(np.float32), log_loss(p_train, y), log_loss(p_test, yt),
                     float(np.mean((p_test > 0.5) == yt)))
    return out
