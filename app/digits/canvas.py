"""The drawing canvas: a small components-v2 element of our own.

It sends the strokes as vectors on every pointer-up (no debounce) and the
server renders them with :func:`engine.digits.strokes.render_strokes`, so the
image the model sees is the same whether it came from a browser or a test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app.html_view import own_component
from engine.digits.strokes import CANVAS, parse_strokes, render_strokes

_HERE = Path(__file__).parent / "components"


def draw_canvas(key: str, pen_width: int) -> np.ndarray:
    """Show the canvas; return the drawing as a ``(280, 280)`` uint8 white-on-black image."""
    # Streamlit forgets a component's state while it is not shown (another input
    # source, another page). Keep the strokes in the session and hand them back as
    # both the canvas' starting drawing and Python's starting value.
    kept_key = f"{key}_kept_strokes"
    kept = st.session_state.get(kept_key, [])
    result = own_component(_HERE, "draw_canvas")(
        key=key,
        data={"pen_width": int(pen_width), "strokes": kept},
        default={"strokes": {"strokes": kept, "version": 0}},
        on_strokes_change=lambda: None,
        width="content",
    )
    payload = getattr(result, "strokes", None)
    raw = payload.get("strokes", []) if isinstance(payload, dict) else []
    strokes, widths = parse_strokes(raw, size=CANVAS)
    st.session_state[kept_key] = [
        {"width": width, "points": [list(point) for point in stroke]}
        for stroke, width in zip(strokes, widths, strict=True)
    ]
    return render_strokes(strokes, size=CANVAS, widths=widths)
