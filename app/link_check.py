"""Tell the student which values of a shared link a page could not use.

Widgets bound to the URL (``bind="query-params"``) drop a value they cannot show (an unknown option, a
number out of range, text where a number goes) and fall back to their default, silently. A page reads its
link's values before drawing its controls (:func:`link_values`) and, once they are drawn, asks which ones
did not survive (:func:`link_notes`): one sentence each, saying what it uses instead.
"""

from __future__ import annotations

import streamlit as st

MAX_SHOWN = 40
"""Characters of a rejected value quoted back (a tampered link can carry kilobytes)."""


def link_values(prefix: str) -> dict[str, str]:
    """The link's values for this page's settings (``<prefix>_...``), as the address bar has them."""
    return {key: st.query_params.get(key) for key in st.query_params if key.startswith(f"{prefix}_")}


def link_notes(prefix: str, before: dict[str, str], labels: dict[str, str] | None = None) -> list[str]:
    """A note for every value of ``before`` that a control drawn since dropped or corrected.

    ``labels`` names a setting for the student (default: its key without the prefix, underscores as spaces).
    """
    notes = []
    for key, raw in before.items():
        if key not in st.session_state or st.query_params.get(key) == raw:
            continue  # not drawn in this run, or kept as it was
        name = (labels or {}).get(key, key.removeprefix(f"{prefix}_").replace("_", " "))
        quoted = raw if len(raw) <= MAX_SHOWN else raw[:MAX_SHOWN] + "…"
        value = st.session_state[key]
        notes.append(f"The link's {name} “{quoted}” is not a value this page offers: using {value:g}."
                     if isinstance(value, float) else
                     f"The link's {name} “{quoted}” is not a value this page offers: using {value}.")
    return notes
