"""XGBoost's JSON dump of one tree, flattened into nodes, tabulated and laid out for a diagram.

A dumped node is either a split ``{"nodeid", "depth", "split", "split_condition",
"yes", "no", "missing", "gain", "cover", "children"}`` (a point goes to ``yes``
when its feature is *below* the condition) or a leaf ``{"nodeid", "leaf", "cover"}``.
``cover`` is the sum of the hessians of the training points that reach the node:
the number of points when ``h = 1`` (gradient mode).
"""

from __future__ import annotations

import json

import pandas as pd


def parse_dump(text: str, names: tuple[str, ...] = ("x1", "x2")) -> list[dict]:
    """One tree's JSON dump as a list of nodes, parents before children, each with its ``depth``.

    XGBoost names the features ``f0, f1, ...``; ``names`` renames them.
    """
    nodes: list[dict] = []

    def walk(node: dict, depth: int, parent: int | None) -> None:
        record = {"node": int(node["nodeid"]), "depth": depth, "parent": parent, "cover": float(node["cover"])}
        if "leaf" in node:
            record.update(kind="leaf", value=float(node["leaf"]))
        else:
            record.update(kind="split", feature=_name(str(node["split"]), names),
                          threshold=float(node["split_condition"]), yes=int(node["yes"]), no=int(node["no"]),
                          gain=float(node["gain"]))
        nodes.append(record)
        for child in node.get("children", []):
            walk(child, depth + 1, record["node"])

    walk(json.loads(text), 0, None)
    return nodes


def _name(split: str, names: tuple[str, ...]) -> str:
    if split.startswith("f") and split[1:].isdigit() and int(split[1:]) < len(names):
        return names[int(split[1:])]
    return split


COLUMNS = ["node", "depth", "kind", "feature", "threshold", "yes", "no", "gain", "cover", "value"]


def table(nodes: list[dict]) -> pd.DataFrame:
    """The nodes as a table (splits have feature, threshold, children and gain; leaves a value)."""
    frame = pd.DataFrame(nodes)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[COLUMNS]


def layout(nodes: list[dict]) -> dict[int, tuple[float, int]]:
    """``node -> (x, depth)`` for drawing: leaves evenly spaced left to right, a split centred over its children."""
    by_id = {n["node"]: n for n in nodes}
    position: dict[int, tuple[float, int]] = {}
    next_leaf = [0.0]

    def place(node_id: int) -> float:
        node = by_id[node_id]
        if node["kind"] == "leaf":
            x = next_leaf[0]
            next_leaf[0] += 1.0
        else:
            x = 0.5 * (place(node["yes"]) + place(node["no"]))
        position[node_id] = (x, node["depth"])
        return x

    if nodes:
        place(nodes[0]["node"])
    return position
