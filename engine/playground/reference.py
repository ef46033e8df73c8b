"""A plain NumPy port of nn.ts's training, example by example: the oracle the compiled kernels are checked against.

Slow on purpose (one Python step per example), written to read like ``src/nn.ts``:
forwardProp, backProp with accumulated derivatives, updateWeights with the L1 clip,
and oneStep's losses. SGD only (nn.ts has nothing else). Used by the tests and the
benchmark, never by the page.
"""

from __future__ import annotations

import numpy as np


def _act(kind: str, z: np.ndarray) -> np.ndarray:
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z.copy()


def _der(kind: str, z: np.ndarray) -> np.ndarray:
    if kind == "relu":
        return np.where(z <= 0, 0.0, 1.0)
    if kind == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if kind == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return np.ones_like(z)


class ReferenceNet:
    """``weights[l] : (n_out, n_in)``, ``biases[l] : (n_out,)`` for each layer after the inputs."""

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray], activation: str,
                 output_activation: str, regularization: str = "none", reg_rate: float = 0.0,
                 learning_rate: float = 0.03, batch_size: int = 10) -> None:
        self.W = [np.array(w, dtype=np.float64) for w in weights]
        self.B = [np.array(b, dtype=np.float64) for b in biases]
        self.dead = [np.zeros(w.shape, dtype=bool) for w in self.W]
        self.act, self.out_act = activation, output_activation
        self.reg, self.reg_rate = regularization, reg_rate
        self.lr, self.batch = learning_rate, batch_size
        self.accW = [np.zeros_like(w) for w in self.W]
        self.accB = [np.zeros_like(b) for b in self.B]
        self.n_acc = 0

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Totals and outputs per layer for one example ``x : (n_in,)`` (outputs[0] is x)."""
        outputs, totals = [np.asarray(x, dtype=np.float64)], [None]
        for lay, (w, b) in enumerate(zip(self.W, self.B, strict=True)):
            z = b.copy()
            for i in range(w.shape[1]):  # nn.ts: bias, then + weight * input, input by input
                z = z + w[:, i] * outputs[-1][i]
            totals.append(z)
            outputs.append(_act(self.out_act if lay == len(self.W) - 1 else self.act, z))
        return totals, outputs

    def output(self, x: np.ndarray) -> float:
        return float(self.forward(x)[1][-1][0])

    def backward(self, totals, outputs, target: float) -> None:
        last = len(self.W)
        out_der = outputs[-1] - target
        for lay in range(last, 0, -1):
            kind = self.out_act if lay == last else self.act
            input_der = out_der * _der(kind, totals[lay])
            self.accB[lay - 1] += input_der
            self.accW[lay - 1] += np.where(self.dead[lay - 1], 0.0, np.outer(input_der, outputs[lay - 1]))
            out_der = self.W[lay - 1].T @ input_der
        self.n_acc += 1

    def update(self) -> None:
        n = self.n_acc
        for lay in range(len(self.W)):
            self.B[lay] -= self.lr * self.accB[lay] / n
            w = self.W[lay]
            if self.reg == "L1":
                rder = np.sign(w)
            elif self.reg == "L2":
                rder = w.copy()
            else:
                rder = np.zeros_like(w)
            stepped = w - (self.lr / n) * self.accW[lay]
            new = stepped - (self.lr * self.reg_rate) * rder
            cross = (self.reg == "L1") & (stepped * new < 0) & ~self.dead[lay]
            updated = np.where(cross, 0.0, new)
            self.W[lay] = np.where(self.dead[lay], w, updated)
            self.dead[lay] |= cross
            self.accW[lay][:] = 0
            self.accB[lay][:] = 0
        self.n_acc = 0

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean ½(o − t)² over ``X : (n, n_in)`` (all examples at once: the same sums, column by column)."""
        h = np.asarray(X, dtype=np.float64)
        for lay, (w, b) in enumerate(zip(self.W, self.B, strict=True)):
            z = np.broadcast_to(b, (len(h), len(b))).copy()
            for i in range(w.shape[1]):
                z = z + h[:, i:i + 1] * w[:, i]
            h = _act(self.out_act if lay == len(self.W) - 1 else self.act, z)
        return float(np.mean(0.5 * (h[:, 0] - y) ** 2))

    def one_step(self, X_train, y_train, X_test, y_test) -> tuple[float, float]:
        """One epoch as the original's oneStep: examples in order, update every batch; the two losses."""
        for i, (x, t) in enumerate(zip(X_train, y_train, strict=True)):
            totals, outputs = self.forward(x)
            self.backward(totals, outputs, t)
            if (i + 1) % self.batch == 0:
                self.update()
        return self.loss(X_train, y_train), self.loss(X_test, y_test)
