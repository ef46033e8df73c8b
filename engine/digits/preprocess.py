"""Turn a drawing or a photo into the 28x28 image an MNIST model expects.

MNIST's digits were made in a fixed way: the ink was size-normalised to fit a
20x20 box keeping its aspect ratio (with anti-aliasing, so edges are grey), then
placed in a 28x28 field so that its centre of mass sits at the centre. A model
trained on MNIST only works on drawings prepared the same way; every step is
returned by :func:`preprocess_steps` so the page can show it.

Shapes: an input image is ``(H, W)`` grayscale or ``(H, W, 3|4)`` RGB(A), uint8
in 0-255 or float in [0, 1]; every step below is float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

SIZE = 28
"""Side of the image the model sees."""
BOX = 20
"""Side of the box the ink is fitted into, as in MNIST."""
BLANK_INK = 0.05
"""Peak ink below which an image counts as blank."""


@dataclass(frozen=True)
class PreprocessSteps:
    """Every intermediate image of :func:`preprocess`.

    Attributes
    ----------
    ink : (H, W) float32
        Ink intensity, white-on-black, background removed.
    box : (top, left, bottom, right) or None
        The tight crop around the ink (exclusive bottom/right); ``None`` if blank.
    cropped : (h, w) float32
        The ink inside ``box``.
    fitted : (<=20, <=20) float32
        ``cropped`` resized with anti-aliasing so its longer side is 20 px.
    padded : (28, 28) float32
        ``fitted`` pasted in the middle of a 28x28 field.
    centred : (28, 28) float32
        ``padded`` shifted so the centre of mass is at the centre: the model input.
    blank : bool
        True when there is no ink at all.
    """

    ink: np.ndarray
    box: tuple[int, int, int, int] | None
    cropped: np.ndarray
    fitted: np.ndarray
    padded: np.ndarray
    centred: np.ndarray
    blank: bool


def to_float_image(image: np.ndarray) -> np.ndarray:
    """Scale an integer or float image to float32 in [0, 1], keeping its shape."""
    array = np.asarray(image)
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        top = 255.0 if array.max(initial=0) <= 255 else float(np.iinfo(array.dtype).max)
        return (array.astype(np.float32) / top).clip(0.0, 1.0)
    array = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    if array.max(initial=0.0) > 1.0:
        array = array / 255.0
    return array.clip(0.0, 1.0)


def extract_ink(image: np.ndarray) -> np.ndarray:
    """Return ink intensity ``(H, W)`` in [0, 1], white-on-black.

    - RGBA with a transparent background (a canvas): ink is alpha times the pen's
      brightness (or darkness, for a dark pen).
    - RGB or grayscale: luminance. If the border is mostly light (a scan or a
      photo of dark ink on paper), the image is inverted.
    - The background level (median of the border) is subtracted and the result
      stretched to full range, which removes paper tint and most shadows.
    """
    array = to_float_image(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        ink = array
        polarity_from_border = True
    elif array.ndim == 3 and array.shape[2] in (3, 4):
        luminance = array[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        alpha = array[:, :, 3] if array.shape[2] == 4 else None
        if alpha is not None and alpha.min() < 0.99:
            opaque = alpha > 0.5
            pen_is_light = not opaque.any() or float(luminance[opaque].mean()) >= 0.5
            ink = alpha * (luminance if pen_is_light else 1.0 - luminance)
            polarity_from_border = False
        else:
            ink = luminance
            polarity_from_border = True
    else:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {array.shape}")
    if ink.size == 0:
        raise ValueError("the image is empty")
    if polarity_from_border:
        border = _border(ink)
        if float(np.median(border)) > 0.5:
            ink = 1.0 - ink
        background = float(np.median(_border(ink)))
        peak = float(ink.max())
        if peak - background > BLANK_INK:
            ink = (ink - background) / (peak - background)
        else:
            ink = np.zeros_like(ink)
    # Drop faint noise (sensor grain, paper texture) but keep anti-aliased edges.
    ink = np.where(ink < 0.08, 0.0, ink)
    return ink.clip(0.0, 1.0).astype(np.float32)


def ink_box(ink: np.ndarray, level: float = 0.2) -> tuple[int, int, int, int] | None:
    """Tight bounding box ``(top, left, bottom, right)`` of pixels above ``level`` x peak."""
    peak = float(ink.max(initial=0.0))
    if peak < BLANK_INK:
        return None
    rows = np.flatnonzero((ink > level * peak).any(axis=1))
    cols = np.flatnonzero((ink > level * peak).any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def fit_into_box(cropped: np.ndarray, box: int = BOX) -> np.ndarray:
    """Resize so the longer side equals ``box`` pixels, keeping the aspect ratio.

    Uses a Lanczos filter, which averages over the source pixels when shrinking
    (anti-aliasing), like the grey edges of MNIST's digits.
    """
    height, width = cropped.shape
    scale = box / max(height, width)
    new_h = max(1, round(height * scale))
    new_w = max(1, round(width * scale))
    resized = Image.fromarray(cropped.astype(np.float32), mode="F").resize((new_w, new_h), Image.LANCZOS)
    return np.asarray(resized, dtype=np.float32).clip(0.0, 1.0)


def centre_of_mass_shift(image: np.ndarray) -> tuple[float, float]:
    """Shift ``(dy, dx)`` that moves the centre of mass to the image centre."""
    total = float(image.sum())
    if total <= 0:
        return 0.0, 0.0
    cy, cx = ndimage.center_of_mass(image)
    middle = (image.shape[0] - 1) / 2.0
    return middle - cy, middle - cx


def preprocess_steps(image: np.ndarray) -> PreprocessSteps:
    """Run the MNIST preparation on ``image`` and keep every intermediate step."""
    ink = extract_ink(image)
    box = ink_box(ink)
    empty = np.zeros((SIZE, SIZE), dtype=np.float32)
    if box is None:
        return PreprocessSteps(ink, None, empty, empty, empty, empty, True)
    top, left, bottom, right = box
    cropped = ink[top:bottom, left:right]
    fitted = fit_into_box(cropped)
    padded = np.zeros((SIZE, SIZE), dtype=np.float32)
    y0 = (SIZE - fitted.shape[0]) // 2
    x0 = (SIZE - fitted.shape[1]) // 2
    padded[y0 : y0 + fitted.shape[0], x0 : x0 + fitted.shape[1]] = fitted
    dy, dx = centre_of_mass_shift(padded)
    # The 20 px box leaves 4 px each side: never shift ink out of the field.
    limit = (SIZE - BOX) / 2
    dy, dx = float(np.clip(dy, -limit, limit)), float(np.clip(dx, -limit, limit))
    centred = ndimage.shift(padded, (dy, dx), order=1, mode="constant", cval=0.0)
    centred = centred.clip(0.0, 1.0).astype(np.float32)
    return PreprocessSteps(ink, box, cropped, fitted, padded, centred, False)


def preprocess(image: np.ndarray) -> np.ndarray:
    """Return the ``(28, 28)`` float32 image in [0, 1] the model sees.

    Accepts a canvas image (``(H, W)`` uint8 white-on-black, or ``(H, W, 4)``
    RGBA) or a photo/scan (dark-on-light is detected and inverted). A blank
    image gives an all-zero result.
    """
    return preprocess_steps(image).centred


def naive_resize(image: np.ndarray) -> np.ndarray:
    """What a plain resize of the whole image to 28x28 gives (for comparison)."""
    ink = extract_ink(image)
    resized = Image.fromarray(ink, mode="F").resize((SIZE, SIZE), Image.BILINEAR)
    return np.asarray(resized, dtype=np.float32).clip(0.0, 1.0)


def _border(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
