"""Input: the canvas, an upload or an example digit, and how it becomes the 28×28 the network sees."""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np
import streamlit as st
from PIL import Image

from app.digits import keys as K
from app.digits.canvas import draw_canvas
from app.digits.resources import training_digits
from engine.digits import naive_resize, preprocess_steps
from engine.digits.images import ImageError, load_image
from engine.digits.strokes import PEN_WIDTH

SOURCES = ("Draw", "Upload a picture", "Example digit")


def input_choice() -> tuple[str, int]:
    """Which input and the pen width (in the URL); drawn by the page, outside the drawing's fragment.

    Returns ``(source, pen width)``. The hint for drawing goes here too, above the canvas:
    none of it changes with a stroke, so a stroke's rerun need not send it again.
    """
    # A segmented control, not a radio: a radio copies the whole session state on every run. An empty
    # ?digits_source= still clears it (Streamlit 1.67 binds it as clearable even when required): then draw.
    source = st.segmented_control("Input", SOURCES, default=SOURCES[0], required=True, key=K.DIGITS_SOURCE,
                                  bind="query-params", help="Draw with the mouse or a finger, upload a photo or scan, "
                                                            "or try a real MNIST digit.") or SOURCES[0]
    pen = PEN_WIDTH
    if source == "Draw":
        pen = st.slider("Pen width", 6, 40, PEN_WIDTH, key=K.DIGITS_PEN, bind="query-params", persist_state="session",
                        help="Width of new strokes in canvas pixels (the canvas is 280×280).")
        st.caption("Draw one digit, large and centred. The guess updates when you lift the pen.")
    return source, pen


def input_section(source: str, pen: int) -> np.ndarray | None:
    """Canvas, upload or example (see :func:`input_choice`); returns the raw image (or None when there is none)."""
    if source == "Draw":
        return draw_canvas(K.DIGITS_CANVAS, pen)
    if source == "Upload a picture":
        upload = st.file_uploader("A photo or scan of one digit", type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
                                  key=K.DIGITS_UPLOAD, help="Dark ink on light paper works too: it is inverted.")
        if upload is None:
            st.info("Choose a PNG or JPEG of a single handwritten digit.")
            return None
        try:
            image = load_image(upload.getvalue())
        except ImageError as err:
            st.error(f"Cannot use {upload.name!r}: {err}")
            return None
        st.image(image, caption=f"{upload.name} ({image.shape[1]}×{image.shape[0]})", width=200)
        return image
    return _example_digit()


def _example_digit() -> np.ndarray:
    """A real handwritten digit from the validation split: which class, and which one of them (both in the URL)."""
    data = training_digits()
    digit = st.selectbox("Digit", list(range(10)), key=K.DIGITS_EXAMPLE_CLASS, bind="query-params",
                         persist_state="session",
                         help=f"Real handwritten digits from the validation split of the {data.source}; "
                              "Train your own never trains on them.")
    choices = np.flatnonzero(data.y_val == digit)
    per_class = int(np.bincount(data.y_val, minlength=10).min())  # the same range whatever the class
    pick = st.slider("Which one", 0, per_class - 1, 0, key=K.DIGITS_EXAMPLE_INDEX, bind="query-params",
                     persist_state="session", help=f"Each digit has {per_class} examples to choose from.")
    st.button("Another one", key=K.DIGITS_EXAMPLE_NEXT, on_click=_another_example, args=(per_class,))
    image = (data.x_val[choices[pick % len(choices)]] * 255).astype(np.uint8)
    st.image(np.kron(image, np.ones((8, 8), dtype=np.uint8)),
             caption=f"validation digit #{choices[pick % len(choices)]}", width=224)
    return image


def _another_example(per_class: int) -> None:
    """Button callback: a random example of the same digit (before the slider is drawn, so it may change)."""
    current = int(st.session_state.get(K.DIGITS_EXAMPLE_INDEX, 0))
    step = int(np.random.default_rng().integers(1, max(per_class, 2)))
    st.session_state[K.DIGITS_EXAMPLE_INDEX] = (current + step) % per_class


def prepare(image: np.ndarray | None, naive: bool = False):
    """Preprocess the input: ``(steps, x)`` where ``x`` is what the model gets, or ``(None, None)``.

    ``x`` is the naive resize instead when ``naive`` (the toggle of :func:`naive_toggle`).
    """
    if image is None:
        return None, None
    steps = preprocess_steps(image)
    return steps, naive_resize(image) if naive else steps.centred


def naive_toggle() -> bool:
    """Heading of "what the network sees" and its naive-resize switch (in the URL); drawn before the guess."""
    st.markdown("**What the network sees**")
    return st.toggle("Show a naive resize instead", key=K.DIGITS_NAIVE, bind="query-params",
                     help="Squash the whole canvas to 28×28 without cropping or centring, to see why MNIST's "
                          "preprocessing matters. The prediction then uses this image.")


def sees_section(steps, x: np.ndarray | None, naive: bool) -> None:
    """The 28×28 the network sees (or the naive alternative); the page draws it into ``K.DIGITS_SEES_BOX``."""
    if steps is None:
        st.caption("Nothing yet.")
        return
    caption = "Naive 28×28 resize" if naive else "Downsampled drawing (28×28): the network's input"
    st.markdown(picture(x, 224, caption), unsafe_allow_html=True)


def picture(image: np.ndarray, width: int, caption: str) -> str:
    """A ``[0, 1]`` grey image and its caption as HTML: an inline PNG of its own pixels, ``width`` px wide.

    ``st.image`` would scale it up, encode it, store it as a media file and have the
    browser fetch it: server work on every stroke. This sends the image's own pixels
    (at most ``width`` a side) and the browser scales them up with square pixels.
    """
    step = max(1, math.ceil(max(image.shape[:2]) / width))  # a large upload: every step-th pixel
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image[::step, ::step], 0, 1) * 255).astype(np.uint8)).save(
        buffer, format="PNG", compress_level=1)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(caption)}" style="width:{width}px;'
            'object-fit:contain;image-rendering:pixelated;border-radius:0.5rem">'
            f'<div style="width:{width}px;text-align:center;font-size:0.875rem;opacity:0.6">'
            f'{html.escape(caption)}</div>')


def steps_section(steps) -> None:
    """MNIST's preparation, one panel per step, side by side (built only while the expander is open).

    Without a drawing, an empty placeholder: the drawing's fragment must write into this
    outside container on every run (Streamlit keeps its place from the last full run).
    """
    if steps is None or steps.blank:
        st.empty()
        return
    expander = st.expander("Preprocessing step by step: how a drawing becomes the 28×28 input",
                           key=K.DIGITS_STEPS, bind="query-params")
    if expander.open is False:
        return
    with expander:
        panels = [
            (steps.ink, "1. Ink: brightness × opacity; paper removed, dark-on-light inverted"),
            (steps.cropped, "2. Tight crop to the ink's bounding box"),
            (steps.fitted, "3. Longest side scaled to 20 px, with anti-aliasing"),
            (steps.padded, "4. Pasted in the middle of a 28×28 field"),
            (steps.centred, "5. Shifted so the centre of mass is at the centre (as MNIST did)"),
        ]
        for col, (img, caption) in zip(st.columns(len(panels)), panels, strict=True):
            col.markdown(picture(img, 140, caption), unsafe_allow_html=True)
