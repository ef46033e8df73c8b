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
def own_component(folder: Path, stem: str):
    """A components-v2 element of ours, registered once per server as ``ml_playground_<stem>``.

    Its markup, style and code are ``<stem>.html``, ``<stem>.css`` and ``<stem>.js`` in ``folder``
    (each page keeps its own under ``app/<page>/components/``).
    """
    return st.components.v2.component(
        f"ml_playground_{stem}",
        html=(folder / f"{stem}.html").read_text(),
        css=(folder / f"{stem}.css").read_text(),
        js=(folder / f"{stem}.js").read_text(),
    )


def svg(markup: str, key: str) -> None:
    """Show one picture (SVG or HTML markup); ``key`` names it, so an update replaces the picture in place
    (and the browser skips one whose markup did not change)."""
    own_component(_HERE, "svg_view")(key=key, data={"svg": markup})
