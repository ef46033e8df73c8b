"""Point at a tree thumbnail or a "Σ k" button: the big map shows that tree alone (or the sum up to it) at once.

Answered in the browser (:file:`components/tree_hover.js`): the data of every thumbnail's map, and of every
"Σ k" map, goes to the page with the drawing, built once per ensemble and colours and kept in the session;
a pointer move costs the server nothing. The browser draws the chosen map over the plot area of the big
map, its training points sized by the gradients that tree was grown from (or, for "Σ k", the gradients
after those trees: what the next tree fits), and outlines the thumbnails in the sum.

Numbers travel compactly: a tree's map as int8 of its own scale (its largest |value| = 127), a "Σ k" map as
int8 of 2p − 1, the gradients as uint8 of their scale (:func:`app.boosting.figures.gradient_sizes`' top).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import streamlit as st

from app.boosting import keys as K
from app.boosting.pictures import PALETTES, palette_of
from app.html_view import own_component
from engine.boosting import EnsembleViews

_HERE = Path(__file__).parent / "components"


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _map_int8(values: np.ndarray, scale: float) -> str:
    return _b64(np.clip(np.rint(np.asarray(values, dtype=np.float64).ravel() / scale * 127), -127, 127)
                .astype(np.int8))


def _grad_uint8(gradients: np.ndarray) -> tuple[str, float]:
    g = np.abs(np.nan_to_num(np.asarray(gradients, dtype=np.float64)))
    top = max(1.0, float(g.max()) if g.size else 0.0)
    return _b64(np.clip(np.rint(g / top * 255), 0, 255).astype(np.uint8)), top


def payload(views: EnsembleViews, palette: str, n: int) -> str:
    """The JSON the browser needs to answer a hover over the first ``n`` thumbnails and "Σ" buttons."""
    model = views.model
    trees, sums = [], []
    for k in range(n):
        values = views.tree_map(k)
        scale = float(np.max(np.abs(values))) or 1.0
        g = model.gradients(k)
        rows = model.trees_[k].rows
        if len(rows) < len(g):  # outside the tree's subsample: not used, drawn smallest (as the big map does)
            used = np.zeros(len(g), dtype=bool)
            used[rows] = True
            g = np.where(used, g, 0.0)
        grad, top = _grad_uint8(g)
        trees.append({"scale": scale, "map": _map_int8(values, scale), "grad": grad, "top": top,
                      "rows": int(len(rows))})
        p = views.probability_map(k + 1)
        grad, top = _grad_uint8(model.gradients(k + 1))
        sums.append({"map": _map_int8(2 * p - 1, 1.0), "grad": grad, "top": top})
    colours = {name: [int(round(c * 255)) for c in rgb] for name, rgb in PALETTES[palette_of(palette)].items()}
    return json.dumps({
        "id": f"{hash((views.config, palette, views.n_trees)) & 0xFFFFFFFF:08x}",
        "resolution": views.resolution, "bounds": [float(b) for b in views.bounds],
        "x": _b64(np.asarray(views.x_train, dtype=np.float32)),
        "y": _b64(np.asarray(views.y_train, dtype=np.uint8)),
        "colours": colours, "n_trees": views.n_trees, "trees": trees, "sums": sums,
    }, separators=(",", ":"))


def cached_payload(views: EnsembleViews, palette: str, n: int) -> str:
    """:func:`payload`, built once per shown ensemble and colours (kept in the session, like the pictures)."""
    owner = (views.config, palette, views.n_trees, n)
    store = st.session_state.get(K.HOVER)
    if not isinstance(store, dict) or store.get("owner") != owner:
        store = st.session_state[K.HOVER] = {"owner": owner, "payload": payload(views, palette, n)}
    return store["payload"]


def tree_hover(views: EnsembleViews, palette: str, n: int) -> None:
    """The hover element: one line of help, and the data the browser answers every pointer with."""
    own_component(_HERE, "tree_hover")(key=K.HOVER_VIEW, data={"payload": cached_payload(views, palette, n)})
