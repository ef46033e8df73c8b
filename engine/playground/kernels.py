"""The compiled inner loops: one epoch of nn.ts training, the losses, and every neuron's map.

A network of layer sizes ``sizes = (n_in, h1, ..., 1)`` is held in padded arrays, one
slot per possible neuron (at most 8 per layer), so the loops below are plain scalar
loops numba compiles to machine code:

- ``W : (n_layers, 8, 8)`` — ``W[lay, j, i]`` is the link from neuron i of layer lay to neuron
  j of layer lay + 1 (layer 0 is the inputs); ``B : (n_layers, 8)`` the biases of layer lay + 1.
- ``dead : (n_layers, 8, 8)`` — 1 where L1 regularization pushed a link across zero: nn.ts
  sets such a link to exactly 0 and never updates it again.
- ``gW, gB`` — gradients accumulated since the last update, ``count[0]`` how many examples
  they sum (nn.ts keeps what a last, short batch accumulated for the next epoch).
- ``mW, vW, mB, vB, t`` — momentum / Adam state.

Codes: activation 0 relu, 1 tanh, 2 sigmoid, 3 linear; loss 0 squared error ½(o−t)²,
1 cross-entropy on p = (1 + o) / 2 (o the tanh output, so p = sigmoid(2z)); regularization
0 none, 1 L1, 2 L2; optimizer 0 SGD (nn.ts), 1 SGD + momentum 0.9, 2 Adam (0.9, 0.999, 1e-8).

Everything follows ``src/nn.ts`` operation by operation (same sums in the same order),
so with SGD and squared error the numbers equal a straight port's within rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

MAXW = 8
MOMENTUM = 0.9
BETA1, BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


@njit(cache=True, inline="always")
def tanh(v):
    """tanh from one ``exp`` (about 3x cheaper than libm's tanh here; within 2e-15 of it, relative).

    Near zero, where ``1 - e`` would cancel, its Taylor series (8 terms: exact to rounding for |v| < 0.1).
    """
    a = abs(v)
    if a < 0.1:
        x2 = v * v
        return v * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (
            62.0 / 2835.0 + x2 * (-1382.0 / 155925.0 + x2 * (21844.0 / 6081075.0 + x2 * (
                -929569.0 / 638512875.0))))))))
    e = math.exp(-2.0 * a)
    r = (1.0 - e) / (1.0 + e)
    return r if v >= 0.0 else -r


@njit(cache=True, inline="always")
def _act(kind, z):
    if kind == 0:
        return z if z > 0.0 else 0.0
    if kind == 1:
        return tanh(z)
    if kind == 2:
        return 1.0 / (1.0 + math.exp(-z))
    return z


@njit(cache=True, inline="always")
def _der(kind, z, a):
    """d act / d z at total input z whose output is a (nn.ts recomputes a from z: same value)."""
    if kind == 0:
        return 0.0 if z <= 0.0 else 1.0
    if kind == 1:
        return 1.0 - a * a
    if kind == 2:
        return a * (1.0 - a)
    return 1.0


@njit(cache=True, inline="always")
def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(cache=True)
def _forward(sizes, W, B, act, out_act, x, Z, A):
    """One example ``x : (n_in,)`` through the net; fills totals Z and outputs A ``(n_layers + 1, 8)``."""
    nl = sizes.shape[0] - 1
    for i in range(sizes[0]):
        A[0, i] = x[i]
    for lay in range(nl):
        kind = out_act if lay == nl - 1 else act
        for j in range(sizes[lay + 1]):
            s = B[lay, j]
            for i in range(sizes[lay]):
                s += W[lay, j, i] * A[lay, i]
            Z[lay + 1, j] = s
            A[lay + 1, j] = _act(kind, s)
    return A[nl, 0]


@njit(cache=True)
def _loss_of(loss, z, o, t):
    if loss == 0:
        return 0.5 * (o - t) * (o - t)
    tp = 0.5 * (t + 1.0)
    return _softplus(2.0 * z) - tp * 2.0 * z


@njit(cache=True)
def evaluate(sizes, W, B, act, out_act, loss, classify, X, y, Z, A):
    """Mean loss and accuracy (NaN for regression) of the net on ``X : (n, n_in)``, ``y : (n,)``."""
    n = X.shape[0]
    nl = sizes.shape[0] - 1
    total = 0.0
    right = 0
    for p in range(n):
        o = _forward(sizes, W, B, act, out_act, X[p], Z, A)
        total += _loss_of(loss, Z[nl, 0], o, y[p])
        if classify and ((o > 0.0) == (y[p] > 0.0)):
            right += 1
    if n == 0:
        return 0.0, math.nan
    return total / n, (right / n if classify else math.nan)


@njit(cache=True)
def _backward(sizes, W, act, out_act, loss, t, Z, A, D, gW, gB, dead):
    """Accumulate one example's gradients (nn.ts backProp); D ``(n_layers + 1, 8)`` is scratch."""
    nl = sizes.shape[0] - 1
    o = A[nl, 0]
    if loss == 0:
        D[nl, 0] = (o - t) * _der(out_act, Z[nl, 0], o)
    else:
        D[nl, 0] = 2.0 * (1.0 / (1.0 + math.exp(-2.0 * Z[nl, 0])) - 0.5 * (t + 1.0))
    for lay in range(nl, 0, -1):
        for j in range(sizes[lay]):
            d = D[lay, j]
            gB[lay - 1, j] += d
            for i in range(sizes[lay - 1]):
                if dead[lay - 1, j, i] == 0:
                    gW[lay - 1, j, i] += d * A[lay - 1, i]
        if lay > 1:
            for i in range(sizes[lay - 1]):
                s = 0.0
                for j in range(sizes[lay]):
                    s += W[lay - 1, j, i] * D[lay, j]
                D[lay - 1, i] = s * _der(act, Z[lay - 1, i], A[lay - 1, i])


@njit(cache=True)
def _update(sizes, W, B, gW, gB, count, dead, lr, reg, reg_rate, opt, mW, vW, mB, vB, tstep):
    """nn.ts updateWeights (the optimizer's step on the mean gradient, then the regularization step)."""
    n = count[0]
    if n == 0:
        return
    nl = sizes.shape[0] - 1
    tstep[0] += 1
    c1 = 1.0 - BETA1 ** tstep[0]
    c2 = 1.0 - BETA2 ** tstep[0]
    for lay in range(nl):
        for j in range(sizes[lay + 1]):
            if opt == 0:
                B[lay, j] -= lr * gB[lay, j] / n
            else:
                g = gB[lay, j] / n
                if opt == 1:
                    mB[lay, j] = MOMENTUM * mB[lay, j] + g
                    B[lay, j] -= lr * mB[lay, j]
                else:
                    mB[lay, j] = BETA1 * mB[lay, j] + (1.0 - BETA1) * g
                    vB[lay, j] = BETA2 * vB[lay, j] + (1.0 - BETA2) * g * g
                    B[lay, j] -= lr * (mB[lay, j] / c1) / (math.sqrt(vB[lay, j] / c2) + ADAM_EPS)
            gB[lay, j] = 0.0
            for i in range(sizes[lay]):
                if dead[lay, j, i] != 0:
                    continue
                w = W[lay, j, i]
                if reg == 1:
                    rder = -1.0 if w < 0.0 else (1.0 if w > 0.0 else 0.0)
                elif reg == 2:
                    rder = w
                else:
                    rder = 0.0
                if opt == 0:
                    w = w - (lr / n) * gW[lay, j, i]
                else:
                    g = gW[lay, j, i] / n
                    if opt == 1:
                        mW[lay, j, i] = MOMENTUM * mW[lay, j, i] + g
                        w = w - lr * mW[lay, j, i]
                    else:
                        mW[lay, j, i] = BETA1 * mW[lay, j, i] + (1.0 - BETA1) * g
                        vW[lay, j, i] = BETA2 * vW[lay, j, i] + (1.0 - BETA2) * g * g
                        w = w - lr * (mW[lay, j, i] / c1) / (math.sqrt(vW[lay, j, i] / c2) + ADAM_EPS)
                new = w - (lr * reg_rate) * rder
                if reg == 1 and w * new < 0.0:
                    W[lay, j, i] = 0.0  # crossed zero because of L1: exactly zero, and it stays there
                    dead[lay, j, i] = 1
                else:
                    W[lay, j, i] = new
                gW[lay, j, i] = 0.0
    count[0] = 0


@njit(cache=True)
def train_epochs(sizes, W, B, dead, gW, gB, count, mW, vW, mB, vB, tstep,
                 act, out_act, loss, classify, lr, reg, reg_rate, opt, batch,
                 Xtr, ytr, Xte, yte, n_epochs, out):
    """Run up to ``n_epochs`` epochs (nn.ts oneStep each); write ``out[e] = train loss, test loss,
    train accuracy, test accuracy``. Returns ``(epochs_done, diverged)``: a non-finite loss or
    weight stops the run after the epoch that produced it."""
    nl = sizes.shape[0] - 1
    Z = np.zeros((nl + 1, MAXW))
    A = np.zeros((nl + 1, MAXW))
    D = np.zeros((nl + 1, MAXW))
    n = Xtr.shape[0]
    for e in range(n_epochs):
        for p in range(n):
            _forward(sizes, W, B, act, out_act, Xtr[p], Z, A)
            _backward(sizes, W, act, out_act, loss, ytr[p], Z, A, D, gW, gB, dead)
            count[0] += 1
            # nn.ts updates every ``batch`` examples; with fewer training points than that it would never
            # update at all, so then (only then) the whole training set is one batch, updated once an epoch.
            if (p + 1) % batch == 0 or (n < batch and p == n - 1):
                _update(sizes, W, B, gW, gB, count, dead, lr, reg, reg_rate, opt, mW, vW, mB, vB, tstep)
        ltr, atr = evaluate(sizes, W, B, act, out_act, loss, classify, Xtr, ytr, Z, A)
        lte, ate = evaluate(sizes, W, B, act, out_act, loss, classify, Xte, yte, Z, A)
        out[e, 0], out[e, 1], out[e, 2], out[e, 3] = ltr, lte, atr, ate
        finite = math.isfinite(ltr) and math.isfinite(lte)
        if finite:
            for lay in range(nl):
                for j in range(sizes[lay + 1]):
                    if not math.isfinite(B[lay, j]):
                        finite = False
                    for i in range(sizes[lay]):
                        if not math.isfinite(W[lay, j, i]):
                            finite = False
        if not finite:
            return e + 1, True
    return n_epochs, False


@njit(cache=True)
def _activate32(kind, row):
    """Apply the activation to a row in place, one branch-free loop per kind (SIMD-friendly).

    tanh here is the [7/6] Padé approximant clamped at ±4.97 (monotone, within 1e-4 of tanh):
    pictures only, never training.
    """
    if kind == 0:
        for p in range(row.shape[0]):
            row[p] = max(row[p], np.float32(0.0))
    elif kind == 1:
        for p in range(row.shape[0]):
            x = min(max(row[p], np.float32(-4.97)), np.float32(4.97))
            x2 = x * x
            row[p] = x * (np.float32(135135.0) + x2 * (np.float32(17325.0) + x2 * (np.float32(378.0) + x2))) / (
                np.float32(135135.0) + x2 * (np.float32(62370.0) + x2 * (np.float32(3150.0) + x2 * np.float32(28.0))))
    elif kind == 2:
        for p in range(row.shape[0]):
            row[p] = np.float32(1.0) / (np.float32(1.0) + math.exp(-row[p]))


@njit(cache=True)
def node_maps32(sizes, W, B, act, out_act, F, out):
    """Every neuron's output on every point, layer by layer in float32 (for pictures: fast, not exact).

    ``F : (n_in, P)`` feature rows, ``out : (n_neurons, P)``: the hidden neurons in order, the output last.
    """
    nl = sizes.shape[0] - 1
    P = F.shape[1]
    k = 0
    prev = 0  # row in ``out`` of the previous layer's first neuron (unused for layer 0)
    for lay in range(nl):
        kind = out_act if lay == nl - 1 else act
        for j in range(sizes[lay + 1]):
            row = out[k + j]
            b = np.float32(B[lay, j])
            for p in range(P):
                row[p] = b
            for i in range(sizes[lay]):
                w = np.float32(W[lay, j, i])
                src = F[i] if lay == 0 else out[prev + i]
                for p in range(P):
                    row[p] += w * src[p]
            _activate32(kind, row)
        prev = k
        k += sizes[lay + 1]
