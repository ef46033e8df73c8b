"""Inline pictures (SVG, or HTML around an inline PNG) for live views: a small components-v2 element of our own.

Shared by the pages whose live views are SVG markup or inline PNGs (the decision-boundary
playground's network diagram and maps, the mixture-of-experts page's maps and charts). Drawn with
``st.markdown(..., unsafe_allow_html=True)`` every update goes through the browser's
Markdown pipeline (parse, sanitize, build React elements for every circle and link):
that was most of the browser's time per frame and held the page to 4–8 updates a
second. This element hands the markup to the browser's HTML parser in one step
instead, and keeps the hover titles (an ``<img>`` of the SVG would lose them).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_HERE = Path(__file__).parent / "components"


@st.cache_resource
def _component():
    return st.components.v2.component(
        "ml_playground_svg_view",
        html=(_HERE / "svg_view.html").read_text(),
        css=(_HERE / "svg_view.css").read_text(),
        js=(_HERE / "svg_view.js").read_text(),
    )


def svg(markup: str, key: str) -> None:
    """Show one picture (SVG or HTML markup); ``key`` names it, so an update replaces the picture in place
    (and the browser skips one whose markup did not change)."""
    _component()(key=key, data={"svg": markup})
