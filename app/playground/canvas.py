"""Click points onto the plane: a small components-v2 element of our own (as the digit canvas is).

Plotly's selection events report existing points only, never a click on empty space;
this canvas reports every click. Python owns the points: it hands them to the canvas
with a *revision* (bumped when an upload or Clear replaces them), and accepts the
canvas' list only when it answers to the current revision.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from engine.playground.data import DOMAIN
from engine.playground.upload import MAX_POINTS

_HERE = Path(__file__).parent / "components"
REVISION = "playground_points_revision"
SEEN = "playground_canvas_seen"


@st.cache_resource
def _component():
    return st.components.v2.component(
        "ml_playground_point_canvas",
        html=(_HERE / "point_canvas.html").read_text(),
        css=(_HERE / "point_canvas.css").read_text(),
        js=(_HERE / "point_canvas.js").read_text(),
    )


def bump_revision() -> None:
    """The points were replaced from Python (upload, Clear): the canvas must take them."""
    st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1


def parse_clicked(raw) -> tuple[np.ndarray, np.ndarray] | None:
    """The canvas' ``[[x, y, label], ...]`` -> ``(X, y)``, clamped to the plane; None if malformed."""
    if not isinstance(raw, list):
        return None
    rows = []
    for p in raw[:MAX_POINTS]:
        try:
            x, y, label = float(p[0]), float(p[1]), float(p[2])
        except (TypeError, ValueError, IndexError):
            continue
        if np.isfinite([x, y, label]).all() and label in (-1.0, 1.0):
            rows.append((min(max(x, -DOMAIN), DOMAIN), min(max(y, -DOMAIN), DOMAIN), label))
    if not rows:
        return np.zeros((0, 2)), np.zeros(0)
    a = np.array(rows)
    return a[:, :2].copy(), a[:, 2].copy()


def point_canvas(key: str, current: tuple[np.ndarray, np.ndarray] | None, label: int):
    """Show the canvas; return the new points after a click, or None when nothing changed."""
    revision = st.session_state.get(REVISION, 0)
    shown = [] if current is None else [[float(x), float(y), float(v)] for (x, y), v in
                                        zip(current[0], np.sign(current[1]), strict=True)]
    result = _component()(key=key, data={"points": shown, "label": int(label), "revision": revision},
                          default={"points": {"points": shown, "version": 0, "revision": revision}},
                          on_points_change=lambda: None, width="content")
    payload = getattr(result, "points", None)
    if not isinstance(payload, dict) or payload.get("revision") != revision:
        return None
    version = payload.get("version")
    if not isinstance(version, int) or version <= st.session_state.get(SEEN, 0):
        return None
    st.session_state[SEEN] = version
    return parse_clicked(payload.get("points"))
