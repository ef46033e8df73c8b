"""Ready-made lessons for instructors: a setup (the original's link keys) and, for comparisons, network B.

Each preset is a claim a student can check by pressing Play; the tests train every
preset and check that its claim holds (``tests/test_playground_engine.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """``params``: network A in TensorFlow Playground's link keys; ``b``: what B changes (compare mode)."""

    params: dict
    b: dict | None
    lesson: str


ALL_FEATURES = {"xSquared": "true", "ySquared": "true", "xTimesY": "true", "sinX": "true", "sinY": "true"}

PRESETS: dict[str, Preset] = {
    "Spiral needs depth": Preset(
        {"dataset": "spiral", "networkShape": "2", "learningRate": "0.03", "activation": "tanh", "noise": "0"},
        {"networkShape": "8,8,8"},
        "Same spiral, same two inputs: A has one layer of 2 neurons, B three layers of 8. Only B can wind its "
        "boundary around the arms."),
    "ReLU vs Tanh": Preset(
        {"dataset": "circle", "networkShape": "4,2", "activation": "relu", "learningRate": "0.03"},
        {"activation": "tanh"},
        "Same circle, same network: ReLU (A) builds its boundary from straight pieces, Tanh (B) from smooth "
        "curves."),
    "Regularization kills weights": Preset(
        {"dataset": "circle", "networkShape": "8,8", "regularization": "L1", "regularizationRate": "0.03",
         "learningRate": "0.03", **ALL_FEATURES},
        {"regularization": "none", "regularizationRate": "0"},
        "All seven features: with L1 (A) most links die (dashed, exactly zero) and the circle is found from "
        "x² and y² alone; without (B) every link stays."),
    "Features instead of layers": Preset(
        {"dataset": "circle", "networkShape": "", "xSquared": "true", "ySquared": "true", "x": "false",
         "y": "false", "learningRate": "0.03"},
        None,
        "No hidden layer at all: given x² and y², a single neuron separates the circle — the right features "
        "can replace depth."),
    "Overfitting": Preset(
        {"dataset": "spiral", "noise": "50", "percTrainData": "10", "networkShape": "8,8,8", "x": "true",
         "y": "true", **ALL_FEATURES},
        None,
        "50 training points with heavy noise and a big network: the training loss keeps falling while the test "
        "loss turns and rises (seed 0: 0.03 vs 0.68 after 2,000 epochs) — it learns the noise."),
    "Learning rate too high": Preset(
        {"dataset": "circle", "networkShape": "4,2", "learningRate": "3"},
        {"learningRate": "0.03"},
        "Same circle, same network: A's learning rate 3 overshoots, so its loss jumps up and down and never "
        "settles; B's 0.03 falls smoothly to almost zero."),
}
