"""A TensorFlow Playground network that trains live: the engine behind the decision-boundary page.

:class:`Trainer` follows the live-training protocol (:mod:`engine.live`): one unit of
work is one *epoch* as the original's ``oneStep`` does it — one pass over the training
points in a fixed order with an update after every ``batch_size`` of them, then the
train and test loss. :meth:`Trainer.step` runs whole epochs for at most ``max_seconds``
in compiled code (:mod:`engine.playground.kernels`).

Node ids are the original's: the input features by name (``"x"``, ``"sinY"`` ...), the
neurons numbered ``"1"``, ``"2"`` ... layer by layer, the output neuron last.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from engine.live import DIVERGED, DONE, READY, STOPPED, TRAINING
from engine.playground import kernels as kn
from engine.playground.config import ACTIVATIONS, OPTIMIZERS, REGULARIZATIONS, PlaygroundConfig
from engine.playground.data import features, grid_points, make_dataset, split

EXPORT_FORMAT = "ml-playground/decision-boundary-network"
EXPORT_VERSION = 2
"""2 adds what continuing needs: the optimizer's moments and step count, and the carried-over partial batch."""
MAX_UPLOAD_POINTS = 5_000
MAX_EDIT = 1_000.0
"""The largest weight or bias (in absolute value) a student may type in: far beyond anything training reaches
(|w| of a few), small enough that the sums stay finite."""


def edit_value(value, what: str = "weight") -> float:
    """A typed weight or bias as a float; ``ValueError`` (a sentence to show) for text, NaN, ±inf or too large."""
    if isinstance(value, bool):
        raise ValueError(f"A {what} must be a number, not {value!r}.")
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-")  # a typographic minus
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number: the {what} stays as it was.") from None
    elif isinstance(value, int | float | np.floating | np.integer):
        number = float(value)
    else:
        raise ValueError(f"A {what} must be a number, not {type(value).__name__}.")
    if not math.isfinite(number):
        raise ValueError(f"A {what} must be a finite number, not {number}: the {what} stays as it was.")
    if abs(number) > MAX_EDIT:
        raise ValueError(f"{number:g} is too large: a {what} here is at most {MAX_EDIT:,.0f} in size (training "
                         f"itself keeps them within a few units). The {what} stays as it was.")
    return number


class LossHistory(Sequence):
    """One record per epoch, ``{"epoch", "train_loss", "test_loss", "train_acc", "test_acc"}``, held in
    one growing array (a long run makes hundreds of thousands of epochs: no dict per epoch is kept)."""

    COLUMNS = ("train_loss", "test_loss", "train_acc", "test_acc")

    def __init__(self) -> None:
        self._rows = np.zeros((1024, 4))
        self._n = 0

    def extend(self, rows: np.ndarray) -> None:
        need = self._n + len(rows)
        if need > len(self._rows):
            grown = np.zeros((max(need, 2 * len(self._rows)), 4))
            grown[: self._n] = self._rows[: self._n]
            self._rows = grown
        self._rows[self._n: need] = rows
        self._n = need

    def array(self) -> np.ndarray:
        """``(n_epochs, 4)``: train loss, test loss, train accuracy, test accuracy (NaN for regression)."""
        return self._rows[: self._n]

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        row = self._rows[i]
        return {"epoch": i + 1, **{c: float(v) for c, v in zip(self.COLUMNS, row, strict=True)}}


