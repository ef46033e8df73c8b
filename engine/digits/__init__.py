"""Draw-a-digit CNN: preprocessing, the model, training and explanations.

Public API (used by the page, notebooks and benchmarks)::

    from engine.digits import preprocess, load_pretrained
    model = load_pretrained()
    x = preprocess(canvas_rgba)                 # (28, 28) float32 in [0, 1]
    proba = model.predict_proba(x[None])        # (1, 10)
    layers = model.forward_features(x)          # {"input": ..., "conv1": ..., ..., "output": ...}
"""

from __future__ import annotations

from pathlib import Path

from engine.runtime import configure_threads

configure_threads()  # before any model is built: one torch thread, no OpenMP spin-waiting

from engine.digits.model import LAYERS, Architecture, DigitModel, DigitNet  # noqa: E402
from engine.digits.preprocess import PreprocessSteps, naive_resize, preprocess, preprocess_steps  # noqa: E402
from engine.runtime import resolve_device  # noqa: E402

PRETRAINED_PATH = Path(__file__).resolve().parents[2] / "assets" / "digit_cnn.pt"
"""Where the shipped model lives (made by ``python -m engine.digits.pretrain``)."""


def load_pretrained(device=None) -> DigitModel:
    """The shipped CNN from ``assets/digit_cnn.pt``, in evaluation mode.

    Parameters
    ----------
    device
        A torch device or name; ``None`` picks one with :func:`engine.runtime.resolve_device`.
    """
    if not PRETRAINED_PATH.is_file():
        raise FileNotFoundError(
            f"{PRETRAINED_PATH} is missing: run `python -m engine.digits.pretrain` to create it"
        )
    target = resolve_device(device) if device is None or isinstance(device, str) else device
    return DigitModel.load(PRETRAINED_PATH, target)


__all__ = [
    "LAYERS",
    "Architecture",
    "DigitModel",
    "DigitNet",
    "PreprocessSteps",
    "load_pretrained",
    "naive_resize",
    "preprocess",
    "preprocess_steps",
]
