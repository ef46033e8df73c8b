"""Warm a freshly started server process before students reach it (a school's restarted process).

A process that has just started answers its health check in about a second, but the first
session to open the digit page then waits for the imports (torch, the engines) and the shipped
model: a restarted school process made its first students wait about 6 s. With
``ML_PLAYGROUND_WARM_UP=1`` (set by ``scripts/school.py`` for its processes) the entry script
loads all of that in the process's first run, whichever page it is for; the school keeps the
process out of HAProxy's rotation until that first run (its own) has ended.
"""

from __future__ import annotations

import os
import time

import streamlit as st

WARM_UP_ENV = "ML_PLAYGROUND_WARM_UP"


def wanted() -> bool:
    return os.environ.get(WARM_UP_ENV, "") == "1"


@st.cache_resource(show_spinner="Starting up…")
def warm_up() -> float:
    """Load once per process what every page's first student would wait for; returns the seconds it took."""
    started = time.perf_counter()
    import importlib

    for page in ("digits", "playground", "boosting", "moe"):  # each page's sections, and the engines they import
        for module in ("figures", "views", "training", "guess", "layers"):
            try:
                importlib.import_module(f"app.{page}.{module}")
            except ModuleNotFoundError:
                pass
    import xgboost  # noqa: F401 - the boosting pages import it on first use

    from app.digits.resources import shipped_model, training_digits
    from app.resources import training_pool

    shipped_model()
    training_digits()
    pool = training_pool()
    if pool is not None:
        pool.wait_ready()
    return time.perf_counter() - started
