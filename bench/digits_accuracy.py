"""Benchmark the digit model: MNIST test accuracy, real pen-drawn digits, CPU latency.

    python bench/digits_accuracy.py [--model assets/digit_cnn.pt] [--data ../shared/data]

Uses the evaluation sets in ``shared/data`` (never used for training). Parts
whose files are absent are skipped with a note, so this runs anywhere.

- MNIST test set (IDX, 10,000 digits): accuracy of ``predict_proba`` (images are
  already MNIST-prepared, so no ``preprocess``).
- UCI pendigits (10,992 digits by 44 writers, 8 pen positions each): each drawn
  as an 18 px white polyline with round joins on a 280x280 black canvas, mapping
  (x, y) to (40 + 2x, 40 + 2(100 - y)), then ``preprocess`` + model.
- Latency: median of ``preprocess`` + ``predict_proba`` + ``forward_features``
  for one 280x280 RGBA drawing, on the CPU with one thread.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402,F401
from engine.digits import PRETRAINED_PATH, preprocess  # noqa: E402
from engine.digits.data import TEST_FILES, find_idx_pair, load_idx_digits  # noqa: E402
from engine.digits.model import DigitModel  # noqa: E402
from engine.digits.strokes import render_strokes  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def mnist_test_accuracy(model: DigitModel, folder: Path) -> float | None:
    if find_idx_pair(folder, TEST_FILES) is None:
        print(f"MNIST test set: skipped ({folder} has no t10k IDX files)")
        return None
    images, labels = load_idx_digits(folder, TEST_FILES)
    pred = np.concatenate([model.predict_proba(images[i : i + 1000]).argmax(1) for i in range(0, len(labels), 1000)])
    accuracy = float((pred == labels).mean())
    print(f"MNIST test set: {accuracy:.2%} of {len(labels):,}")
    return accuracy


def pendigit_drawings(path: Path):
    """Yield (canvas uint8 (280, 280), label) for each row of pendigits.csv."""
    with path.open() as handle:
        for row in csv.DictReader(handle):
            xy = [float(row[f"input{i}"]) for i in range(1, 17)]
            points = [(40 + 2 * xy[2 * i], 40 + 2 * (100 - xy[2 * i + 1])) for i in range(8)]
            yield render_strokes([points], size=280, width=18), int(row["class"])


def pendigits_accuracy(model: DigitModel, path: Path, limit: int | None = None) -> float | None:
    if not path.is_file():
        print(f"pendigits: skipped ({path} not found)")
        return None
    images, labels = [], []
    for k, (canvas, label) in enumerate(pendigit_drawings(path)):
        if limit is not None and k >= limit:
            break
        images.append(preprocess(canvas))
        labels.append(label)
    x, y = np.stack(images), np.array(labels)
    pred = np.concatenate([model.predict_proba(x[i : i + 1000]).argmax(1) for i in range(0, len(y), 1000)])
    accuracy = float((pred == y).mean())
    print(f"pendigits drawn on a canvas: {accuracy:.2%} of {len(y):,}")
    per_class = ", ".join(f"{d}: {(pred[y == d] == d).mean():.0%}" for d in range(10))
    print(f"  per class: {per_class}")
    confusions = np.zeros((10, 10), dtype=int)
    np.add.at(confusions, (y, pred), 1)
    np.fill_diagonal(confusions, 0)
    worst = np.dstack(np.unravel_index(np.argsort(-confusions, axis=None)[:5], confusions.shape))[0]
    print("  most common errors: " + ", ".join(f"{t}->{p} ({confusions[t, p]})" for t, p in worst))
    return accuracy


def latency_ms(model: DigitModel, repeats: int = 200) -> float:
    rng = np.random.default_rng(0)
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    points = [(rng.uniform(60, 220), rng.uniform(60, 220)) for _ in range(8)]
    gray = render_strokes([points])
    canvas[..., :3] = 255
    canvas[..., 3] = gray
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        x = preprocess(canvas)
        model.predict_proba(x[None])
        model.forward_features(x)
        timings.append((time.perf_counter() - start) * 1000)
    median = statistics.median(timings[10:])
    print(f"latency (preprocess + predict_proba + forward_features, CPU): median {median:.1f} ms over {repeats - 10}")
    return median


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Digit model benchmark")
    parser.add_argument("--model", type=Path, default=PRETRAINED_PATH)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pendigits-limit", type=int, default=None)
    args = parser.parse_args(argv)
    model = DigitModel.load(args.model, "cpu")
    print(f"model: {args.model} ({model.info.get('name', 'unnamed')})")
    mnist_test_accuracy(model, args.data / "mnist-t10k")
    pendigits_accuracy(model, args.data / "pendigits" / "pendigits.csv", args.pendigits_limit)
    latency_ms(model)


if __name__ == "__main__":
    main()
