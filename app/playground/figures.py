"""Pictures of the playground as inline SVG: the decision map with its points, the network, the loss curve.

Pure functions, data in, markup out, cheap enough for ten updates a second: heatmaps
are small PNGs (TensorFlow Playground's orange–grey–blue scale), points and links are
SVG elements, so the browser scales everything crisply and nothing is a Plotly figure.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape

import numpy as np
from PIL import Image

from engine.playground import DOMAIN, FEATURE_LABELS

NEGATIVE, ZERO, POSITIVE = (245, 147, 34), (232, 234, 235), (8, 119, 189)
"""The original's colours: orange for −1, light grey for 0, blue for +1."""
NEG_HEX, POS_HEX = "#f59322", "#0877bd"


def _lut() -> np.ndarray:
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    neg, zero, pos = (np.array(c, dtype=np.float64) for c in (NEGATIVE, ZERO, POSITIVE))
    rgb = np.where(t < 0, zero + (neg - zero) * (-t), zero + (pos - zero) * t)
    return np.round(rgb).astype(np.uint8)


LUT = _lut()


def levels(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """``(H, W)`` values in [-1, 1] (clamped, NaN as 0) -> ``(H, W)`` uint8 indices into :data:`LUT`."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0)
    if discretize:
        v = np.where(v > 0, 1.0, -1.0)
    return np.clip(np.rint((v + 1.0) * 127.5), 0, 255).astype(np.uint8)


def colours(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """``(H, W)`` values in [-1, 1] (clamped) -> ``(H, W, 3)`` uint8 in the original's scale."""
    return LUT[levels(values, discretize)]


def png_uri(rgb: np.ndarray) -> str:
    """``(H, W, 3)`` uint8 as a ``data:image/png`` URI."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_PALETTE = LUT.reshape(-1).tolist()


def levels_uri(idx: np.ndarray) -> str:
    """``(H, W)`` uint8 :func:`levels` as a palette PNG in the original's scale (a third of an RGB PNG's bytes to
    compress, the same picture)."""
    image = Image.fromarray(np.ascontiguousarray(idx, dtype=np.uint8), mode="P")
    image.putpalette(_PALETTE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def scale_to_unit(values: np.ndarray) -> np.ndarray:
    """Map any feature's values into [-1, 1] for colouring (divide by the largest magnitude)."""
    top = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return values / top if top > 0 else values


def map_frame(train: tuple[np.ndarray, np.ndarray] | None, test: tuple[np.ndarray, np.ndarray] | None,
              size: int = 340, title: str = "", href: str = "out", clickable: bool = False,
              hover_for: str | None = None) -> str:
    """The decision map's fixed part: axes, training points (white ring), test points (black ring) over an
    empty ``<image data-href=href>`` that the live view fills with the heatmap (:func:`heatmap_uri`).

    The points change only with the data, so the browser parses them once, not at every update.
    ``clickable`` marks the plane as the place where clicks add points (``data-click``). ``hover_for`` (a
    network's uid) adds a hidden canvas over the heatmap and under the points (``data-hover-map``) where the
    browser draws a node of that network large while it is pointed at.
    """
    pad = 24
    side = size - 2 * pad + 8
    full = side + pad + 8

    def px(x):
        return pad + (np.asarray(x) + DOMAIN) / (2 * DOMAIN) * side

    def py(y):
        return 4 + (DOMAIN - np.asarray(y)) / (2 * DOMAIN) * side

    body = [f'<rect x="{pad}" y="4" width="{side}" height="{side}" fill="rgb{ZERO}"/>',
            f'<image x="{pad}" y="4" width="{side}" height="{side}" preserveAspectRatio="none" '
            f'data-href="{escape(href)}" href=""/>']
    if hover_for is not None:
        body.append(f'<foreignObject x="{pad}" y="4" width="{side}" height="{side}" '
                    f'data-hover-map="{escape(hover_for)}" '
                    'style="display:none;pointer-events:none"><canvas xmlns="http://www.w3.org/1999/xhtml" '
                    'width="100" height="100" style="width:100%;height:100%;display:block"></canvas></foreignObject>')
    for sets, stroke in ((train, "#fff"), (test, "#000")):
        if sets is None or len(sets[0]) == 0:
            continue
        pts, labels = sets
        xs, ys = px(pts[:, 0]), py(pts[:, 1])
        keep = (xs >= pad - 3) & (xs <= pad + side + 3) & (ys >= 1) & (ys <= side + 7)
        fill = colours(np.clip(labels, -1, 1))
        circles = [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="rgb({c[0]},{c[1]},{c[2]})"/>'
                   for x, y, c, k in zip(xs, ys, fill, keep, strict=True) if k]
        body.append(f'<g stroke="{stroke}" stroke-width="1">{"".join(circles)}</g>')
    if clickable:  # on top of the points, transparent: every click on the plane reaches it
        body.append(f'<g data-pending="1" stroke="#fff" stroke-width="1"></g><rect x="{pad}" y="4" width="{side}" '
                    f'height="{side}" fill="transparent" data-click="1" style="cursor:crosshair"/>')
    for tick in (-6, -4, -2, 0, 2, 4, 6):
        x, y = float(px(tick)), float(py(tick))
        body.append(f'<text x="{x:.1f}" y="{side + 18}" font-size="10" text-anchor="middle" fill="#666">{tick}'
                    f'</text><text x="{pad - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="#666">'
                    f'{tick}</text>')
    label = escape(title or "Decision map")
    return (f'<svg viewBox="0 0 {full} {side + 24}" width="100%" style="max-width:{size + 60}px" role="img" '
            f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def heatmap_uri(values: np.ndarray, discretize: bool = False) -> str:
    """A map's values as the PNG that fills a :func:`map_frame`."""
    return levels_uri(levels(values, discretize))


def output_map(values: np.ndarray, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray] | None,
               discretize: bool = False, size: int = 340, title: str = "") -> str:
    """The decision map as one picture: :func:`map_frame` with its heatmap filled in.

    ``values : (R, R)`` row 0 at the top; ``train`` and ``test`` are ``(points (n, 2), labels (n,))``.
    """
    frame = map_frame(train, test, size, title)
    return frame.replace('data-href="out" href=""', f'data-href="out" href="{heatmap_uri(values, discretize)}"', 1)


