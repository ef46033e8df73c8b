"""Phones and projectors: one layout mechanism for every page.

**Phone first.** Streamlit stacks ``st.columns`` in their order on a narrow screen (below about 640 px
each column takes a whole row), so a settings column on the left puts a screenful of controls before
the picture. :func:`phone_first` draws the columns inside a keyed container and gives the picture's
column ``order: -1`` below :data:`PHONE_MAX_PX` (CSS: the columns' row is a wrapping flexbox), so on a
phone the page starts with its picture and main action and the controls follow; a wide screen keeps the
order the page wrote. Every column is a keyed container (``<key>_<i>``), so tests find it by name.

**Projector.** ``?projector=1`` in any page's link (or the "Projector" switch at the top of every page)
gives the whole app a large font, hides the sidebar and hides each page's controls (the columns
:func:`phone_first` marks as controls, and any keyed box passed to :func:`hide_in_projector`). Hidden
controls are still drawn, so they keep their values and their place in the link. The key is not a page
setting (``<page>_...``), so :mod:`app.link_check` never calls it a tampered value.

The entry script calls :func:`install` once per run, before the page runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

PHONE_MAX_PX = 700
"""Below this width (CSS pixels) a page is laid out for a phone."""
PARAM = "projector"
"""The query parameter of projector mode (``?projector=1``; ``true``, ``yes`` and ``on`` work too)."""
PROJECTOR = "layout_projector"
"""Session key of the projector switch (the widget's key)."""
SWITCH_BOX = "layout_projector_box"
"""Keyed container of the switch, pinned to the top bar of every page."""
ON_TEXTS = frozenset({"1", "true", "yes", "on"})
OFF_TEXTS = frozenset({"0", "false", "no", "off"})
PROJECTOR_FONT_PCT = 130
"""Projector mode's root font size, in % of the browser's (Streamlit sizes text, widgets and gaps in rem)."""


def parse_switch(raw: str | None) -> bool | None:
    """A link's ``projector`` value as on/off, or None when it says neither (then the switch stays as it is)."""
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in ON_TEXTS:
        return True
    if text in OFF_TEXTS:
        return False
    return None


def projector_on() -> bool:
    """Whether this session shows the app in projector mode (False in a page run without the entry script)."""
    return bool(st.session_state.get(PROJECTOR, False))


def _write_link() -> None:
    """The address bar follows the switch: ``projector=1`` while on, nothing while off."""
    if projector_on():
        if st.query_params.get(PARAM) != "1":
            st.query_params[PARAM] = "1"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def read_link() -> None:
    """Set the switch from the link (before the switch is drawn); a link without the key leaves it as it is.

    Streamlit clears the query string when the student changes page, so a session in projector mode puts
    ``projector=1`` back: the link in the address bar always opens what the room sees.
    """
    wanted = parse_switch(st.query_params.get(PARAM))
    if wanted is not None:
        st.session_state[PROJECTOR] = wanted
    _write_link()


def projector_switch() -> bool:
    """The "Projector" switch, pinned at the top of the page (so it stays reachable when the sidebar is hidden)."""
    with st.container(key=SWITCH_BOX):
        on = st.toggle("Projector", key=PROJECTOR, on_change=_write_link,
                       help="For a classroom screen: large font, the sidebar and the settings hidden (they keep "
                            "their values). The link then ends in projector=1: share it and it opens this way.")
    return bool(on)


def base_css(projector: bool) -> str:
    """The app-wide rules: the switch's place, a tighter top on phones, and projector mode when on."""
    css = [
        # The switch sits in Streamlit's top bar (fixed, over the header), out of the page's flow.
        f".st-key-{SWITCH_BOX} {{position: fixed; top: 0.85rem; right: 4.5rem; z-index: 999991; width: auto;}}",
        f"[data-testid='stLayoutWrapper']:has(> .st-key-{SWITCH_BOX}) {{position: absolute;}}",
        # A phone's first screen is for the picture: less blank space above the title, a smaller title.
        f"@media (max-width: {PHONE_MAX_PX}px) {{"
        " [data-testid='stMainBlockContainer'] {padding-top: 3.5rem;}"
        " [data-testid='stMainBlockContainer'] h1 {font-size: 1.9rem; padding-top: 0.25rem;}"
        "}",
    ]
    if projector:
        css += [
            f"html {{font-size: {PROJECTOR_FONT_PCT}% !important;}}",
            # The wide screen is for the pictures: less margin around the page (the font already grew).
            "[data-testid='stMainBlockContainer'] {padding: 4rem 2rem 2rem !important; max-width: none;}",
            "[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
            "[data-testid='stExpandSidebarButton'] {display: none !important;}",
        ]
    return "\n".join(css)


def install() -> bool:
    """Once per run, from the entry script: read the link, draw the switch, apply the app-wide style.

    Returns whether projector mode is on.
    """
    read_link()
    on = projector_switch()
    st.html(f"<style>{base_css(on)}</style>")
    return on


def column_key(key: str, index: int) -> str:
    """The keyed container that holds column ``index`` of the layout ``key``."""
    return f"{key}_{index}"


def phone_first_css(key: str, picture: int, controls: Sequence[int], projector: bool) -> str:
    """The rules of one :func:`phone_first` layout: its picture column first on a phone, its controls hidden
    in projector mode.

    ``.st-key-<key> [data-testid=stColumn]:has(.st-key-<key>_<i>)`` is exactly column ``i`` of this layout:
    columns nested inside it do not contain their own ancestor, and columns outside it are not inside the key.
    """
    def column(index: int) -> str:
        return f".st-key-{key} [data-testid='stColumn']:has(.st-key-{column_key(key, index)})"

    css = f"@media (max-width: {PHONE_MAX_PX}px) {{ {column(picture)} {{order: -1;}} }}"
    if projector and controls:
        css += "\n" + ", ".join(column(i) for i in controls) + " {display: none !important;}"
    return css


def phone_first(spec: int | Sequence[float], picture: int, *, key: str, controls: Sequence[int] | None = None,
                gap: str = "medium", **columns_kwargs) -> list:
    """``st.columns(spec)`` whose column ``picture`` comes first on a phone; returns one container per column.

    ``controls``: the columns projector mode hides (default: every column but the picture's). Use the
    returned containers as columns (``with main: ...``). ``key`` names the layout (``<page>_layout``).
    """
    count = spec if isinstance(spec, int) else len(spec)
    if not 0 <= picture < count:
        raise ValueError(f"picture column {picture} is not one of the {count} columns")
    hidden = [i for i in range(count) if i != picture] if controls is None else list(controls)
    st.html(f"<style>{phone_first_css(key, picture, hidden, projector_on())}</style>")
    with st.container(key=key):
        columns = st.columns(spec, gap=gap, **columns_kwargs)
    return [column.container(key=column_key(key, i)) for i, column in enumerate(columns)]


def hide_in_projector(*keys: str) -> None:
    """Hide these keyed containers while projector mode is on (they are still drawn: values and links stay)."""
    if keys and projector_on():
        st.html("<style>" + ", ".join(f".st-key-{k}" for k in keys) + " {display: none !important;}</style>")


def hide_on_phone(*keys: str) -> None:
    """Hide these keyed containers below :data:`PHONE_MAX_PX` (what a phone's first screen cannot spare, such as
    a long formula that repeats a caption in symbols)."""
    if keys:
        hidden = ", ".join(f".st-key-{k}" for k in keys)
        st.html(f"<style>@media (max-width: {PHONE_MAX_PX}px) {{ {hidden} {{display: none !important;}} }}</style>")
