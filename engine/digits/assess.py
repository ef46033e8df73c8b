"""Say when a drawing is not a fair question for the network.

The model always outputs ten probabilities; this module decides whether they
mean anything: blank canvases, dots, scribbles that cover everything, two
digits side by side, and answers the network itself is unsure about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.digits.preprocess import PreprocessSteps, to_float_image

LOW_CONFIDENCE = 0.6
"""Below this top probability the page says the network is unsure."""


@dataclass(frozen=True)
class Assessment:
    """Verdict on an input.

    Attributes
    ----------
    ok_to_predict : bool
        False for a blank input: show no prediction at all.
    level : str
        ``"info"``, ``"warning"`` or ``"ok"``.
    message : str
        What to tell the student ("" when all is well).
    """

    ok_to_predict: bool
    level: str
    message: str


def assess_input(steps: PreprocessSteps, image: np.ndarray | None = None) -> Assessment:
    """Check the drawing itself, before looking at the prediction.

    ``image`` is the raw input; with it, a canvas painted over entirely (which
    preprocessing cannot tell from blank paper) gets its own message.
    """
    if steps.blank:
        if image is not None and _uniformly_bright(image):
            return Assessment(False, "warning",
                              "The whole canvas is ink: there is no digit shape left to read. Clear it and draw a "
                              "single digit with a thinner pen.")
        return Assessment(False, "info", "Draw a digit on the canvas (or upload a picture) to see the network think.")
    ink = steps.ink
    h, w = ink.shape
    top, left, bottom, right = steps.box
    box_h, box_w = bottom - top, right - left
    coverage = float((ink > 0.3).mean())
    if max(box_h, box_w) < 0.08 * max(h, w):
        return Assessment(True, "warning",
                          "That is a very small mark. Preprocessing blows it up to fill a 20×20 box, so the network "
                          "sees a big blob: draw the digit larger.")
    if coverage > 0.55:
        return Assessment(True, "warning",
                          "Most of the canvas is ink. MNIST digits are thin strokes on a dark background, so the "
                          "network's answer here means little. Clear and draw a single digit.")
    labels, count = ndimage.label(ink > 0.3)
    if count >= 2 and box_w > 1.3 * box_h:
        sizes = ndimage.sum(np.ones_like(ink), labels, index=range(1, count + 1))
        big = [i + 1 for i, s in enumerate(sizes) if s > 0.15 * max(sizes)]
        if len(big) >= 2:
            spans = [ndimage.find_objects((labels == i).astype(int))[0][1] for i in big]
            spans.sort(key=lambda s: s.start)
            separated = any(a.stop <= b.start for a, b in zip(spans, spans[1:], strict=False))
            if separated:
                return Assessment(True, "warning",
                                  "This looks like more than one digit side by side. The network reads exactly "
                                  "one digit per image, squeezed to 20×20 pixels: draw one at a time.")
    return Assessment(True, "ok", "")


def _uniformly_bright(image: np.ndarray) -> bool:
    array = to_float_image(image)
    if array.ndim == 3:
        array = array[..., 3] if array.shape[2] == 4 and array[..., 3].min() < 0.99 else array[..., :3].mean(axis=2)
    return float(array.mean()) > 0.9 and float(array.std()) < 0.1


def assess_prediction(proba: np.ndarray) -> Assessment:
    """Judge the network's confidence from its probabilities ``(10,)``."""
    order = np.argsort(proba)[::-1]
    top, second = float(proba[order[0]]), float(proba[order[1]])
    if top < LOW_CONFIDENCE:
        return Assessment(True, "warning",
                          f"The network is unsure: its best guess has only {top:.0%} "
                          f"(next {second:.0%}). This may not look like any digit it was trained on.")
    return Assessment(True, "ok", "")