class Trainer:
    """One network, its data and its run.

    Parameters
    ----------
    config
        The setup (clamped already; see :meth:`from_params`).
    points
        Optional own data ``(X : (n, 2), y : (n,))`` used instead of the generated data set
        (labels ±1 for classification); the split into train and test still follows ``config``.
    """

    def __init__(self, config: PlaygroundConfig, points: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        problems = config.problems()
        if problems:
            raise ValueError(problems[0])
        self.config = config
        self.notes: list[str] = []
        if points is None:
            X, y = make_dataset(config.data_name, None, config.noise, config.seed)
        else:
            X, y = (np.asarray(a, dtype=np.float64) for a in points)
        self.points_ = (X, y)
        self.custom_data = points is not None
        self.raw_ = split(X, y, config.perc_train, config.seed)
        Xtr, ytr, Xte, yte = self.raw_
        self._Ftr, self._Fte = features(Xtr, config.features), features(Xte, config.features)
        self._ytr, self._yte = np.ascontiguousarray(ytr), np.ascontiguousarray(yte)
        self.sizes_ = np.array(config.shape, dtype=np.int64)
        self.learning_rate = float(config.learning_rate)
        self._init_weights()
        self.status_ = READY
        self.message_ = "Press Play to train."
        self.history_ = LossHistory()
        self._rate: float | None = None  # epochs per second, measured by every chunk :meth:`step` trains
        self._grid_cache: dict[int, np.ndarray] = {}

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_params(cls, params: dict[str, str], points=None) -> Trainer:
        """A trainer from TensorFlow Playground's link keys (clamped; the notes are in ``.notes``)."""
        config, notes = PlaygroundConfig.from_params(params)
        trainer = cls(config, points)
        trainer.notes = notes
        return trainer

    def _init_weights(self) -> None:
        """Weights U(-0.5, 0.5) and biases 0.1, drawn link by link in nn.ts's order from the seed (every weight 0
        with the original's ``initZero``)."""
        rng = np.random.default_rng([self.config.seed, 2])
        n_layers = len(self.sizes_) - 1
        shape3, shape2 = (n_layers, kn.MAXW, kn.MAXW), (n_layers, kn.MAXW)
        self.W = np.zeros(shape3)
        self.B = np.zeros(shape2)
        for lay in range(n_layers):
            for j in range(self.sizes_[lay + 1]):
                self.B[lay, j] = 0.1
                for i in range(self.sizes_[lay]):
                    self.W[lay, j, i] = 0.0 if self.config.init_zero else rng.random() - 0.5
        self.dead = np.zeros(shape3, dtype=np.uint8)
        self.gW, self.gB = np.zeros(shape3), np.zeros(shape2)
        self.mW, self.vW, self.mB, self.vB = np.zeros(shape3), np.zeros(shape3), np.zeros(shape2), np.zeros(shape2)
        self.count = np.zeros(1, dtype=np.int64)
        self.tstep = np.zeros(1, dtype=np.int64)

    # ---------------------------------------------------------------- the protocol
    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def epoch(self) -> int:
        return len(self.history_)

    @property
    def finished(self) -> bool:
        return self.status_ in (DONE, DIVERGED, STOPPED)

    @property
    def progress(self) -> float:
        return min(1.0, self.epoch / self.config.max_epochs)

    @property
    def classify(self) -> bool:
        return self.config.problem == "classification"

    def set_learning_rate(self, rate: float) -> None:
        """Change the learning rate in the middle of a run (as the original: no reset)."""
        self.learning_rate = float(rate)

    def _place(self, node: str) -> tuple[int, int]:
        """``(layer, index)`` of node id ``node`` (layer 0: the inputs); ``ValueError`` for an unknown id."""
        for lay, layer in enumerate(self.node_ids()):
            if node in layer:
                return lay, layer.index(node)
        raise ValueError(f"This network has no node {node!r}.")

    def set_weight(self, source: str, dest: str, value) -> float:
        """Set the weight of the link ``source`` -> ``dest`` (node ids, see :meth:`node_ids`), as the original's
        click on a link does; training continues from it. A link L1 had set to zero trains again.

        ``value`` may be a number or its text; anything not a finite number within :data:`MAX_EDIT` raises
        ``ValueError`` with a sentence a student can read, and changes nothing. Returns the value set.
        """
        number = edit_value(value, "weight")
        (ls, i), (ld, j) = self._place(str(source)), self._place(str(dest))
        if ld != ls + 1:
            raise ValueError(f"There is no link from {source} to {dest}: links join one layer to the next.")
        self.W[ls, j, i] = number
        self.dead[ls, j, i] = 0
        self._grid_cache.clear()
        return number

    def set_bias(self, node: str, value) -> float:
        """Set the bias of neuron ``node`` (a hidden neuron or the output; inputs have none), as the original's
        click on a node does; training continues from it. Bad values raise ``ValueError`` as :meth:`set_weight`."""
        number = edit_value(value, "bias")
        lay, j = self._place(str(node))
        if lay == 0:
            raise ValueError(f"{node} is an input feature: inputs have no bias.")
        self.B[lay - 1, j] = number
        self._grid_cache.clear()
        return number

    def train_epochs(self, n: int) -> int:
        """Train ``n`` epochs (fewer if the run ends); return how many ran."""
        if self.finished:
            return 0
        n = int(max(0, min(n, self.config.max_epochs - self.epoch)))
        if n == 0:
            return 0
        c = self.config
        out = np.full((n, 4), np.nan)
        done, diverged = kn.train_epochs(
            self.sizes_, self.W, self.B, self.dead, self.gW, self.gB, self.count,
            self.mW, self.vW, self.mB, self.vB, self.tstep,
            ACTIVATIONS.index(c.activation), 3 if c.problem == "regression" else 1,
            1 if (c.loss == "cross_entropy" and self.classify) else 0, self.classify,
            self.learning_rate, REGULARIZATIONS.index(c.regularization), float(c.reg_rate),
            OPTIMIZERS.index(c.optimizer), int(c.batch_size),
            self._Ftr, self._ytr, self._Fte, self._yte, n, out)
        self.history_.extend(out[:done])
        self._grid_cache.clear()
        if diverged:
            self.status_ = DIVERGED
            self.message_ = (f"Training diverged at epoch {self.epoch}: the loss or a weight became "
                             f"infinite or not a number. Learning rate {self.learning_rate:g} is too large"
                             + (f" for regularization rate {c.reg_rate:g}" if c.regularization != "none" else "")
                             + ": try a lower learning rate (e.g. 0.03) and press Reset.")
        elif self.epoch >= c.max_epochs:
            self.status_ = DONE
            self.message_ = f"Trained the planned {c.max_epochs:,} epochs."
        else:
            self.status_ = TRAINING
            self.message_ = ""
        return int(done)

    def step(self, max_seconds: float) -> int:
        """Whole epochs for at most about ``max_seconds`` (at least one); return how many ran.

        It never runs past ``max_seconds`` by more than one epoch: the first chunk of a run is one epoch, which
        measures how fast this network trains on this data; later chunks fill 80 % of the time left at the
        latest measured rate (a big network on 5,000 own points trains a few epochs a second, a small one on the
        circle thousands).
        """
        start = time.perf_counter()
        total = 0
        while not self.finished:
            left = max_seconds - (time.perf_counter() - start)
            if total and left <= 0:
                break
            chunk = 1 if self._rate is None else max(1, int(self._rate * max(left, 0.0) * 0.8))
            t0 = time.perf_counter()
            done = self.train_epochs(chunk)
            spent = time.perf_counter() - t0
            if done and spent > 0:
                self._rate = done / spent
            total += done
            if done == 0:
                break
        return total

    def stop(self) -> None:
        if not self.finished:
            self.status_ = STOPPED
            self.message_ = f"Stopped at epoch {self.epoch}."

    # ---------------------------------------------------------------- what the page shows
    def losses(self) -> dict[str, np.ndarray]:
        """Per epoch: ``train``, ``test`` losses and ``train_acc``, ``test_acc`` (NaN for regression)."""
        h = self.history_.array()
        return {"train": h[:, 0].copy(), "test": h[:, 1].copy(), "train_acc": h[:, 2].copy(),
                "test_acc": h[:, 3].copy()}

    def current(self) -> dict[str, float]:
        """The latest losses and accuracies (of the untrained net before the first epoch)."""
        if len(self.history_):
            return {k: v for k, v in self.history_[-1].items() if k != "epoch"}
        Z = np.zeros((len(self.sizes_), kn.MAXW))
        A = np.zeros_like(Z)
        args = (self.sizes_, self.W, self.B, ACTIVATIONS.index(self.config.activation),
                3 if self.config.problem == "regression" else 1,
                1 if (self.config.loss == "cross_entropy" and self.classify) else 0, self.classify)
        ltr, atr = kn.evaluate(*args, self._Ftr, self._ytr, Z, A)
        lte, ate = kn.evaluate(*args, self._Fte, self._yte, Z, A)
        return {"train_loss": ltr, "test_loss": lte, "train_acc": atr, "test_acc": ate}

    def node_ids(self) -> list[list[str]]:
        """Ids per layer: the input features, then "1", "2" ... per hidden layer, the output last."""
        layers = [list(self.config.features)]
        k = 1
        for size in self.sizes_[1:]:
            layers.append([str(k + j) for j in range(size)])
            k += size
        return layers

    @property
    def output_id(self) -> str:
        return self.node_ids()[-1][0]

    def grid(self, resolution: int = 100) -> dict[str, np.ndarray]:
        """Every node's output over the domain: ``{node_id: (resolution, resolution)}``, row 0 at y = +6.

        Inputs are their feature's values; the output neuron's map is the decision map. Computed in
        float32 (pictures; about 1e-6 from the float64 training arithmetic), cached until the next epoch.
        """
        resolution = int(min(max(resolution, 2), 400))
        F = _grid_features(resolution, self.config.features)
        flat = self._grid_cache.get(resolution)
        if flat is None:
            flat = np.empty((int(self.sizes_[1:].sum()), F.shape[1]), dtype=np.float32)
            kn.node_maps32(self.sizes_, self.W, self.B, ACTIVATIONS.index(self.config.activation),
                           3 if self.config.problem == "regression" else 1, F, flat)
            self._grid_cache[resolution] = flat
        ids = self.node_ids()
        maps = {name: F[i].reshape(resolution, resolution) for i, name in enumerate(ids[0])}
        for k, name in enumerate(n for layer in ids[1:] for n in layer):
            maps[name] = flat[k].reshape(resolution, resolution)
        return maps

    def weights(self) -> dict:
        """``{"links": {(source_id, dest_id): weight}, "biases": {node_id: bias}, "dead": [(src, dst)...]}``."""
        ids = self.node_ids()
        links, biases, dead = {}, {}, []
        for lay in range(len(ids) - 1):
            for j, dst in enumerate(ids[lay + 1]):
                biases[dst] = float(self.B[lay, j])
                for i, src in enumerate(ids[lay]):
                    links[(src, dst)] = float(self.W[lay, j, i])
                    if self.dead[lay, j, i]:
                        dead.append((src, dst))
        return {"links": links, "biases": biases, "dead": dead}

    def data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(X_train, y_train, X_test, y_test)`` with X as the network's input columns."""
        return self._Ftr.copy(), self._ytr.copy(), self._Fte.copy(), self._yte.copy()

    # ---------------------------------------------------------------- export / import
    def to_json(self) -> str:
        """Config, weights, biases, loss history and the state continuing needs, as JSON.

        The data is regenerated from the seed. Training draws no random numbers after the weights (nn.ts
        visits the points in a fixed order), so the optimizer's moments (momentum, Adam), its step count and
        the gradients of the partial batch carried over to the next epoch are all a run holds beyond its
        weights: an imported network continues exactly as the exported one would have.
        """
        ids = self.node_ids()
        layers = []
        for lay in range(len(ids) - 1):
            n_out, n_in = len(ids[lay + 1]), len(ids[lay])
            w, b = np.s_[lay, :n_out, :n_in], np.s_[lay, :n_out]
            layers.append({"weights": self.W[w].tolist(), "biases": self.B[b].tolist(),
                           "dead": self.dead[w].astype(int).tolist(),
                           "optimizer": {"m_weights": self.mW[w].tolist(), "v_weights": self.vW[w].tolist(),
                                         "m_biases": self.mB[b].tolist(), "v_biases": self.vB[b].tolist()},
                           "pending": {"weights": self.gW[w].tolist(), "biases": self.gB[b].tolist()}})
        doc = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "config": self.config.to_dict(),
               "learning_rate": self.learning_rate, "node_ids": ids, "layers": layers,
               "epochs": self.epoch, "history": self.history_.array().tolist(),
               "optimizer_steps": int(self.tstep[0]), "pending_examples": int(self.count[0])}
        return json.dumps(doc, allow_nan=True)

    @classmethod
    def from_json(cls, text: str | bytes, points=None) -> Trainer:
        """Rebuild an exported trainer (weights, history); raises ``ValueError`` with a readable reason."""
        try:
            doc = json.loads(text)
        except (ValueError, UnicodeDecodeError) as err:
            raise ValueError(f"Not a JSON file: {err}") from None
        if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
            raise ValueError("This JSON is not a network exported by this page (its 'format' field is missing).")
        config, notes = PlaygroundConfig.from_dict(doc.get("config") or {})
        if notes:
            raise ValueError("The file's settings are out of range: " + " ".join(notes))
        trainer = cls(config, points)
        layers = doc.get("layers")
        if not isinstance(layers, list) or len(layers) != len(trainer.sizes_) - 1:
            raise ValueError("The file's layers do not match its network shape.")
        for lay, layer in enumerate(layers):
            n_out, n_in = int(trainer.sizes_[lay + 1]), int(trainer.sizes_[lay])
            try:
                w = np.asarray(layer["weights"], dtype=np.float64)
                b = np.asarray(layer["biases"], dtype=np.float64)
                d = np.asarray(layer.get("dead", np.zeros((n_out, n_in))), dtype=np.uint8)
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"Layer {lay + 1} of the file is not numbers.") from None
            if w.shape != (n_out, n_in) or b.shape != (n_out,) or d.shape != (n_out, n_in):
                raise ValueError(f"Layer {lay + 1} has the wrong shape for the network {list(config.shape)}.")
            if not (np.isfinite(w).all() and np.isfinite(b).all()):
                raise ValueError(f"Layer {lay + 1} holds NaN or infinite weights.")
            trainer.W[lay, :n_out, :n_in], trainer.B[lay, :n_out], trainer.dead[lay, :n_out, :n_in] = w, b, d
            _read_state(trainer, lay, layer, n_out, n_in)
        trainer.tstep[0] = _count(doc, "optimizer_steps")
        trainer.count[0] = _count(doc, "pending_examples")
        if trainer.count[0] >= len(trainer._ytr) + trainer.config.batch_size:
            raise ValueError("The file's carried-over batch is larger than a batch and the training set.")
        history = np.asarray(doc.get("history") or np.zeros((0, 4)), dtype=np.float64)
        if history.ndim == 2 and history.shape[1] == 4:
            trainer.history_.extend(history)
        lr = doc.get("learning_rate")
        if isinstance(lr, int | float) and math.isfinite(lr) and lr > 0:
            trainer.learning_rate = float(lr)
        trainer.status_ = TRAINING if trainer.epoch else READY
        trainer.message_ = f"Imported a network trained for {trainer.epoch:,} epochs."
        return trainer

    def with_config(self, **changes) -> Trainer:
        """A fresh trainer with some settings changed (same own data, if any)."""
        return Trainer(replace(self.config, **changes), self.points_ if self.custom_data else None)


