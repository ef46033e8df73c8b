"""The digit page's feature-map figure: every cell's colour, hover position and value, whatever the tiling.

A layer's figure is most of a drawing's bytes, so it is packed (maps touching,
colours as one byte a cell, white lines as shapes between the maps); these tests
check that nothing a student sees or hovers over changed in the packing.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from app.digits.figures import feature_maps_figure, normalise_maps, unit_picker_figure
from app.figures import minmax


def decode(value) -> np.ndarray:
    """A plotly.js typed array ``{"dtype", "bdata", "shape"}`` as a NumPy array."""
    out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out


def cells(maps: np.ndarray, mode: str = "per map", global_range=(0.0, 1.0), **kwargs):
    """``(colour in [0, 1], [map, row, col], raw value)`` of every cell, and the figure."""
    fig = feature_maps_figure(maps, "", mode, global_range, **kwargs)
    (trace,) = fig.spec["data"]
    z = decode(trace["z"]).astype(np.float64)
    colour = (z - trace["zmin"]) / (trace["zmax"] - trace["zmin"])
    return colour, decode(trace["customdata"]).astype(int), decode(trace["text"]), fig


@pytest.mark.parametrize(("count", "size"), [(32, 28), (32, 14), (64, 14), (64, 7), (1, 28)])
def test_a_full_grid_sends_one_byte_colours_and_every_cell_knows_its_place(count, size):
    rng = np.random.default_rng(count + size)
    maps = rng.normal(size=(count, size, size)).astype(np.float32)
    maps[3 % count] = 0.5  # a constant map gets the low colour
    colour, where, raw, fig = cells(maps)
    (trace,) = fig.spec["data"]
    assert trace["z"]["dtype"] == "u1" and trace["zmax"] == 255
    columns = min(count, 8)
    assert colour.shape == raw.shape == (count // columns * size, columns * size)  # no gap cells
    expected = normalise_maps(maps, "per map", (0.0, 1.0))
    m, r, c = where[..., 0], where[..., 1], where[..., 2]
    np.testing.assert_array_equal(raw, maps[m, r, c])  # hover: the raw activation of that map's cell
    np.testing.assert_allclose(colour, expected[m, r, c], atol=0.5 / 255)  # colour: its own map's range
    assert sorted({(int(a), int(b), int(d)) for a, b, d in where.reshape(-1, 3)}) == [
        (a, b, d) for a in range(count) for b in range(size) for d in range(size)]  # each cell exactly once
    lines = fig.spec["layout"]["shapes"]
    assert len(lines) == (columns - 1) + (count // columns - 1)  # a line between neighbouring maps


def test_the_colour_range_modes():
    rng = np.random.default_rng(1)
    maps = np.stack([rng.uniform(0, 1, (7, 7)), rng.uniform(0, 5, (7, 7))]).astype(np.float32)
    for mode, low, high in (("per layer", maps.min(), maps.max()), ("global", -1.0, 9.0)):
        colour, where, _, _ = cells(maps, mode, (-1.0, 9.0))
        m, r, c = where[..., 0], where[..., 1], where[..., 2]
        np.testing.assert_allclose(colour, (maps[m, r, c] - low) / (high - low), atol=0.5 / 255)


def test_a_grid_with_empty_places_leaves_them_blank():
    maps = np.arange(10 * 5 * 5, dtype=np.float32).reshape(10, 5, 5)  # 8 to a row: 6 empty places in the second
    colour, where, raw, fig = cells(maps)
    (trace,) = fig.spec["data"]
    assert trace["z"]["dtype"] == "f4" and trace["hoverongaps"] is False
    assert colour.shape == (10, 40)
    empty = np.zeros_like(colour, dtype=bool)
    empty[5:, 10:] = True
    assert np.isnan(colour[empty]).all() and np.isnan(raw[empty]).all()  # no colour, no hover
    m, r, c = where[~empty][:, 0], where[~empty][:, 1], where[~empty][:, 2]
    np.testing.assert_array_equal(raw[~empty], maps[m, r, c])
    assert len(np.unique(m)) == 10


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
