"""The colour legend under every layer picture (issue 14): its end values are the numbers the picture's colours
were scaled by, worked out by hand for a small layer."""

from __future__ import annotations

import numpy as np
import pytest

from app.digits.layer_view import maps_picture, units_picture
from tests.test_digits_figures import read_picture

MAPS = np.array([[[0, 1], [3, 5]], [[-2, -2], [-2, -2]], [[-10, 0], [5, 7]]], dtype=np.float32)
LEGENDS = {
    "per map": [[0.0, 5.0], [-2.0, -1.0], [-10.0, 7.0]],  # each map's min..max; a constant map spans one unit
    "per layer": [[-10.0, 7.0]],                          # the whole layer's min..max, one bar
    "global": [[0.0, 5.0]],                               # the range handed in (all hidden layers)
}


@pytest.mark.parametrize("mode", list(LEGENDS))
def test_the_legend_ends_are_the_colour_mapping_ends(mode):
    picture = maps_picture(MAPS, mode, (0.0, 5.0))
    assert picture["legend"] == LEGENDS[mode]
    levels, _ = read_picture(picture)
    for m in range(len(MAPS)):
        low, high = LEGENDS[mode][m if len(LEGENDS[mode]) > 1 else 0]
        # A value at the legend's low end has the first colour, one at its high end the last, one between
        # them the share of the way along the bar.
        for value, level in zip(MAPS[m].ravel(), levels[m].ravel(), strict=True):
            share = min(max((value - low) / (high - low), 0.0), 1.0)
            assert level == round(share * 255), (mode, m, value, level)
    assert levels.min() == 0 and levels.max() == 255


def test_a_dense_layer_and_the_output_have_one_bar():
    values = np.array([-2.0, 0.0, 6.0, 2.0], dtype=np.float32)
    assert units_picture(values, "per layer", (0.0, 1.0))["legend"] == [[-2.0, 6.0]]
    assert units_picture(values, "global", (-4.0, 12.0))["legend"] == [[-4.0, 12.0]]
    levels, _ = read_picture(units_picture(values, "per layer", (0.0, 1.0)))
    assert levels.ravel().tolist() == [0, 64, 255, 128]  # (v + 2) / 8 of the way from -2 to 6
    proba = np.array([0.1, 0.7, 0.2], dtype=np.float32)
    assert units_picture(proba, "global", (0.0, 1.0), labels=["0", "1", "2"])["legend"] == [[0.0, 1.0]]