def _count(doc: dict, key: str) -> int:
    """A non-negative whole number of the file (0 when absent: a version-1 file, which saved no optimizer state)."""
    value = doc.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"The file's '{key}' is not a whole number >= 0.")
    return value


def _read_state(trainer: Trainer, lay: int, layer: dict, n_out: int, n_in: int) -> None:
    """Layer ``lay``'s optimizer moments and carried-over gradients from the file (zeros when absent)."""
    parts = {"optimizer": (("m_weights", trainer.mW, True), ("v_weights", trainer.vW, True),
                           ("m_biases", trainer.mB, False), ("v_biases", trainer.vB, False)),
             "pending": (("weights", trainer.gW, True), ("biases", trainer.gB, False))}
    for group, fields in parts.items():
        saved = layer.get(group)
        if saved is None:
            continue
        for name, target, is_matrix in fields:
            shape = (n_out, n_in) if is_matrix else (n_out,)
            try:
                value = np.asarray(saved[name], dtype=np.float64)
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"Layer {lay + 1}'s {group} state is not numbers.") from None
            if value.shape != shape or not np.isfinite(value).all():
                raise ValueError(f"Layer {lay + 1}'s {group} state has the wrong shape or is not finite.")
            if name.startswith("v_") and (value < 0).any():
                raise ValueError(f"Layer {lay + 1}'s Adam second moments are negative.")
            if is_matrix:
                target[lay, :n_out, :n_in] = value
            else:
                target[lay, :n_out] = value


@lru_cache(maxsize=32)
def _grid_features(resolution: int, names: tuple[str, ...]) -> np.ndarray:
    """The grid's input rows ``(n_features, resolution²)`` in float32 (read-only, built once per resolution)."""
    F = np.ascontiguousarray(features(grid_points(resolution), names).T, dtype=np.float32)
    F.setflags(write=False)
    return F


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel once; return the seconds it took."""
    start = time.perf_counter()
    for opt in OPTIMIZERS[:1]:
        t = Trainer(PlaygroundConfig(optimizer=opt, max_epochs=100))
        t.train_epochs(1)
        t.grid(10)
        t.current()
    return time.perf_counter() - start
