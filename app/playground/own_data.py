"""Your own data: upload a CSV of points, or click points onto the output map.

The clicks land on the live view's output map (:mod:`app.playground.board`), over the network's
current answer, as a student expects: :func:`apply_click_event` turns one click into a change of
the points. The points live in this session only (``st.session_state``), never in the link.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from app.playground import keys as K
from engine.playground.data import DOMAIN
from engine.playground.upload import MAX_BYTES, MAX_POINTS, MIN_POINTS, parse_points_csv

SOURCES = {"generated": "Generated data set", "own": "Your own points"}
CLICK_LABELS = {"blue (+1)": 1, "orange (−1)": -1, "erase": 0}
ERASE_RADIUS = 0.6
"""A click in erase mode removes the nearest point within this distance (plane units)."""


def click_label() -> int:
    """What a click on the map does now: +1 or −1 adds a point of that class, 0 erases."""
    return CLICK_LABELS.get(st.session_state.get(K.CLICK_LABEL) or "", 0)


Points = tuple[np.ndarray, np.ndarray]


def apply_click(current: Points | None, x, y, label: int) -> Points | None:
    """The points after one click at ``(x, y)``: a point of class ``label`` (±1) added, clamped to the plane and
    rounded to 0.01; or (``label`` 0) the nearest point within :data:`ERASE_RADIUS` removed. None when the click
    changes nothing (junk coordinates, nothing near to erase, already :data:`MAX_POINTS` points)."""
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        return None
    if not np.isfinite([x, y]).all() or label not in (-1, 0, 1):
        return None
    X, v = current if current is not None else (np.zeros((0, 2)), np.zeros(0))
    if label == 0:
        if not len(X):
            return None
        d = np.hypot(X[:, 0] - x, X[:, 1] - y)
        i = int(np.argmin(d))
        if d[i] > ERASE_RADIUS:
            return None
        return np.delete(X, i, axis=0), np.delete(v, i)
    if len(X) >= MAX_POINTS:
        return None
    point = np.round(np.clip([x, y], -DOMAIN, DOMAIN), 2)
    return np.vstack([X, point[None, :]]), np.append(v, float(label))


def apply_click_event(event) -> bool:
    """Apply the live view's click trigger ``{"x", "y", "id"}`` to the own points, once per click; return True
    for a new click (whether or not it changed the points: the map must be redrawn either way, to drop the dot it
    drew while waiting)."""
    if not isinstance(event, dict) or event.get("id") in (None, st.session_state.get(K.CLICKS_SEEN)):
        return False
    st.session_state[K.CLICKS_SEEN] = str(event.get("id"))
    changed = apply_click(points(), event.get("x"), event.get("y"), click_label())
    if changed is not None:
        st.session_state[K.POINTS] = changed
    return True


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
    st.session_state["playground_upload_notes"] = notes


def _on_clear() -> None:
    st.session_state[K.POINTS] = None
    st.session_state.pop("playground_upload_notes", None)


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
        st.segmented_control("Clicks add", list(CLICK_LABELS), default="blue (+1)", key=K.CLICK_LABEL,
                             help="Click on the output map (on the right) to add a point of this class, or erase "
                                  "the nearest point.")
        st.button("Clear my points", key=K.CLEAR_POINTS, on_click=_on_clear)
        current = points()
        n = 0 if current is None else len(current[0])
        st.caption(f"{n} point(s).")
        if n < MIN_POINTS:
            return True, None, (f"Add at least {MIN_POINTS} points of your own (upload a CSV or click on the map on "
                                "the right).")
        if problem == "classification" and len(np.unique(current[1])) < 2:
            return True, None, "Your points are all one class: add points of the other colour."
        return True, current, None
