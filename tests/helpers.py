"""Helpers for engine tests: digits made of strokes, as a canvas would; a small table of bank clients."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.digits.strokes import render_strokes


def seven(offset=(0.0, 0.0), scale: float = 1.0, size: int = 280, width: float = 18) -> np.ndarray:
    """A '7' on a black canvas, moved by ``offset`` and scaled about the centre."""
    base = [[(80, 60), (200, 60), (120, 230)]]
    return render_strokes(_move(base, offset, scale, size), size=size, width=width * scale)


def zero(offset=(0.0, 0.0), scale: float = 1.0, size: int = 280, width: float = 18) -> np.ndarray:
    """An elliptical '0'."""
    ring = [(140 + 55 * math.cos(t), 140 + 85 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 40)]
    return render_strokes(_move([ring], offset, scale, size), size=size, width=width * scale)


def one(size: int = 280, width: float = 18) -> np.ndarray:
    """A vertical stroke."""
    return render_strokes([[(140, 50), (140, 230)]], size=size, width=width)


def _move(strokes, offset, scale, size):
    c = size / 2
    return [[(c + (x - c) * scale + offset[0], c + (y - c) * scale + offset[1]) for x, y in s] for s in strokes]


def clients_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A binary table with what Bank Marketing has: numbers with gaps, a category with gaps, noise."""
    rng = np.random.default_rng(seed)
    job = rng.choice(["admin.", "blue-collar", "student", "retired"], n)
    age = rng.normal(40, 10, n)
    balance = rng.lognormal(7, 1, n)
    logit = 0.05 * (age - 40) + np.where(job == "student", 1.5, 0.0) + 0.4 * np.log(balance / 1000) \
        + rng.normal(0, 1, n)
    df = pd.DataFrame({"age": age, "balance": balance, "job": job,
                       "y": np.where(logit > 0.8, "yes", "no")})
    df.loc[rng.random(n) < 0.1, "balance"] = np.nan
    df.loc[rng.random(n) < 0.05, "job"] = None
    return df
