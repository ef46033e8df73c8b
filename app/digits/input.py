"""Input: the canvas, an upload or an example digit, and how it becomes the 28×28 the network sees."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import figures as common
from app.digits import keys as K
from app.digits.canvas import draw_canvas
from app.digits.resources import training_digits
from engine.digits import naive_resize, preprocess_steps
from engine.digits.images import ImageError, load_image
from engine.digits.strokes import PEN_WIDTH

SOURCES = ("Draw", "Upload a picture", "Example digit")


def input_section() -> np.ndarray | None:
    """Canvas, upload or example; returns the raw image (or None when there is none)."""
    source = st.radio("Input", SOURCES, key=K.DIGITS_SOURCE, horizontal=True,
                      help="Draw with the mouse or a finger, upload a photo or scan, or try a real MNIST digit.")
    if source == "Draw":
        pen = st.slider("Pen width", 6, 40, PEN_WIDTH, key=K.DIGITS_PEN,
                        help="Width of new strokes in canvas pixels (the canvas is 280×280).")
        image = draw_canvas(K.DIGITS_CANVAS, pen)
        st.caption("Draw one digit, large and centred. The guess updates when you lift the pen.")
        return image
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
    data = training_digits()
    digit = st.selectbox("Digit", list(range(10)), key=K.DIGITS_EXAMPLE_CLASS,
                         help=f"Real handwritten digits from the validation split of the {data.source}; "
                              "Train your own never trains on them.")
    choices = np.flatnonzero(data.y_val == digit)
    if st.button("Another one", key=K.DIGITS_EXAMPLE_NEXT):
        st.session_state[K.DIGITS_EXAMPLE_INDEX] = int(np.random.default_rng().integers(len(choices)))
    pick = int(st.session_state.get(K.DIGITS_EXAMPLE_INDEX, 0)) % len(choices)
    image = (data.x_val[choices[pick]] * 255).astype(np.uint8)
    st.image(np.kron(image, np.ones((8, 8), dtype=np.uint8)), caption=f"validation digit #{choices[pick]}",
             width=224)
    return image


def prepare(image: np.ndarray | None):
    """Preprocess the input: ``(steps, x)`` where ``x`` is what the model gets, or ``(None, None)``.

    ``x`` is the naive resize instead when the student switched that on (the
    toggle's value from the last interaction is already in session state).
    """
    if image is None:
        return None, None
    steps = preprocess_steps(image)
    return steps, naive_resize(image) if st.session_state.get(K.DIGITS_NAIVE) else steps.centred


def sees_section(steps, x: np.ndarray | None) -> None:
    """The 28×28 the network sees, the naive alternative and the preprocessing steps."""
    with st.container(key=K.DIGITS_SEES_BOX):
        st.markdown("**What the network sees**")
        naive = st.toggle("Show a naive resize instead", key=K.DIGITS_NAIVE,
                          help="Squash the whole canvas to 28×28 without cropping or centring, to see why MNIST's "
                               "preprocessing matters. The prediction then uses this image.")
        if steps is None:
            st.caption("Nothing yet.")
            return
        caption = "Naive 28×28 resize" if naive else "Downsampled drawing (28×28): the network's input"
        st.image(common.enlarge(x, 224), caption=caption, width=224)


def steps_section(steps) -> None:
    """MNIST's preparation, one panel per step, side by side."""
    if steps is None or steps.blank:
        return
    with st.expander("Preprocessing step by step: how a drawing becomes the 28×28 input", expanded=False):
        panels = [
            (steps.ink, "1. Ink: brightness × opacity; paper removed, dark-on-light inverted"),
            (steps.cropped, "2. Tight crop to the ink's bounding box"),
            (steps.fitted, "3. Longest side scaled to 20 px, with anti-aliasing"),
            (steps.padded, "4. Pasted in the middle of a 28×28 field"),
            (steps.centred, "5. Shifted so the centre of mass is at the centre (as MNIST did)"),
        ]
        for col, (img, caption) in zip(st.columns(len(panels)), panels, strict=True):
            col.image(common.enlarge(img, 140), caption=caption, width=140)
