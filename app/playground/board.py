"""The playground's live view: every picture of a run in one components-v2 element of our own.

Streamlit redraws every element a fragment sends at every update (ten times a second while playing):
headings, captions, a colour bar and four pictures were most of the browser's time per update. Here
they travel as one element whose fixed part (the layout, the maps' points and axes, the network's
boxes and links) the browser parses only when it changes; an update changes only the heatmaps'
sources, the links' colours and widths, hover texts and the loss curve (see ``components/board.js``).

The same element is where "your own data" is clicked: with ``click`` on, a click on a map's plane
comes back as a trigger value ``{"x", "y", "id"}`` in plane coordinates.

It is also where the network is pointed at (issue 14), all in the browser: hovering (or tapping, or focusing) a
node draws its map large over the output map from the exact weights this element already holds; a click on an
input's square comes back as the trigger ``feature`` (``{"name", "id"}``), and the small editor a click on a
link or a neuron opens comes back as ``edit`` (``{"uid", "kind": "weight"|"bias", "src", "dst", "node",
"value": the text typed, "id"}``). Their callbacks run before the script, so the run they change is drawn changed.
"""

from __future__ import annotations

from pathlib import Path

from app.html_view import own_component

_HERE = Path(__file__).parent / "components"


def board(key: str, layout: str, *, hrefs: dict[str, str] | None = None, slots: dict[str, str] | None = None,
          links: dict[str, dict] | None = None, ntitles: dict[str, list[str]] | None = None,
          click: dict | None = None, on_edit=None, on_feature=None):
    """Draw the live view; return the click trigger (``{"x", "y", "id"}``) of this run, or None.

    ``layout`` is the fixed HTML (with ``data-href``, ``data-slot``, ``data-links``, ``data-ntitles`` and
    ``data-click`` places); ``hrefs`` the image sources by name; ``slots`` markup by slot name; ``links`` and
    ``ntitles`` a network's state by its uid (see :func:`app.playground.figures.network_state`); ``click``
    ``{"on": bool, "colour": css colour of a new point, "seen": id of the last click applied}``; ``on_edit`` and
    ``on_feature`` the callbacks of the ``edit`` and ``feature`` triggers (they read the value from
    ``st.session_state[key]``).
    """
    data = {"layout": layout, "hrefs": hrefs or {}, "slots": slots or {}, "links": links or {},
            "ntitles": ntitles or {}, "click": click or {"on": False}}
    callbacks = {"on_click_change": lambda: None}
    if on_edit is not None:
        callbacks["on_edit_change"] = on_edit
    if on_feature is not None:
        callbacks["on_feature_change"] = on_feature
    result = own_component(_HERE, "board")(key=key, data=data, **callbacks)
    value = getattr(result, "click", None)
    return value if isinstance(value, dict) else None
