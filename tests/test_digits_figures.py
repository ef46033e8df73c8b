"""The digit page's layer pictures and unit picker: every cell's colour, place and hover value.

A layer is most of a drawing's bytes, so it is packed (colour levels as a one-byte
PNG, values as float16, the geometry to find a cell); these tests read every cell
back the way the browser does and check that nothing a student sees or hovers over
was lost in the packing.
"""

from __future__ import annotations

import base64
import json
import zlib

import numpy as np
import pytest

from app.digits.figures import normalise_maps, unit_picker_figure
from app.digits.layer_view import colour_table, maps_picture, units_picture
from app.figures import minmax


def decode(value) -> np.ndarray:
    """A plotly.js typed array ``{"dtype", "bdata", "shape"}`` as a NumPy array."""
    out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out


def read_picture(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """A layer picture (:mod:`app.digits.layer_view`) read back: ``(levels, values)``, each ``(count, h, w)``:
    every cell's colour level (0–255) and the raw value hover shows for it (float16)."""
    shape = (data["count"], data["h"], data["w"])
    levels = np.frombuffer(zlib.decompress(base64.b64decode(data["levels"])), np.uint8)
    values = np.frombuffer(zlib.decompress(base64.b64decode(data["values"])), "<f2").astype(np.float32)
    return levels.reshape(shape), values.reshape(shape)


def layer_pictures(at) -> dict[str, dict]:
    """The data of every layer picture on an AppTest's page (``digits_layer_<name>`` elements), by layer name."""
    found = {}

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            key = str(getattr(child, "key", None) or "")
            if key.startswith("digits_layer_") and type(child.proto).__name__ == "BidiComponent":
                found[key.removeprefix("digits_layer_")] = json.loads(child.proto.json)
            walk(child)

    walk(at.main)
    return found


@pytest.mark.parametrize(("count", "size"), [(32, 28), (32, 14), (64, 14), (64, 7), (1, 28), (10, 5)])
def test_every_map_cell_has_its_colour_and_value(count, size):
    rng = np.random.default_rng(count + size)
    maps = rng.normal(size=(count, size, size)).astype(np.float32)
    maps[3 % count] = 0.5  # a constant map gets the low colour
    data = maps_picture(maps, "per map", (0.0, 1.0))
    levels, values = read_picture(data)
    expected = normalise_maps(maps, "per map", (0.0, 1.0))
    np.testing.assert_allclose(levels / 255, expected, atol=0.5 / 255)  # colour: its own map's range
    np.testing.assert_allclose(values, maps, rtol=1e-3, atol=1e-4)  # hover: the raw activation (float16)
    assert data["cols"] == min(count, 8) and (data["cell"], data["gap"]) == (1, 1)  # 8 to a row, 1-pixel gaps
    assert data["scale"] * size >= 28  # every map drawn at least 28 pixels a side


def test_the_colour_range_modes():
    rng = np.random.default_rng(1)
    maps = np.stack([rng.uniform(0, 1, (7, 7)), rng.uniform(0, 5, (7, 7))]).astype(np.float32)
    for mode, low, high in (("per layer", maps.min(), maps.max()), ("global", -1.0, 9.0)):
        levels, _ = read_picture(maps_picture(maps, mode, (-1.0, 9.0)))
        np.testing.assert_allclose(levels / 255, (maps - low) / (high - low), atol=0.5 / 255)


def test_units_and_the_labelled_output_layer():
    values = np.linspace(-2.0, 6.0, 200).astype(np.float32)
    levels, raw = read_picture(units_picture(values, "per layer", (0.0, 1.0)))
    assert levels.shape == (200, 1, 1)
    np.testing.assert_allclose(levels.ravel() / 255, (values + 2) / 8, atol=0.5 / 255)
    np.testing.assert_allclose(raw.ravel(), values, rtol=1e-3)
    levels, _ = read_picture(units_picture(values, "global", (0.0, 12.0)))
    np.testing.assert_allclose(levels.ravel() / 255, np.clip(values / 12, 0, 1), atol=0.5 / 255)
    proba = np.full(10, 0.05, np.float32)
    proba[7] = 0.55
    data = units_picture(proba, "global", (0.0, 1.0), labels=[f"{d}" for d in range(10)])
    assert data["kind"] == "digit" and data["labels"][7] == "7"
    levels, _ = read_picture(data)
    np.testing.assert_allclose(levels.ravel() / 255, proba, atol=0.5 / 255)  # probabilities on 0–1 itself


def test_the_colour_table_is_the_activation_scale():
    table = np.frombuffer(base64.b64decode(colour_table()), np.uint8).reshape(256, 3)
    assert tuple(table[0]) == (68, 1, 84) and tuple(table[-1]) == (253, 231, 37)  # Viridis: dark to yellow


@pytest.mark.parametrize("shape", [(32, 28, 28), (64, 7, 7), (128,), (10,)])
def test_the_unit_picker_knows_every_unit_its_value_and_its_colour(shape):
    values = np.random.default_rng(len(shape)).normal(size=shape).astype(np.float32)
    fig = unit_picker_figure(values, (0,) * len(shape))
    trace = fig.spec["data"][0]
    where, raw, colour = decode(trace["customdata"]), decode(trace["text"]), decode(trace["marker"]["color"])
    assert where.shape == (values.size, len(shape))  # [map, row, col] or [unit]: what a click hands back
    assert where.dtype.kind == "u" and colour.dtype == np.uint8 and trace["marker"]["cmax"] == 255
    np.testing.assert_array_equal(raw, values[tuple(where.T)])  # hover: that unit's activation
    expected = normalise_maps(values, "per map", (0.0, 1.0)) if len(shape) == 3 else minmax(values)
    np.testing.assert_allclose(colour / 255, expected[tuple(where.T)], atol=0.5 / 255)
    x, y = decode(trace["x"]).astype(int), decode(trace["y"]).astype(int)
    assert len(set(zip(x, y, strict=True))) == values.size  # one square each


@pytest.mark.parametrize(("layer", "clicked", "expected"), [
    ("conv1", [11, 4, 20], {"channel": 11, "row": 4, "col": 20}),
    ("conv1", {"0": 3, "1": 2, "2": 1}, {"channel": 3, "row": 2, "col": 1}),  # an array as Plotly may send it
    ("fc1", [200], {"unit": 200}),
])
def test_a_click_on_the_picker_sets_the_unit(monkeypatch, layer, clicked, expected):
    import streamlit

    from app.digits import unit

    keys = unit._unit_keys(layer)
    state = {keys["chart"]: {"selection": {"points": [{"customdata": clicked}]}}}
    monkeypatch.setattr(streamlit, "session_state", state)
    unit._on_unit_clicked(layer)
    assert {name: state[keys[name]] for name in expected} == expected


def test_the_probability_chart_draws_every_digit_at_its_probability():
    import re

    from app.digits.figures import PROBA_SIZE, probability_bars

    proba = np.array([0.0, 0.62, 0.2, 0.1, 0.05, 0.03, 0.0, 0.0, 0.004, 0.0])
    svg = probability_bars(proba, highlight=1)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    bars = re.findall(r'<g data-digit="(\d)" data-p="([0-9.]+)"><title>digit \d: ([0-9.]+)%</title>'
                      r'<rect x="[0-9.]+" y="([0-9.]+)" width="[0-9.]+" height="([0-9.]+)" fill="([^"]+)"/>', svg)
    assert [int(b[0]) for b in bars] == list(range(10))
    assert [float(b[1]) for b in bars] == pytest.approx(proba, abs=1e-6)
    assert [float(b[2]) for b in bars] == pytest.approx(proba * 100, abs=0.006)
    heights = np.array([float(b[4]) for b in bars])
    assert heights / heights.max() == pytest.approx(proba / proba.max(), abs=1e-3)  # bar height follows p
    bottom = {round(float(b[3]) + float(b[4]), 1) for b in bars}
    assert len(bottom) == 1 and bottom.pop() < PROBA_SIZE[1]  # every bar stands on the same axis
    assert [b[5] for b in bars].count("#ff4b4b") == 1 and bars[1][5] == "#ff4b4b"  # the first guess is red
    assert ">62%<" in svg and ">0%<" in svg and ">0.4%<" not in svg  # labels from 1 %; 0 % is an axis tick
    assert "nan" not in probability_bars(np.full(10, np.nan)).lower()  # a broken model never breaks the SVG


def test_the_training_curves_put_each_epoch_at_its_place_with_a_dot_and_tooltip():
    import re
    from types import SimpleNamespace

    from app.digits.figures import training_curves

    history = [SimpleNamespace(epoch=e, train_loss=loss, val_loss=loss + 0.1, train_accuracy=acc,
                               val_accuracy=acc - 0.05)
               for e, loss, acc in ((1, 0.9, 0.70), (2, 0.5, 0.85), (3, 0.3, 0.95))]
    html = training_curves(history)
    loss_svg, accuracy_svg = re.findall(r"<svg.*?</svg>", html)
    assert "Loss (cross-entropy)" in loss_svg and "Accuracy" in accuracy_svg
    for svg in (loss_svg, accuracy_svg):
        lines = re.findall(r'<polyline points="([^"]+)"', svg)
        assert len(lines) == 2  # training and validation
        xs = [[float(p.split(",")[0]) for p in line.split()] for line in lines]
        assert xs[0] == xs[1] and xs[0][1] - xs[0][0] == pytest.approx(xs[0][2] - xs[0][1])  # epochs evenly spaced
        assert svg.count("<circle") == 6  # a dot per epoch and series
    ys = [float(p.split(",")[1]) for p in re.findall(r'<polyline points="([^"]+)"', accuracy_svg)[0].split()]
    assert ys[0] > ys[1] > ys[2]  # accuracy rises: SVG y grows downwards
    assert "validation, epoch 3: 90.0%" in accuracy_svg and "training loss, epoch 1: 0.900" in loss_svg
    assert ">epoch 2<" in loss_svg  # the x axis runs over epochs 1-3 and is labelled


def test_a_single_epoch_still_shows_its_dots():
    from types import SimpleNamespace

    from app.digits.figures import training_curves

    html = training_curves([SimpleNamespace(epoch=1, train_loss=0.5, val_loss=float("nan"), train_accuracy=0.8,
                                            val_accuracy=0.75)])
    assert html.count("<circle") == 3  # the NaN validation loss leaves a gap, not a broken chart
    assert "nan" not in html.lower()


HAND_MAPS = np.array([[[0, 1], [3, 5]], [[-2, -2], [-2, -2]], [[-10, 0], [5, 7]]], dtype=np.float32)
HAND_LEVELS = {
    # Each map on its own: 0..5 -> 51 levels a unit; a constant map -> the low colour; -10..7 -> 15 a unit.
    "per map": [[[0, 51], [153, 255]], [[0, 0], [0, 0]], [[0, 150], [225, 255]]],
    # The layer's range, -10..7: 15 levels a unit for every map.
    "per layer": [[[150, 165], [195, 225]], [[120, 120], [120, 120]], [[0, 150], [225, 255]]],
    # The global range 0..5, clipped at both ends.
    "global": [[[0, 51], [153, 255]], [[0, 0], [0, 0]], [[0, 0], [255, 255]]],
}
"""Colour levels worked out by hand for three 2x2 maps (not with normalise_maps, which the others use)."""


@pytest.mark.parametrize("mode", list(HAND_LEVELS))
def test_colour_levels_of_a_hand_computed_layer(mode):
    levels, values = read_picture(maps_picture(HAND_MAPS, mode, (0.0, 5.0)))
    np.testing.assert_array_equal(levels, np.array(HAND_LEVELS[mode], dtype=np.uint8))
    np.testing.assert_array_equal(values, HAND_MAPS)  # small integers survive float16 exactly
    if mode == "per map":  # the unit picker colours each map by its own range too
        trace = unit_picker_figure(HAND_MAPS, (0, 0, 0)).spec["data"][0]
        where, colour = decode(trace["customdata"]), decode(trace["marker"]["color"])
        np.testing.assert_array_equal(colour, np.array(HAND_LEVELS[mode], dtype=np.uint8)[tuple(where.T)])
