"""Tell the student which values of a shared link a page could not use.

Widgets bound to the URL (``bind="query-params"``) drop a value they cannot show (an unknown option, a
number out of range, text where a number goes) and fall back to their default, silently. A page reads its
link's values before drawing its controls (:func:`link_values`) and, once they are drawn, asks which ones
did not survive (:func:`link_notes`): one sentence each, saying what it uses instead.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

MAX_SHOWN = 40
"""Characters of a rejected value quoted back (a tampered link can carry kilobytes)."""


def link_values(prefix: str) -> dict[str, str]:
    """The link's values for this page's settings (``<prefix>_...``), as the address bar has them."""
    return {key: st.query_params.get(key) for key in st.query_params if key.startswith(f"{prefix}_")}


def denotes(raw: str, value: object, shown: str | None = None) -> bool:
    """Whether the link's text ``raw`` means ``value`` (its label ``shown``, a number equal to it, or its text).

    Streamlit removes a bound control's value from the address bar when it is the default, so a link that
    spells out a default (``?moe_top_k=1``) loses it too: that is no correction and gets no note.
    """
    text = raw.strip()
    if shown is not None and text == str(shown):
        return True
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return text == str(value)


def link_notes(prefix: str, before: dict[str, str], labels: dict[str, str] | None = None,
               shown: dict[str, Callable[[object], object]] | None = None) -> list[str]:
    """A note for every value of ``before`` that a control drawn since dropped or corrected.

    ``labels`` names a setting for the student (default: its key without the prefix, underscores as spaces);
    ``shown`` gives, per key, the format function its control shows values with (a radio's labels), so the
    note names the value as the student sees it and a link that uses that label is understood.
    """
    notes = []
    for key, raw in before.items():
        if key not in st.session_state or st.query_params.get(key) == raw:
            continue  # not drawn in this run, or kept as it was
        value = st.session_state[key]
        label = (shown or {}).get(key, lambda v: v)(value)
        if denotes(raw, value, None if label is value else str(label)):
            continue  # the default, spelled out: kept, only no longer in the address bar
        name = (labels or {}).get(key, key.removeprefix(f"{prefix}_").replace("_", " "))
        quoted = raw if len(raw) <= MAX_SHOWN else raw[:MAX_SHOWN] + "…"
        used = f"{label:g}" if isinstance(label, float) else str(label)
        notes.append(f"The link's {name} “{quoted}” is not a value this page offers: using {used}.")
    return notes
