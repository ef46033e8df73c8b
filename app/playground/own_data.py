"""Your own data: upload a CSV of points, or click points onto the plane (a small component of our own).

The points live in this session only (``st.session_state``), never in the link.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from app.playground import keys as K
from app.playground.canvas import bump_revision, point_canvas
from engine.playground.upload import MAX_BYTES, MAX_POINTS, MIN_POINTS, parse_points_csv

SOURCES = {"generated": "Generated data set", "own": "Your own points"}


def points() -> tuple[np.ndarray, np.ndarray] | None:
    value = st.session_state.get(K.POINTS)
    return value if isinstance(value, tuple) and len(value) == 2 else None


def version(value) -> str:
    """A short fingerprint of the own points (a new set resets the run)."""
    if value is None:
        return ""
    X, y = value
    return hashlib.sha1(np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()[:12]


def _on_upload(problem: str) -> None:
    file = st.session_state.get(K.UPLOAD)
    if file is None:
        return
    try:
        X, y, notes = parse_points_csv(file.getvalue(), problem)
    except ValueError as err:
        st.session_state["playground_upload_error"] = str(err)
        return
    st.session_state.pop("playground_upload_error", None)
    st.session_state[K.POINTS] = (X, y)
    bump_revision()
    st.session_state["playground_upload_notes"] = notes


def _on_clear() -> None:
    st.session_state[K.POINTS] = None
    st.session_state.pop("playground_upload_notes", None)
    bump_revision()


def own_data_section(problem: str) -> tuple[bool, tuple | None, str | None]:
    """Draw the data source choice; return ``(own, points, why_not)`` (``why_not`` blocks training)."""
    with st.container(key=K.OWN_DATA_BOX):
        source = st.radio("Data source", list(SOURCES), 0, key=K.DATA_SOURCE, format_func=SOURCES.get,
                          horizontal=True, help="Your own points stay in this browser session (not in the link).")
        if source != "own":
            return False, None, None
        st.file_uploader(f"CSV with x1, x2, label (≤ {MAX_POINTS:,} points, ≤ {MAX_BYTES // 1_000_000} MB)",
                         type=["csv", "txt"], key=K.UPLOAD, on_change=_on_upload, args=(problem,),
                         help="Coordinates in [-6, 6]; labels −1/1 or 0/1 (classification) or numbers in [-1, 1] "
                              "(regression). A header row is allowed.")
        error = st.session_state.get("playground_upload_error")
        if error:
            st.error(f"Not loaded: {error}")
        for note in st.session_state.get("playground_upload_notes", []):
            st.caption(note)
        with st.container():
            label = st.segmented_control("Clicks add", ["blue (+1)", "orange (−1)", "erase"], default="blue (+1)",
                                         key=K.CLICK_LABEL)
            current = points()
            clicked = point_canvas(K.CANVAS, current, {"blue (+1)": 1, "orange (−1)": -1}.get(label or "", 0))
            if clicked is not None:
                st.session_state[K.POINTS] = clicked
        st.button("Clear my points", key=K.CLEAR_POINTS, on_click=_on_clear)
        current = points()
        n = 0 if current is None else len(current[0])
        st.caption(f"{n} point(s).")
        if n < MIN_POINTS:
            return True, None, f"Add at least {MIN_POINTS} points of your own (upload a CSV or click on the plane)."
        if problem == "classification" and len(np.unique(current[1])) < 2:
            return True, None, "Your points are all one class: add points of the other colour."
        return True, current, None
