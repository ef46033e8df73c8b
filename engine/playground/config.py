"""One playground setup as a frozen dataclass, and its TensorFlow Playground link keys.

Every value the original's link can hold (``src/state.ts``) has a field here, read
by :meth:`PlaygroundConfig.from_params` from the original's own keys (``dataset``,
``networkShape``, ``learningRate`` ...). Values are validated and clamped, never
trusted: an unknown data set falls back to the default, 100 layers become 6, a
negative batch size becomes 1, text where a number goes keeps the default, and each
correction is reported as a note a student can read.

Our own additions (loss, optimizer, epoch limit) use keys the original does not
have, so its links keep their meaning here.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import asdict, dataclass, field, replace

from engine.playground.data import CLASSIFICATION_SETS, FEATURES, REGRESSION_SETS

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
"""The original's 11 learning rates."""
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
"""The original's 10 regularization rates."""
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
PROBLEMS = ("classification", "regression")
LOSSES = ("squared", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "adam")
MAX_LAYERS = 6
MAX_NEURONS = 8
BATCH_RANGE = (1, 30)
NOISE_RANGE = (0, 50)
NOISE_STEP = 5
TRAIN_RANGE = (10, 90)
TRAIN_STEP = 10
SEED_MAX = 2**31 - 1
EPOCH_LIMITS = (100, 1_000, 10_000, 100_000, 1_000_000)
"""Choices of how many epochs a run trains before it stops by itself (the original never stops)."""

BOOL_KEYS = {"x": "x", "y": "y", "xSquared": "xSquared", "ySquared": "ySquared", "xTimesY": "xTimesY",
             "sinX": "sinX", "sinY": "sinY"}


@dataclass(frozen=True)
class PlaygroundConfig:
    """Everything that defines a run; the defaults are the original's (circle, 2-4-2-1 tanh, rate 0.03)."""

    problem: str = "classification"
    dataset: str = "circle"
    reg_dataset: str = "reg-plane"
    noise: int = 0
    perc_train: int = 50
    batch_size: int = 10
    features: tuple[str, ...] = ("x", "y")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    learning_rate: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    seed: int = 0
    loss: str = "squared"
    optimizer: str = "sgd"
    max_epochs: int = 100_000
    init_zero: bool = False
    """The original's ``initZero``: every weight starts at 0 (biases still 0.1) instead of U(-0.5, 0.5)."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    """Display-only link values (``showTestData``, ``discretize``, ``*_hide``) kept for the page."""

    @property
    def data_name(self) -> str:
        """The data set actually used: ``dataset`` or ``reg_dataset`` by problem."""
        return self.reg_dataset if self.problem == "regression" else self.dataset

    @property
    def shape(self) -> tuple[int, ...]:
        """Layer sizes from the inputs to the one output: ``(n_features, *hidden, 1)``."""
        return (len(self.features), *self.hidden, 1)

    def problems(self) -> list[str]:
        """Why this config cannot train (empty when it can)."""
        if not self.features:
            return ["Turn on at least one input feature: with no inputs the network has nothing to learn from."]
        return []

    def to_params(self) -> dict[str, str]:
        """This config as the original's link keys (plus ours for loss, optimizer and epoch limit)."""
        p = {"dataset": self.dataset, "regDataset": self.reg_dataset, "problem": self.problem,
             "networkShape": ",".join(str(h) for h in self.hidden), "activation": self.activation,
             "learningRate": f"{self.learning_rate:g}", "batchSize": str(self.batch_size),
             "percTrainData": str(self.perc_train), "noise": str(self.noise), "seed": str(self.seed),
             "regularization": self.regularization, "regularizationRate": f"{self.reg_rate:g}",
             "loss": self.loss, "optimizer": self.optimizer, "maxEpochs": str(self.max_epochs)}
        for name in FEATURES:
            p[name] = "true" if name in self.features else "false"
        if self.init_zero:  # only when on: the original's links rarely carry it, ours stay as they were
            p["initZero"] = "true"
        return p

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"], d["hidden"] = list(self.features), list(self.hidden)
        d.pop("extra")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> tuple[PlaygroundConfig, list[str]]:
        """Inverse of :meth:`to_dict`, through the same clamping as a link."""
        params = cls(features=tuple(d.get("features", ())), hidden=tuple(d.get("hidden", ()))).to_params()
        for key, name in (("problem", "problem"), ("dataset", "dataset"), ("reg_dataset", "regDataset"),
                          ("noise", "noise"), ("perc_train", "percTrainData"), ("batch_size", "batchSize"),
                          ("activation", "activation"), ("learning_rate", "learningRate"),
                          ("regularization", "regularization"), ("reg_rate", "regularizationRate"),
                          ("seed", "seed"), ("loss", "loss"), ("optimizer", "optimizer"),
                          ("max_epochs", "maxEpochs")):
            if key in d:
                params[name] = str(d[key])
        if "init_zero" in d:
            params["initZero"] = "true" if d["init_zero"] is True else "false"
        return cls.from_params(params)

    @classmethod
    def from_params(cls, params: dict[str, str]) -> tuple[PlaygroundConfig, list[str]]:
        """A config from TensorFlow Playground's link keys, clamped; and one note per correction."""
        return parse_params(params)


