"""The drawing canvas: a small components-v2 element of our own.

It sends the strokes as vectors on every pointer-up (no debounce) and the
server renders them with :func:`engine.digits.strokes.render_strokes`, so the
image the model sees is the same whether it came from a browser or a test.
A Pen / Eraser switch under the canvas picks what the next stroke does: an eraser
stroke is kept as a stroke with ``"erase": true`` (twice the pen's width) and drawn
in black over the ink before it, so Undo takes it back like any stroke.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app.html_view import own_component
from engine.digits.strokes import CANVAS, parse_marks, render_strokes

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
    strokes, widths, erases = parse_marks(raw, size=CANVAS)
    st.session_state[kept_key] = kept_strokes(strokes, widths, erases)
    return render_strokes(strokes, size=CANVAS, widths=widths, erase=erases)


def kept_strokes(strokes, widths, erases) -> list[dict]:
    """Parsed strokes in the canvas' own format (what it starts from when it is mounted again)."""
    return [{"width": width, "points": [list(point) for point in stroke], **({"erase": True} if erase else {})}
            for stroke, width, erase in zip(strokes, widths, erases, strict=True)]
