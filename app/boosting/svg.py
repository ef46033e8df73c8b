"""The selected tree as an SVG diagram, drawn from XGBoost's own dump (splits, leaf values, cover)."""

from __future__ import annotations

from html import escape

from app.boosting.pictures import diverging
from engine.boosting.trees import layout

NODE_W, NODE_H, GAP_X, GAP_Y = 74, 38, 8, 30
MIN_LEAF_PX = 30


def _colour(value: float, scale: float, palette: str) -> str:
    r, g, b = (diverging(max(-1.0, min(1.0, value / scale)), palette) * 255).astype(int)
    return f"rgb({r},{g},{b})"


def tree_svg(nodes: list[dict], palette: str = "red-blue") -> str:
    """An SVG of the tree: split boxes say ``feature < threshold`` (yes to the left) with gain and cover;
    leaves are coloured by their value (blue pushes towards class 0, red towards class 1)."""
    if not nodes:
        return "<p>No tree.</p>"
    position = layout(nodes)
    leaves = [n for n in nodes if n["kind"] == "leaf"]
    scale = max((abs(n["value"]) for n in leaves), default=1.0) or 1.0
    n_leaves = max(1, len(leaves))
    depth = max(n["depth"] for n in nodes)
    width = n_leaves * (NODE_W + GAP_X) + GAP_X
    height = (depth + 1) * (NODE_H + GAP_Y) + 10

    def centre(node_id: int) -> tuple[float, float]:
        x, d = position[node_id]
        return GAP_X + x * (NODE_W + GAP_X) + NODE_W / 2, 6 + d * (NODE_H + GAP_Y)

    parts = []
    by_id = {n["node"]: n for n in nodes}
    for node in nodes:
        if node["kind"] != "split":
            continue
        cx, cy = centre(node["node"])
        for child, label in ((node["yes"], "yes"), (node["no"], "no")):
            if child not in by_id:
                continue
            kx, ky = centre(child)
            parts.append(f'<line x1="{cx:.1f}" y1="{cy + NODE_H:.1f}" x2="{kx:.1f}" y2="{ky:.1f}" '
                         f'stroke="#888" stroke-width="1"/>')
            parts.append(f'<text x="{(cx + kx) / 2:.1f}" y="{(cy + NODE_H + ky) / 2:.1f}" font-size="9" '
                         f'fill="#666" text-anchor="middle">{label}</text>')
    for node in nodes:
        cx, cy = centre(node["node"])
        x = cx - NODE_W / 2
        if node["kind"] == "split":
            title = f'{node["feature"]} &lt; {node["threshold"]:.3f}'
            sub = f'gain {node["gain"]:.3g} · cover {node["cover"]:.3g}'
            fill, stroke = "#f4f4f4", "#555"
        else:
            title = f'leaf {node["value"]:+.3f}'
            sub = f'cover {node["cover"]:.3g}'
            fill, stroke = _colour(node["value"], scale, palette), "#333"
        parts.append(f'<g><title>node {node["node"]}: {escape(title.replace("&lt;", "<"))}, {escape(sub)}'
                     f'</title><rect x="{x:.1f}" y="{cy:.1f}" width="{NODE_W}" height="{NODE_H}" rx="5" '
                     f'fill="{fill}" stroke="{stroke}"/>'
                     f'<text x="{cx:.1f}" y="{cy + 16:.1f}" font-size="11" text-anchor="middle" '
                     f'font-family="sans-serif">{title}</text>'
                     f'<text x="{cx:.1f}" y="{cy + 30:.1f}" font-size="9" text-anchor="middle" fill="#333" '
                     f'font-family="sans-serif">{sub}</text></g>')
    # The tree shrinks to the page's width, but not below MIN_LEAF_PX a leaf: a bigger one scrolls sideways.
    size = f'width="100%" style="max-width:{width}px;min-width:{n_leaves * MIN_LEAF_PX}px"'
    return (f'<div style="overflow-x:auto"><svg class="boosting-tree" xmlns="http://www.w3.org/2000/svg" '
            f'{size} viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="tree diagram with {len(nodes)} nodes">{"".join(parts)}</svg></div>')