def colour_bar(width: int = 260) -> str:
    """The scale under the map: −1 orange … 0 … +1 blue."""
    return (f'<svg viewBox="0 0 {width} 26" width="{width}" xmlns="http://www.w3.org/2000/svg">'
            f'<defs><linearGradient id="pgbar"><stop offset="0" stop-color="{NEG_HEX}"/>'
            f'<stop offset="0.5" stop-color="#e8eaeb"/><stop offset="1" stop-color="{POS_HEX}"/></linearGradient>'
            f'</defs><rect x="10" y="2" width="{width - 20}" height="10" fill="url(#pgbar)"/>'
            f'<text x="10" y="24" font-size="10" fill="#666">−1</text>'
            f'<text x="{width / 2}" y="24" font-size="10" text-anchor="middle" fill="#666">0</text>'
            f'<text x="{width - 10}" y="24" font-size="10" text-anchor="end" fill="#666">+1</text></svg>')


def _layout(node_ids: list[list[str]], box: int, gap_y: int, col_w: int, top: int):
    tallest = max(len(layer) for layer in node_ids)
    height = top + tallest * (box + gap_y) + 10
    width = 70 + (len(node_ids) - 1) * col_w + box + 30
    pos: dict[str, tuple[float, float]] = {}
    for c, layer in enumerate(node_ids):
        offset = (tallest - len(layer)) * (box + gap_y) / 2
        for r, node in enumerate(layer):
            pos[node] = (70 + c * col_w, top + offset + r * (box + gap_y))
    return pos, width, height


BOX, GAP_Y, COL_W, TOP = 38, 12, 118, 22


