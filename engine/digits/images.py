"""Decode an uploaded picture safely into an array for :func:`preprocess`."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
"""Largest upload accepted (10 MB)."""
MAX_PIXELS = 40_000_000
"""Largest image accepted, in pixels (checked before decoding)."""
MIN_SIDE = 8
"""Smallest width or height that can hold a recognisable digit."""
WORK_SIDE = 560
"""Big images are shrunk so their longer side is at most this (plenty for 28x28)."""


class ImageError(ValueError):
    """An upload that cannot be used, with a message meant for the user."""


def load_image(data: bytes) -> np.ndarray:
    """Decode image bytes to an ``(H, W)`` grayscale or ``(H, W, 4)`` RGBA uint8 array.

    Raises
    ------
    ImageError
        Not an image, too large, too small, or corrupt: the message says which.
    """
    if len(data) == 0:
        raise ImageError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"The image is {width}×{height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} megapixels."
                )
            if min(width, height) < MIN_SIDE:
                raise ImageError(f"The image is only {width}×{height} pixels: too small to hold a digit "
                                 f"(at least {MIN_SIDE}×{MIN_SIDE} needed).")
            probe.draft("L", (WORK_SIDE, WORK_SIDE))
            image = ImageOps.exif_transpose(probe)
            image.load()
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ImageError("This file is not an image we can read (PNG, JPEG, BMP, GIF or WebP expected).") from err
    image.thumbnail((WORK_SIDE, WORK_SIDE))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
        if rgba[:, :, 3].min() < 250:
            return rgba
    return np.asarray(image.convert("L"), dtype=np.uint8)