def nearest(value: float, choices: tuple[float, ...], log: bool = False) -> float:
    """The choice closest to ``value`` (on a log scale when ``log``; zero handled apart)."""
    if log:
        positive = [c for c in choices if c > 0]
        if value <= 0:
            return choices[0]
        return min(positive, key=lambda c: abs(math.log(c) - math.log(value)))
    return min(choices, key=lambda c: abs(c - value))


def seed_of(text: str) -> int:
    """An integer seed from a link's seed: itself if it is one in range, else a stable hash of the text.

    The original's seeds look like ``0.12345``: the same text always gives the same seed here.
    """
    text = text.strip()
    if text.isdigit() and int(text) <= SEED_MAX:
        return int(text)
    return zlib.crc32(text.encode()) & SEED_MAX


def parse_params(params: dict[str, str]) -> tuple[PlaygroundConfig, list[str]]:
    """See :meth:`PlaygroundConfig.from_params`."""
    d = PlaygroundConfig()
    notes: list[str] = []
    values: dict = {}
    get = {str(k): str(v) for k, v in dict(params).items()}

    def has(key: str) -> bool:
        return key in get and get[key].strip() != ""

    def choice(key: str, options: tuple[str, ...], field_name: str) -> None:
        if has(key):
            if get[key] in options:
                values[field_name] = get[key]
            else:
                notes.append(f"{key}={get[key]!r} is not one of {', '.join(options)}: kept "
                             f"{getattr(d, field_name)!r}.")

    def number(key: str) -> float | None:
        if not has(key):
            return None
        try:
            v = float(get[key])
        except ValueError:
            notes.append(f"{key}={get[key]!r} is not a number: kept the default.")
            return None
        if not math.isfinite(v):
            notes.append(f"{key}={get[key]!r} is not a finite number: kept the default.")
            return None
        return v

    def ranged(key: str, field_name: str, lo: int, hi: int, step: int = 1) -> None:
        v = number(key)
        if v is None:
            return
        c = int(min(max(round(v / step) * step, lo), hi))
        if c != v:
            notes.append(f"{key}={get[key]} is outside {lo}–{hi} (step {step}): used {c}.")
        values[field_name] = c

    def rate(key: str, field_name: str, choices: tuple[float, ...]) -> None:
        v = number(key)
        if v is None:
            return
        c = nearest(v, choices, log=True) if v > 0 else choices[0]
        if not math.isclose(c, v, rel_tol=1e-9):
            notes.append(f"{key}={get[key]} is not one of the {len(choices)} offered values: used {c:g}.")
        values[field_name] = c

    choice("problem", PROBLEMS, "problem")
    choice("dataset", CLASSIFICATION_SETS, "dataset")
    choice("regDataset", REGRESSION_SETS, "reg_dataset")
    choice("activation", ACTIVATIONS, "activation")
    choice("regularization", REGULARIZATIONS, "regularization")
    choice("loss", LOSSES, "loss")
    choice("optimizer", OPTIMIZERS, "optimizer")
    ranged("noise", "noise", *NOISE_RANGE, NOISE_STEP)
    ranged("percTrainData", "perc_train", *TRAIN_RANGE, TRAIN_STEP)
    ranged("batchSize", "batch_size", *BATCH_RANGE)
    rate("learningRate", "learning_rate", LEARNING_RATES)
    rate("regularizationRate", "reg_rate", REGULARIZATION_RATES)
    v = number("maxEpochs")
    if v is not None:
        values["max_epochs"] = int(nearest(v, EPOCH_LIMITS, log=True))
    if has("seed"):
        values["seed"] = seed_of(get["seed"])
    if "networkShape" in get:
        raw = [s for s in get["networkShape"].split(",") if s.strip()]
        hidden = []
        for s in raw:
            try:
                n = float(s)
            except ValueError:
                notes.append(f"networkShape: {s!r} is not a number of neurons: left out.")
                continue
            if not math.isfinite(n):
                notes.append(f"networkShape: {s!r} is not a number of neurons: left out.")
                continue
            c = int(min(max(round(n), 1), MAX_NEURONS))
            if c != n:
                notes.append(f"networkShape: {s} neurons is outside 1–{MAX_NEURONS}: used {c}.")
            hidden.append(c)
        if len(hidden) > MAX_LAYERS:
            notes.append(f"networkShape has {len(hidden)} hidden layers: kept the first {MAX_LAYERS}.")
            hidden = hidden[:MAX_LAYERS]
        values["hidden"] = tuple(hidden)
    feats = []
    for name in FEATURES:
        on = name in d.features
        if has(name):
            on = get[name] != "false"  # as the original: anything but "false" is true
        if on:
            feats.append(name)
    values["features"] = tuple(feats)
    if has("initZero"):
        values["init_zero"] = get["initZero"] == "true"
    extra = {k: get[k] != "false" for k in ("showTestData", "discretize", "hideText") if has(k)}
    extra.update({k: get[k] == "true" for k in get if k.endswith("_hide")})
    values["extra"] = extra
    config = replace(d, **values)
    if config.problem == "regression" and config.loss == "cross_entropy":
        notes.append("Cross-entropy needs two classes: a regression uses squared error.")
        config = replace(config, loss="squared")
    return config, notes