def network_frame(node_ids: list[list[str]], selected: str | None = None, uid: str = "a", *,
                  activation: str = "tanh", output: str = "tanh", discretize: bool = False,
                  inputs: list[str] | None = None) -> str:
    """The network diagram's fixed part (TensorFlow Playground's drawing): node boxes, labels, one path per link
    in :func:`network_state`'s order. What changes while training (the node maps as one PNG atlas, the links'
    colour, width and dashes, the exact weights and biases, the hover titles) comes from :func:`network_state`
    and is set in place by the live view (``data-atlas``, ``data-links``, ``data-ntitles``): the browser parses
    this markup once per network.

    Pointing (see ``components/board.js``): the svg carries what the browser needs to draw any node's map large
    from the exact weights (``data-net``: node ids per layer, their labels, the activations, discretize); each
    node box is ``data-node`` (focusable, for the keyboard); each link has a wide transparent twin in
    ``data-hits`` that takes the pointer (a thin link is hard to hit). ``inputs``: every input to draw, in
    order (the original draws all seven; those switched off are empty dashed squares, there to be clicked on).
    """
    box = BOX
    off = [n for n in (inputs or node_ids[0]) if n not in node_ids[0]]
    pos, width, height = _layout([list(inputs or node_ids[0]), *node_ids[1:]], BOX, GAP_Y, COL_W, TOP)
    n_cols = len(node_ids)
    nodes = [n for layer in node_ids for n in layer]
    side = 20  # atlas tile side (see network_state)
    paths = []
    for lay in range(n_cols - 1):
        for dst in node_ids[lay + 1]:
            for src in node_ids[lay]:
                x1, y1 = pos[src][0] + box, pos[src][1] + box / 2
                x2, y2 = pos[dst][0], pos[dst][1] + box / 2
                mid = (x1 + x2) / 2
                paths.append(f'M{x1:.0f},{y1:.0f}C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}')
    body = [f'<g fill="none" stroke-opacity="0.85" stroke="#aaa" data-links="{uid}">']
    body += [f'<path d="{d}"></path>' for d in paths]
    body.append(f'</g><g fill="none" stroke="transparent" stroke-width="9" data-hits="{uid}">')
    body += [f'<path d="{d}" data-hit="{k}"></path>' for k, d in enumerate(paths)]
    # the node maps: one canvas over the diagram that the live view paints from the atlas, tile k at node k (one
    # image decoded per update; an <image> or <use> per node made the browser load the atlas once per node)
    tiles = ",".join(f"{pos[n][0]:g},{pos[n][1]:g}" for n in nodes)
    body.append(f'</g><foreignObject x="0" y="0" width="{width}" height="{height}" style="pointer-events:none">'
                f'<canvas xmlns="http://www.w3.org/1999/xhtml" width="{2 * width}" height="{2 * height}" '
                f'style="width:100%;height:100%;display:block" data-atlas="atlas_{uid}" data-tiles="{tiles}" '
                f'data-box="{box}" data-side="{side}" data-scale="2"></canvas></foreignObject>')
    body.append(f'<g data-ntitles="{uid}">')
    for c, layer in enumerate(node_ids):
        for node in layer:
            x, y = pos[node]
            ring, ring_w = ("#e8553e", 3) if node == selected else ("#888", 1)
            what = "input" if c == 0 else "neuron"
            body.append(f'<g data-node="{escape(node)}" data-kind="{what}" tabindex="0" class="pg-node"><title>'
                        f'</title><rect x="{x}" y="{y}" width="{box}" height="{box}" fill="transparent" '
                        f'stroke="{ring}" stroke-width="{ring_w}"/></g>')
    body.append("</g>")
    for node in off:  # switched-off inputs: a click switches them on
        x, y = pos[node]
        body.append(f'<g data-node="{escape(node)}" data-kind="input" data-off="1" tabindex="0" class="pg-node">'
                    f'<title>{escape(FEATURE_LABELS.get(node, node))}: off (click to switch it on)</title><rect '
                    f'x="{x}" y="{y}" width="{box}" height="{box}" fill="#f4f4f4" stroke="#bbb" '
                    'stroke-dasharray="3,3"/></g>')
    for node in [*off, *nodes]:
        x, y = pos[node]
        if node in node_ids[0] or node in off:
            body.append(f'<text x="{x - 6}" y="{y + box / 2 + 4}" font-size="12" text-anchor="end" '
                        f'fill="#333">{escape(FEATURE_LABELS.get(node, node))}</text>')
        else:
            body.append(f'<text x="{x + box / 2}" y="{y - 3}" font-size="9" text-anchor="middle" '
                        f'fill="#777">{escape(node)}</text>')
    for c in range(n_cols):
        label = "inputs" if c == 0 else ("output" if c == n_cols - 1 else f"layer {c}")
        body.append(f'<text x="{70 + c * COL_W + box / 2}" y="11" font-size="11" text-anchor="middle" '
                    f'fill="#444">{label}</text>')
    net = {"ids": node_ids, "labels": [node_label(n, node_ids) for n in nodes], "act": activation, "out": output,
           "disc": bool(discretize)}
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" role="img" '
            f'aria-label="Network diagram" data-net="{uid}" data-spec="{escape(json.dumps(net))}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def node_label(node: str, node_ids: list[list[str]]) -> str:
    """How the page names a node: "Input X₁²", "Neuron 3 (layer 1)", "Output (neuron 7)"."""
    if node in node_ids[0]:
        return f"Input {FEATURE_LABELS.get(node, node)}"
    if node == node_ids[-1][0] and len(node_ids) > 1:
        return f"Output (neuron {node})"
    layer = next(i for i, layer in enumerate(node_ids) if node in layer)
    return f"Neuron {node} (layer {layer})"


def network_state(node_ids: list[list[str]], maps: dict[str, np.ndarray], weights: dict, discretize: bool = False,
                  thumb: int = 20) -> dict:
    """What changes in :func:`network_frame` while training, in its order: ``atlas`` (every node's map as one
    PNG, one encoding per update), per link ``stroke`` (blue +, orange −, grey dashed when L1 set it to exactly
    zero), ``width`` (thicker when larger), ``dash``, ``w`` (the exact weights: the browser draws a node's map
    large and shows a link's weight from them), per neuron ``b`` (its exact bias), and per node ``ntitle``
    (its name and bias)."""
    def tile(node):
        values = maps[node]
        step = max(1, values.shape[0] // thumb)
        return values[step // 2::step, step // 2::step][:thumb, :thumb]

    inputs = levels(np.concatenate([scale_to_unit(tile(n)) for n in node_ids[0]], axis=1))
    neurons = [tile(n) for layer in node_ids[1:] for n in layer]
    atlas = np.concatenate([inputs, levels(np.concatenate(neurons, axis=1), discretize)], axis=1)
    links, dead = weights["links"], set(map(tuple, weights["dead"]))
    order = [(src, dst) for lay in range(len(node_ids) - 1) for dst in node_ids[lay + 1] for src in node_ids[lay]]
    w_all = np.nan_to_num(np.array([links[k] for k in order], dtype=np.float64))
    # colours in 64 steps and widths in half pixels: a link whose weight moved less keeps its attributes, and the
    # browser restyles only the links that visibly changed
    level = np.clip(np.rint(levels(np.clip(w_all, -1, 1)).astype(np.float64) / 4) * 4, 0, 255).astype(np.intp)
    rgb = LUT[level]
    is_dead = np.array([k in dead for k in order], dtype=bool)
    strength = np.round(2 * (1 + 9 * np.minimum(np.abs(w_all), 5) / 5)) / 2
    stroke = ["#aaa" if d else f"rgb({r},{g},{b})" for (r, g, b), d in zip(rgb.tolist(), is_dead, strict=True)]
    width = ["1" if d else f"{s:g}" for s, d in zip(strength.tolist(), is_dead, strict=True)]
    dash = ["3,3" if d else "" for d in is_dead]
    biases = weights["biases"]
    n_cols = len(node_ids)
    ntitle = []
    for c, layer in enumerate(node_ids):
        for node in layer:
            name = FEATURE_LABELS.get(node, f"neuron {node}" if c < n_cols - 1 else "output")
            ntitle.append(name + (f", bias {biases[node]:.3f}" if node in biases else ""))
    b_all = np.nan_to_num(np.array([biases[n] for layer in node_ids[1:] for n in layer], dtype=np.float64))
    return {"atlas": levels_uri(atlas), "stroke": stroke, "width": width, "dash": dash, "w": w_all.tolist(),
            "b": b_all.tolist(), "ntitle": ntitle}


def loss_curve(train: np.ndarray, test: np.ndarray, width: int = 340, height: int = 120,
               extra: dict[str, tuple[np.ndarray, str]] | None = None) -> str:
    """Train (grey) and test (black) loss per epoch as an SVG line chart, at most 300 points per line."""
    series = {"test": (test, "#222"), "train": (train, "#999")}
    series.update(extra or {})
    finite = [s[np.isfinite(s)] for s, _ in series.values() if len(s)]
    top = max([float(f.max()) for f in finite if f.size] + [1e-9])
    n = max(len(s) for s, _ in series.values())
    left, right, up, down = 34, 8, 8, 18
    w, h = width - left - right, height - up - down
    body = [f'<line x1="{left}" y1="{up + h}" x2="{left + w}" y2="{up + h}" stroke="#ccc"/>',
            f'<text x="{left - 4}" y="{up + 8}" font-size="9" text-anchor="end" fill="#666">{top:.3g}</text>',
            f'<text x="{left - 4}" y="{up + h}" font-size="9" text-anchor="end" fill="#666">0</text>',
            f'<text x="{left + w}" y="{height - 4}" font-size="9" text-anchor="end" fill="#666">epoch {n:,}</text>']
    for name, (values, colour) in series.items():
        if len(values) < 2:
            continue
        idx = np.unique(np.linspace(0, len(values) - 1, min(len(values), 300)).astype(int))
        v = np.nan_to_num(values[idx], nan=top, posinf=top)
        xs = left + idx / max(n - 1, 1) * w
        ys = up + h - np.clip(v / top, 0, 1) * h
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"><title>{name}'
                    f'</title></polyline>')
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" role="img" '
            f'aria-label="Loss curve" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def thumbnail(points: np.ndarray, labels: np.ndarray, size: int = 64) -> str:
    """A data set's points as a small SVG (the original's data set pictures)."""
    fill = colours(np.clip(labels, -1, 1))
    xs = (points[:, 0] + DOMAIN) / (2 * DOMAIN) * size
    ys = (DOMAIN - points[:, 1]) / (2 * DOMAIN) * size
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.3" fill="rgb({c[0]},{c[1]},{c[2]})"/>'
                   for x, y, c in zip(xs, ys, fill, strict=True))
    return (f'<svg viewBox="0 0 {size} {size}" width="{size}" height="{size}" xmlns="http://www.w3.org/2000/svg" '
            f'style="background:#f7f7f7;border-radius:4px">{dots}</svg>')
