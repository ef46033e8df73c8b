"""Engine of the decision-boundary playground: data as TensorFlow Playground makes it, nn.ts training
reproduced exactly (against a NumPy port and torch autograd), regularization, links, divergence, export."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.live import DIVERGED, DONE, READY, TRAINING, LiveTrainer, run_to_end
from engine.playground import (
    ACTIVATIONS,
    DATASETS,
    REGRESSION_SETS,
    PairTrainer,
    PlaygroundConfig,
    Trainer,
    make_dataset,
)
from engine.playground import kernels as kn
from engine.playground.data import features, grid_points, split
from engine.playground.reference import ReferenceNet
from engine.playground.trainer import MAX_EDIT

ROOT = Path(__file__).resolve().parents[1]
BIG = dict(dataset="spiral", hidden=(8, 8, 8, 8, 8, 8),
           features=("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"))


def reference_of(t: Trainer) -> ReferenceNet:
    L = len(t.sizes_) - 1
    c = t.config
    return ReferenceNet([t.W[lay, : t.sizes_[lay + 1], : t.sizes_[lay]] for lay in range(L)],
                        [t.B[lay, : t.sizes_[lay + 1]] for lay in range(L)], c.activation,
                        "linear" if c.problem == "regression" else "tanh", c.regularization, c.reg_rate,
                        c.learning_rate, c.batch_size)


# ------------------------------------------------------------------ data
@pytest.mark.parametrize("name", DATASETS)
def test_each_dataset_has_the_originals_size_range_and_balance(name):
    X, y = make_dataset(name, None, 0, seed=3)
    n = 1200 if name in REGRESSION_SETS else 500
    assert X.shape == (n, 2) and y.shape == (n,)
    assert np.isfinite(X).all() and np.isfinite(y).all()
    if name in REGRESSION_SETS:
        assert np.abs(X).max() <= 6 and np.abs(y).max() <= 1.2 + 1e-12
        assert y.std() > 0.2  # a real target, not constant
    else:
        assert set(np.unique(y)) == {-1.0, 1.0}
        if name == "xor":  # quadrants drawn at random: balanced on average
            assert 0.4 * n < (y == 1).sum() < 0.6 * n
        else:  # half the points of each class by construction
            assert (y == 1).sum() == n // 2
        limit = {"circle": 5.0, "xor": 5.3, "spiral": 5.0, "gauss": 6.0 + 2.0}[name]
        assert np.abs(X).max() <= limit


def test_circle_labels_follow_the_radius_and_noise_flips_them_near_the_boundary():
    X, y = make_dataset("circle", None, 0, seed=1)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.array_equal(y, np.where(r < 2.5, 1.0, -1.0))
    assert r[y == 1].max() <= 2.5 and r[y == -1].min() >= 3.5
    Xn, yn = make_dataset("circle", None, 50, seed=1)
    rn = np.hypot(Xn[:, 0], Xn[:, 1])
    flipped = yn != np.where(rn < 2.5, 1.0, -1.0)
    assert 10 < flipped.sum() < 250  # some labels flip ...
    assert np.abs(rn).max() <= 5.0  # ... the points themselves do not move


def test_noise_widens_gauss_jitters_spiral_and_flips_xor():
    spread = [make_dataset("gauss", None, n, seed=2)[0][:250].std(axis=0).mean() for n in (0, 50)]
    assert spread[1] > 2 * spread[0]  # variance 0.5 -> 4: std x 2.8
    clean, _ = make_dataset("spiral", None, 0, seed=2)
    noisy, _ = make_dataset("spiral", None, 50, seed=2)
    moved = np.abs(noisy - clean)
    assert 0 < moved.max() <= 0.5 + 1e-12  # each coordinate moves by at most noise
    X, y = make_dataset("xor", None, 50, seed=2)
    assert (y != np.where(X[:, 0] * X[:, 1] >= 0, 1.0, -1.0)).sum() > 10


def test_a_seed_reproduces_the_data_and_another_seed_does_not():
    for name in DATASETS:
        a, b = make_dataset(name, None, 10, seed=5), make_dataset(name, None, 10, seed=5)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        c = make_dataset(name, None, 10, seed=6)
        assert not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError, match="unknown data set"):
        make_dataset("moons", None, 0, 0)


def test_split_and_features_follow_the_ratio_and_the_formulas():
    X, y = make_dataset("circle", None, 0, seed=0)
    Xtr, ytr, Xte, yte = split(X, y, 30, seed=0)
    assert len(Xtr) == 150 and len(Xte) == 350
    assert sorted(map(tuple, np.vstack([Xtr, Xte]))) == sorted(map(tuple, X))
    F = features(Xtr, ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"))
    x, yy = Xtr[:, 0], Xtr[:, 1]
    assert np.allclose(F, np.column_stack([x, yy, x * x, yy * yy, x * yy, np.sin(x), np.sin(yy)]))
    g = grid_points(4)
    assert np.allclose(g[0], [-4.5, 4.5]) and np.allclose(g[-1], [4.5, -4.5])  # row 0 is the top


# ------------------------------------------------------------------ training = nn.ts
CASES = [
    {},
    dict(regularization="L1", reg_rate=0.01),
    dict(regularization="L2", reg_rate=0.03, batch_size=30, activation="relu"),  # 250 % 30: carry-over
    dict(activation="sigmoid", hidden=(3,), batch_size=1),
    dict(activation="linear", hidden=(), learning_rate=0.1),
    dict(problem="regression", reg_dataset="reg-gauss", hidden=(5, 3), batch_size=7, perc_train=20),
    dict(BIG, learning_rate=0.01, perc_train=20),
]


@pytest.mark.parametrize("changes", CASES)
def test_compiled_training_equals_a_numpy_port_of_nn_ts_for_50_epochs(changes):
    t = Trainer(PlaygroundConfig(**changes))
    ref = reference_of(t)
    epochs = 20 if changes.get("hidden") == BIG["hidden"] else 50
    curve = np.array([ref.one_step(*t.data()) for _ in range(epochs)])
    assert t.train_epochs(epochs) == epochs
    got = t.losses()
    np.testing.assert_allclose(got["train"], curve[:, 0], rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(got["test"], curve[:, 1], rtol=1e-11, atol=1e-14)
    for lay, w in enumerate(ref.W):
        np.testing.assert_allclose(t.W[lay, : w.shape[0], : w.shape[1]], w, rtol=1e-9, atol=1e-12)
    assert got["train"][-1] < got["train"][0] or changes.get("regularization") == "L1"


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_gradients_equal_torch_autograd(activation, loss):
    torch = pytest.importorskip("torch")
    t = Trainer(PlaygroundConfig(activation=activation, loss=loss, hidden=(5, 3), features=("x", "y", "sinX"),
                                 dataset="xor"))
    X, y = t._Ftr[:20], t._ytr[:20]
    nl = len(t.sizes_) - 1
    Z = np.zeros((nl + 1, kn.MAXW))
    A, D = np.zeros_like(Z), np.zeros_like(Z)
    act = ACTIVATIONS.index(activation)
    for p in range(len(X)):
        kn._forward(t.sizes_, t.W, t.B, act, 1, X[p], Z, A)
        kn._backward(t.sizes_, t.W, act, 1, 1 if loss == "cross_entropy" else 0, y[p], Z, A, D, t.gW, t.gB,
                     t.dead)
    fns = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda z: z}
    Ws = [torch.tensor(t.W[lay, : t.sizes_[lay + 1], : t.sizes_[lay]], requires_grad=True) for lay in range(nl)]
    Bs = [torch.tensor(t.B[lay, : t.sizes_[lay + 1]], requires_grad=True) for lay in range(nl)]
    h = torch.tensor(X)
    for lay in range(nl):
        z = h @ Ws[lay].T + Bs[lay]
        h = torch.tanh(z) if lay == nl - 1 else fns[activation](z)
    target = torch.tensor(y)
    if loss == "squared":
        total = (0.5 * (h[:, 0] - target) ** 2).sum()
    else:  # p = (1 + tanh z) / 2 = sigmoid(2z): binary cross-entropy on the logit 2z
        total = torch.nn.functional.binary_cross_entropy_with_logits(2 * z[:, 0], (target + 1) / 2,
                                                                     reduction="sum")
    total.backward()
    for lay in range(nl):
        np.testing.assert_allclose(t.gW[lay, : t.sizes_[lay + 1], : t.sizes_[lay]], Ws[lay].grad.numpy(), rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(t.gB[lay, : t.sizes_[lay + 1]], Bs[lay].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("optimizer, loss", [("momentum", "squared"), ("adam", "squared"),
                                             ("sgd", "cross_entropy"), ("adam", "cross_entropy")])
def test_momentum_adam_and_cross_entropy_equal_torch_optimizers_batch_by_batch(optimizer, loss):
    """The same batches as nn.ts (in order, updates every ``batch_size`` points of an epoch, the short last batch
    carried into the next epoch's first) through ``torch.optim.SGD(momentum=0.9)`` / ``torch.optim.Adam`` on
    the mean loss (``binary_cross_entropy_with_logits`` on the logit 2z for cross-entropy): every epoch's weights
    and losses must agree. No regularization here: nn.ts applies it after the optimizer's step, torch's
    ``weight_decay`` inside it."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = Trainer(PlaygroundConfig(activation="tanh", hidden=(3, 2), optimizer=optimizer, loss=loss, batch_size=7,
                                 learning_rate=0.03, features=("x", "y", "xTimesY"), dataset="xor"))
    nl = len(t.sizes_) - 1
    Ws = [torch.tensor(t.W[lay, : t.sizes_[lay + 1], : t.sizes_[lay]], requires_grad=True) for lay in range(nl)]
    Bs = [torch.tensor(t.B[lay, : t.sizes_[lay + 1]], requires_grad=True) for lay in range(nl)]
    params = [p for pair in zip(Ws, Bs, strict=True) for p in pair]
    opt = (torch.optim.SGD(params, lr=0.03, momentum=0.9 if optimizer == "momentum" else 0.0)
           if optimizer != "adam" else torch.optim.Adam(params, lr=0.03, betas=(0.9, 0.999), eps=1e-8))
    X, y = torch.tensor(t._Ftr), torch.tensor(t._ytr)

    def logits(rows):
        h = X[rows]
        for lay in range(nl):
            z = h @ Ws[lay].T + Bs[lay]
            h = torch.tanh(z)
        return z[:, 0]  # the output neuron's total input; its output is tanh(z)

    def mean_loss(rows):
        z = logits(rows)
        if loss == "squared":
            return (0.5 * (torch.tanh(z) - y[rows]) ** 2).mean()
        return F.binary_cross_entropy_with_logits(2 * z, (y[rows] + 1) / 2)  # p = (1 + tanh z)/2 = sigmoid(2z)

    pending, updates = [], 0
    for _ in range(4):
        for p in range(len(y)):
            pending.append(p)
            if (p + 1) % 7 == 0:
                opt.zero_grad()
                mean_loss(pending).backward()
                opt.step()
                pending, updates = [], updates + 1
        t.train_epochs(1)
        for lay in range(nl):
            np.testing.assert_allclose(t.W[lay, : t.sizes_[lay + 1], : t.sizes_[lay]], Ws[lay].detach().numpy(),
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(t.B[lay, : t.sizes_[lay + 1]], Bs[lay].detach().numpy(), rtol=1e-9,
                                       atol=1e-12)
        with torch.no_grad():
            assert t.losses()["train"][-1] == pytest.approx(float(mean_loss(list(range(len(y))))), rel=1e-9)
    assert updates == t.tstep[0] == 4 * (250 // 7) and len(pending) == t.count[0] == 250 % 7
    assert np.abs(t.W).max() > 0 and not np.allclose(t.W, Trainer(t.config).W)  # it did move


def test_l1_drives_small_weights_to_exactly_zero_and_keeps_them_there():
    t = Trainer(PlaygroundConfig(regularization="L1", reg_rate=0.1, learning_rate=0.03, hidden=(8, 8),
                                 features=("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")))
    t.train_epochs(100)
    w = t.weights()
    zeros = [k for k, v in w["links"].items() if v == 0.0]
    assert len(zeros) >= 10 and set(zeros) == set(w["dead"])
    t.train_epochs(100)
    assert all(t.weights()["links"][k] == 0.0 for k in zeros)
    # L2 at the same rate shrinks weights but sets none to exactly zero
    t2 = Trainer(replace(t.config, regularization="L2"))
    t2.train_epochs(100)
    assert not any(v == 0.0 for v in t2.weights()["links"].values())


def test_a_fixed_seed_reproduces_the_loss_curve_and_another_seed_changes_it():
    a, b = Trainer(PlaygroundConfig(seed=4)), Trainer(PlaygroundConfig(seed=4))
    a.train_epochs(30)
    for _ in range(3):
        b.train_epochs(10)  # in pieces: the same
    assert np.array_equal(a.losses()["train"], b.losses()["train"])
    c = Trainer(PlaygroundConfig(seed=5))
    c.train_epochs(30)
    assert not np.array_equal(a.losses()["train"], c.losses()["train"])


def test_a_learning_rate_change_takes_effect_without_a_reset():
    t = Trainer(PlaygroundConfig())
    ref = reference_of(t)
    t.train_epochs(5)
    for _ in range(5):
        ref.one_step(*t.data())
    t.set_learning_rate(0.3)
    ref.lr = 0.3
    t.train_epochs(5)
    curve = [ref.one_step(*t.data())[0] for _ in range(5)]
    np.testing.assert_allclose(t.losses()["train"][5:], curve, rtol=1e-11)
    assert t.epoch == 10


def test_optimizers_and_cross_entropy_learn_the_circle():
    for changes in (dict(optimizer="momentum"), dict(optimizer="adam", learning_rate=0.01),
                    dict(loss="cross_entropy")):
        t = Trainer(PlaygroundConfig(**changes))
        t.train_epochs(150)
        assert t.current()["test_acc"] >= 0.95, changes
    # adam and SGD do differ
    a, s = Trainer(PlaygroundConfig(optimizer="adam")), Trainer(PlaygroundConfig())
    a.train_epochs(3)
    s.train_epochs(3)
    assert not np.allclose(a.losses()["train"], s.losses()["train"])


def test_zero_hidden_layers_train_and_no_features_is_refused():
    t = Trainer(PlaygroundConfig(hidden=(), features=("xSquared", "ySquared")))
    t.train_epochs(200)
    assert t.node_ids() == [["xSquared", "ySquared"], ["1"]]
    assert t.current()["test_acc"] >= 0.95  # x² + y² separates the circle linearly
    with pytest.raises(ValueError, match="at least one input feature"):
        Trainer(PlaygroundConfig(features=()))


def test_a_huge_learning_rate_with_l2_diverges_and_says_to_lower_it():
    t = Trainer(PlaygroundConfig(learning_rate=10.0, regularization="L2", reg_rate=10.0))
    run_to_end(t, max_seconds=1.0)
    assert t.status_ == DIVERGED and t.finished
    assert "lower learning rate" in t.message_
    assert t.epoch < 100
    assert t.step(0.1) == 0  # a finished run does nothing more


def test_the_live_protocol_bounds_work_and_finishes_at_the_epoch_limit():
    t = Trainer(PlaygroundConfig(max_epochs=100))
    assert isinstance(t, LiveTrainer) and t.status_ == READY and t.progress == 0
    done = t.step(0.0)
    assert done >= 1 and t.status_ == TRAINING and len(t.history_) == done
    assert t.history_[-1]["epoch"] == done and set(t.history_[0]) >= {"train_loss", "test_loss"}
    run_to_end(t)
    assert t.status_ == DONE and t.epoch == 100 and t.progress == 1.0


@pytest.mark.parametrize("epoch_seconds", [0.001, 0.004, 0.05, 0.5])
@pytest.mark.parametrize("pair", [False, True])
def test_step_stays_within_its_time_plus_one_epoch_however_slow_an_epoch_is(monkeypatch, epoch_seconds, pair):
    """A clock that moves only when an epoch trains, by ``epoch_seconds`` (a small net on the circle trains
    thousands of epochs a second; a big one on 5,000 own points a few): ``step(s)`` must end within s plus one
    unit (an epoch; an epoch of both networks in compare mode) and train at least one."""
    import engine.playground.compare as compare_module
    import engine.playground.trainer as trainer_module

    now = [0.0]
    real = kn.train_epochs

    def timed(*args):
        done, diverged = real(*args)
        now[0] += epoch_seconds * done
        return done, diverged

    monkeypatch.setattr(kn, "train_epochs", timed)
    for module in (trainer_module, compare_module):
        monkeypatch.setattr(module, "time", type("Clock", (), {"perf_counter": staticmethod(lambda: now[0])}))
    t = (PairTrainer(Trainer(PlaygroundConfig()), Trainer(PlaygroundConfig(activation="relu"))) if pair
         else Trainer(PlaygroundConfig()))
    unit = epoch_seconds * (2 if pair else 1)
    for limit in (0.05, 0.2, 0.2, 0.45, 0.0):
        before, start = t.epoch, now[0]
        done = t.step(limit)
        assert done >= 1 and t.epoch == before + done
        assert now[0] - start <= limit + unit + 1e-9, (limit, done, now[0] - start)
        if unit * 4 < limit:  # and it uses most of its time (not one epoch at a time)
            assert now[0] - start >= 0.5 * limit


def test_grid_gives_every_nodes_map_equal_to_a_forward_pass():
    t = Trainer(PlaygroundConfig(**BIG))
    t.train_epochs(20)
    maps = t.grid(30)
    ids = t.node_ids()
    assert list(maps) == [n for layer in ids for n in layer] and len(maps) == 7 + 48 + 1
    assert all(m.shape == (30, 30) for m in maps.values())
    ref = reference_of(t)
    pts = grid_points(30)
    F = features(pts, t.config.features)
    for k in (0, 417, 899):  # the pictures are float32 with tanh within 1e-4: compare to 3e-4
        _, outputs = ref.forward(F[k])
        r, c = divmod(k, 30)
        assert maps[t.output_id][r, c] == pytest.approx(outputs[-1][0], abs=3e-4)
        assert maps["1"][r, c] == pytest.approx(outputs[1][0], abs=3e-4)
        assert maps["sinY"][r, c] == pytest.approx(np.sin(pts[k, 1]), abs=1e-6)


def test_from_params_reads_the_originals_link_and_clamps_tampered_values():
    link = ("activation=relu&batchSize=25&dataset=spiral&regDataset=reg-gauss&learningRate=0.3&"
            "regularizationRate=0.001&noise=15&networkShape=6,3,2&seed=0.68547&showTestData=true&"
            "discretize=false&percTrainData=60&x=true&y=false&xTimesY=true&xSquared=false&ySquared=false&"
            "cosX=false&sinX=true&cosY=false&sinY=false&collectStats=false&problem=classification&"
            "initZero=false&hideText=false&noise_hide=true")
    params = dict(kv.split("=") for kv in link.split("&"))
    t = Trainer.from_params(params)
    c = t.config
    assert (c.activation, c.batch_size, c.dataset, c.learning_rate, c.reg_rate, c.noise) == \
           ("relu", 25, "spiral", 0.3, 0.001, 15)
    assert c.hidden == (6, 3, 2) and c.perc_train == 60 and c.features == ("x", "xTimesY", "sinX")
    assert c.extra == {"showTestData": True, "discretize": False, "hideText": False, "noise_hide": True}
    assert c.init_zero is False
    assert t.notes == []
    assert len(t.data()[0]) == 300 and t.data()[0].shape[1] == 3
    again, notes = PlaygroundConfig.from_params(c.to_params())
    assert again == c and notes == []
    # tampered
    bad = {"dataset": "moons", "networkShape": ",".join(["9"] * 100), "batchSize": "-4", "noise": "abc",
           "learningRate": "7", "percTrainData": "200", "regularizationRate": "nan", "activation": "swish"}
    c, notes = PlaygroundConfig.from_params(bad)
    assert c.dataset == "circle" and c.hidden == (8,) * 6 and c.batch_size == 1 and c.noise == 0
    assert c.learning_rate == 10.0 and c.perc_train == 90 and c.reg_rate == 0.0 and c.activation == "tanh"
    assert len(notes) >= 7 and any("moons" in n for n in notes)
    assert PlaygroundConfig.from_params({"networkShape": ""})[0].hidden == ()


def test_the_originals_seed_text_gives_the_same_seed_in_every_server_process():
    """A link's ``seed=0.68547`` must open the same run for every student: the seed may not depend on the process
    (Python's own ``hash`` of a string changes with PYTHONHASHSEED; the seed must not)."""
    import subprocess
    import sys

    texts = ["0.68547", "0.12345", "hello", "99999999999"]
    here = [PlaygroundConfig.from_params({"seed": s})[0].seed for s in texts]
    code = ("import sys; from engine.playground import PlaygroundConfig as C; "
            "print(*[C.from_params({'seed': s})[0].seed for s in sys.argv[1:]])")
    for hash_seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code, *texts], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed}, cwd=ROOT)
        assert [int(v) for v in out.stdout.split()] == here
    assert len(set(here)) == len(here) and all(0 <= s <= 2**31 - 1 for s in here)
    assert PlaygroundConfig.from_params({"seed": "42"})[0].seed == 42  # a whole number in range is itself
    runs = [Trainer(PlaygroundConfig.from_params({"seed": s})[0]) for s in texts[:2]]
    assert not np.array_equal(runs[0].W, runs[1].W)  # two texts, two runs


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [30, 7])  # 250 % 30 = 10 and 250 % 7 = 5 examples carried over
def test_an_imported_network_continues_exactly_as_the_exported_one_would_have(optimizer, batch_size):
    t = Trainer(PlaygroundConfig(activation="relu", hidden=(3, 2), regularization="L1", reg_rate=0.003,
                                 optimizer=optimizer, batch_size=batch_size))
    t.train_epochs(7)
    assert t.count[0] == 250 % batch_size > 0  # the epoch's last, short batch waits for the next epoch
    u = Trainer.from_json(t.to_json())
    assert u.config == t.config and u.epoch == 7 and u.status_ == TRAINING
    assert np.array_equal(u.W, t.W) and np.array_equal(u.B, t.B) and np.array_equal(u.dead, t.dead)
    assert np.allclose(u.grid(20)[u.output_id], t.grid(20)[t.output_id])
    t.train_epochs(5)
    u.train_epochs(5)
    # JSON keeps every float64 exactly: the continued runs are the same run, not merely close
    assert np.array_equal(u.losses()["train"], t.losses()["train"])
    assert np.array_equal(u.W, t.W) and np.array_equal(u.B, t.B)


def test_export_keeps_the_learning_rate_and_refuses_broken_files():
    t = Trainer(PlaygroundConfig(activation="relu", hidden=(3, 2), optimizer="adam", batch_size=7))
    t.train_epochs(3)
    t.set_learning_rate(0.1)
    text = t.to_json()
    assert Trainer.from_json(text).learning_rate == 0.1
    doc = json.loads(text)
    assert doc["optimizer_steps"] == 3 * (250 // 7) and doc["pending_examples"] == 250 % 7
    old = json.loads(text)  # a version-1 file (no optimizer state) still loads, with fresh moments
    for layer in old["layers"]:
        del layer["optimizer"], layer["pending"]
    del old["optimizer_steps"], old["pending_examples"]
    u = Trainer.from_json(json.dumps(old))
    assert np.array_equal(u.W, t.W) and u.tstep[0] == 0 and not u.mW.any() and u.count[0] == 0
    bad_state = json.loads(text)
    bad_state["layers"][0]["optimizer"]["v_weights"][0][0] = -1.0
    for broken in ("not json", json.dumps({"a": 1}),
                   text.replace('"hidden": [3, 2]', '"hidden": [3, 3]'),
                   text.replace("\"weights\": [[", "\"weights\": [[NaN, ", 1),
                   text.replace('"optimizer_steps": 105', '"optimizer_steps": -1'),
                   text.replace('"pending_examples": 5', '"pending_examples": 9999'),
                   json.dumps(bad_state)):
        with pytest.raises(ValueError):
            Trainer.from_json(broken)


def test_compare_mode_trains_two_setups_in_lockstep_on_the_same_points():
    a = Trainer(PlaygroundConfig(activation="relu", dataset="spiral"))
    b = Trainer(PlaygroundConfig(activation="tanh", dataset="spiral"))
    pair = PairTrainer(a, b)
    assert isinstance(pair, LiveTrainer)
    for _ in range(3):
        pair.step(0.02)
        assert a.epoch == b.epoch == pair.epoch >= 1
    assert np.array_equal(a.data()[0], b.data()[0])
    assert not np.allclose(a.losses()["train"], b.losses()["train"])
    bad = PairTrainer(Trainer(PlaygroundConfig(learning_rate=10.0, regularization="L2", reg_rate=10.0)),
                      Trainer(PlaygroundConfig(max_epochs=100)))
    run_to_end(bad)
    assert bad.a.status_ == DIVERGED and bad.b.epoch == 100 and "A: Training diverged" in bad.message_


def test_own_points_replace_the_generated_data():
    X = np.array([[-3.0, -3.0], [3.0, 3.0]] * 20)
    y = np.array([-1.0, 1.0] * 20)
    t = Trainer(PlaygroundConfig(perc_train=50), points=(X, y))
    assert len(t.data()[0]) == 20 and t.custom_data
    t.train_epochs(50)
    assert t.current()["test_acc"] == 1.0
    # fewer training points than the batch size: one update per epoch instead of none (nn.ts would never update)
    few = Trainer(PlaygroundConfig(perc_train=20, batch_size=30), points=(X, y))
    assert len(few.data()[0]) == 8
    few.train_epochs(100)
    assert few.losses()["train"][-1] < few.losses()["train"][0] and few.current()["test_acc"] == 1.0


def test_every_preset_loads_and_its_comparison_differs():
    from engine.playground.presets import PRESETS

    for name, preset in PRESETS.items():
        a, notes = PlaygroundConfig.from_params(preset.params)
        assert notes == [], name
        if preset.b is not None:
            b, notes = PlaygroundConfig.from_params({**preset.params, **preset.b})
            assert notes == [] and b != a, name


def test_the_regularization_preset_kills_links_and_depth_wins_the_spiral():
    from engine.playground.presets import PRESETS

    p = PRESETS["Regularization kills weights"]
    a = Trainer(PlaygroundConfig.from_params(p.params)[0])
    b = Trainer(PlaygroundConfig.from_params({**p.params, **p.b})[0])
    PairTrainer(a, b).train_epochs(300)
    assert len(a.weights()["dead"]) > len(a.weights()["links"]) / 2 and not b.weights()["dead"]
    p = PRESETS["Overfitting"]
    t = Trainer(PlaygroundConfig.from_params(p.params)[0])
    t.train_epochs(1000)
    curves = t.losses()
    assert curves["train"][-1] < 0.1 and curves["test"][-1] > curves["test"].min() + 0.05
    p = PRESETS["Spiral needs depth"]
    a = Trainer(PlaygroundConfig.from_params(p.params)[0])
    b = Trainer(PlaygroundConfig.from_params({**p.params, **p.b})[0])
    PairTrainer(a, b).train_epochs(600)
    assert b.current()["train_acc"] > a.current()["train_acc"] + 0.15


def test_the_learning_rate_preset_jumps_with_a_and_settles_with_b():
    from engine.playground.presets import PRESETS

    p = PRESETS["Learning rate too high"]
    a = Trainer(PlaygroundConfig.from_params(p.params)[0])
    b = Trainer(PlaygroundConfig.from_params({**p.params, **p.b})[0])
    assert (a.config.learning_rate, b.config.learning_rate) == (3.0, 0.03) and a.config.hidden == b.config.hidden
    PairTrainer(a, b).train_epochs(300)
    jumps_a, jumps_b = (np.diff(t.losses()["train"]) for t in (a, b))
    # A: the loss rises again and again, and ends far above the best it ever reached
    assert (jumps_a > 0.01).sum() >= 5 and a.losses()["train"][-1] > a.losses()["train"].min() + 0.1
    # B: it only ever falls, to almost nothing
    assert (jumps_b <= 1e-9).all() and b.losses()["train"][-1] < 0.02 and b.current()["test_acc"] >= 0.98


def test_the_overfitting_presets_numbers_are_those_of_its_run():
    """The lesson quotes a run ("seed 0: 0.03 vs 0.68 after 2,000 epochs"): train it and compare."""
    import re

    from engine.playground.presets import PRESETS

    p = PRESETS["Overfitting"]
    train, test, epochs = re.search(r"seed 0: ([\d.]+) vs ([\d.]+) after ([\d,]+) epochs", p.lesson).groups()
    t = Trainer(PlaygroundConfig.from_params(p.params)[0])
    assert t.config.seed == 0
    t.train_epochs(int(epochs.replace(",", "")))
    curves = t.losses()
    assert (f"{curves['train'][-1]:.2f}", f"{curves['test'][-1]:.2f}") == (train, test)
    assert int(np.argmin(curves["test"])) < len(curves["test"]) // 10  # the test loss turned early, then rose


def _output_total_input(t: Trainer, n: int = 81) -> np.ndarray:
    """The output neuron's total input z on an ``n × n`` grid over the plane (float64, from the weights)."""
    g = np.linspace(-6, 6, n)
    xx, yy = np.meshgrid(g, g)
    h = features(np.column_stack([xx.ravel(), yy.ravel()]), t.config.features)
    for lay in range(len(t.sizes_) - 1):
        z = h @ t.W[lay, : t.sizes_[lay + 1], : t.sizes_[lay]].T + t.B[lay, : t.sizes_[lay + 1]]
        h = np.maximum(z, 0.0) if t.config.activation == "relu" else np.tanh(z)
    return z[:, 0].reshape(n, n)


def test_the_relu_vs_tanh_preset_builds_straight_pieces_against_smooth_curves():
    """ReLU makes z piecewise linear in the plane (its zero line, the boundary, a polygon): the second differences
    vanish in most grid cells. Tanh bends it everywhere."""
    from engine.playground.presets import PRESETS

    p = PRESETS["ReLU vs Tanh"]
    a = Trainer(PlaygroundConfig.from_params(p.params)[0])
    b = Trainer(PlaygroundConfig.from_params({**p.params, **p.b})[0])
    PairTrainer(a, b).train_epochs(300)
    flat = []
    for t in (a, b):
        assert t.current()["test_acc"] >= 0.95  # both find the circle: they differ only in how
        z = _output_total_input(t)
        bend = np.abs(np.diff(z, 2, axis=1)[1:-1, :]) + np.abs(np.diff(z, 2, axis=0)[:, 1:-1])
        flat.append(float((bend < 1e-9 * np.abs(z).max()).mean()))
    assert flat[0] > 0.7 and flat[1] < 0.05, flat


def _points_csv(sep: str, header: bool = True, label=lambda i: i % 2, decimal: str = ".") -> str:
    """20 points ``(i % 5 − 2.5, (i % 3 − 1) / 4, label(i))`` written with ``sep`` and ``decimal``."""
    rows = [sep.join(f"{v:g}".replace(".", decimal) if not isinstance(v, str) else v
                     for v in ((i % 5) - 2.5, ((i % 3) - 1) / 4, label(i))) for i in range(20)]
    return "\n".join(([sep.join(["x1", "x2", "label"])] if header else []) + rows)


@pytest.mark.parametrize("sep, decimal", [(",", "."), (";", "."), ("\t", "."), (";", ","), ("\t", ",")])
@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("bom", [False, True])
def test_uploaded_csv_reads_commas_semicolons_tabs_decimal_commas_and_a_byte_order_mark(sep, decimal, header, bom):
    from engine.playground.upload import parse_points_csv

    raw = _points_csv(sep, header, decimal=decimal).encode()
    X, y, notes = parse_points_csv((b"\xef\xbb\xbf" if bom else b"") + raw.replace(b"\n", b"\r\n" if bom else b"\n"))
    i = np.arange(20)
    assert np.array_equal(X, np.column_stack([(i % 5) - 2.5, ((i % 3) - 1) / 4]))
    assert np.array_equal(y, np.where(i % 2 == 1, 1.0, -1.0))  # 0 -> orange (−1), 1 -> blue (+1)
    assert notes == (["Read the first row as a header: x1, x2, label."] if header else []) + \
        ["Label 0 is shown orange (−1), 1 blue (+1)."]


def test_uploaded_regression_targets_are_kept_as_numbers_in_minus_one_to_one():
    from engine.playground.upload import parse_points_csv

    X, y, notes = parse_points_csv(_points_csv(";", label=lambda i: f"{(i % 5) / 5 - 0.4:.1f}").encode(), "regression")
    assert np.allclose(y, (np.arange(20) % 5) / 5 - 0.4) and X.shape == (20, 2)
    assert notes == ["Read the first row as a header: x1, x2, label."]  # no class colours for numbers
    X, y, _ = parse_points_csv(_points_csv(",", label=lambda i: i % 2).encode(), "regression")
    assert set(y) == {0.0, 1.0}  # 0/1 stay numbers: no mapping to ±1 for regression
    with pytest.raises(ValueError, match=r"Regression targets must lie in \[-1, 1\]"):
        parse_points_csv(_points_csv(",", label=lambda i: 1.5 if i == 3 else 0.2).encode(), "regression")
    three = parse_points_csv(_points_csv(",", label=lambda i: i % 3 - 1).encode(), "regression")[1]
    assert set(three) == {-1.0, 0.0, 1.0}  # three values: fine for regression ...
    with pytest.raises(ValueError, match="3 values"):  # ... not for classification
        parse_points_csv(_points_csv(",", label=lambda i: i % 3 - 1).encode())


def test_uploaded_csv_is_read_or_refused_with_a_reason():
    from engine.playground.upload import parse_points_csv

    good = "x1,x2,label\n" + "\n".join(f"{i % 5 - 2},{i % 3 - 1},{i % 2}" for i in range(20))
    X, y, notes = parse_points_csv(good.encode())
    assert X.shape == (20, 2) and set(y) == {-1.0, 1.0} and notes
    cases = {
        "x1,x2,label\n1,2,1\n": "at least 10",
        "\n".join(["1,1,1"] * 20): "two classes",
        "\n".join(["1,a,1"] * 20): "text where a number goes",
        "\n".join(["1,nan,1"] * 10 + ["1,1,0"] * 10): "NaN",
        "\n".join(["1,1,1", "2,2,0", "3,3,5"] * 5): "3 values",
        "\n".join(["1,1"] * 20): "three are needed",
        "\n".join(["9,1,1", "1,1,0"] * 10): "outside",
        "": "empty",
    }
    for text, reason in cases.items():
        with pytest.raises(ValueError, match=reason):
            parse_points_csv(text.encode())
    with pytest.raises(ValueError, match="at most"):
        parse_points_csv(b"1,1,1\n" * 10_000_000)
    with pytest.raises(ValueError, match="rows; at most"):
        parse_points_csv(b"1,1,1\n" * 6_000)
    with pytest.raises(ValueError, match="not text"):
        parse_points_csv(b"\xff\xfe\x00\x01" * 10)


def test_a_weight_and_a_bias_set_by_hand_change_the_network_and_training_continues_from_them():
    t = Trainer(PlaygroundConfig(hidden=(3,), regularization="L1", reg_rate=0.01, seed=4))
    t.train_epochs(3)
    ids = t.node_ids()
    maps_before = t.grid(20)["1"].copy()
    assert t.set_weight("x", "1", "2.5") == 2.5
    assert t.set_bias("1", -0.75) == -0.75
    assert t.set_bias(t.output_id, "\u22120.5") == -0.5  # a typographic minus, as a phone keyboard may give
    w = t.weights()
    assert w["links"][("x", "1")] == 2.5 and w["biases"]["1"] == -0.75 and w["biases"][t.output_id] == -0.5
    # the maps are those of the edited network (the cache from before the edit is gone)
    pts = grid_points(20)
    expected = np.tanh(2.5 * pts[:, 0] + w["links"][("y", "1")] * pts[:, 1] - 0.75).reshape(20, 20)
    assert np.allclose(t.grid(20)["1"], expected, atol=3e-4)  # float32 pictures, as above
    assert not np.allclose(t.grid(20)["1"], maps_before, atol=1e-3)
    # a link L1 had set to zero is alive again once set
    t.dead[0, 1, 0] = 1
    t.W[0, 1, 0] = 0.0
    t.set_weight("x", "2", 0.4)
    assert t.dead[0, 1, 0] == 0 and ("x", "2") not in t.weights()["dead"]
    # training goes on from the edited numbers: one more epoch equals one epoch of a copy holding them
    copy = Trainer.from_json(t.to_json())
    t.train_epochs(1)
    copy.train_epochs(1)
    assert t.weights() == copy.weights() and t.weights()["links"][("x", "1")] != 2.5
    assert len(ids[1]) == 3


def test_setting_a_weight_refuses_text_nan_infinity_and_huge_values_and_changes_nothing():
    t = Trainer(PlaygroundConfig(seed=1))
    before = t.to_json()
    for bad in ("abc", "", "nan", float("nan"), float("inf"), "-inf", 1e9, "1e9", True, None, [1.0]):
        with pytest.raises(ValueError) as err:
            t.set_weight("x", "1", bad)
        assert "number" in str(err.value) or "too large" in str(err.value)
        with pytest.raises(ValueError):
            t.set_bias("1", bad)
    for src, dst in (("x", "5"), ("x", "nope"), ("1", "1"), ("x", t.output_id)):  # no such link
        with pytest.raises(ValueError, match="no link|no node"):
            t.set_weight(src, dst, 1.0)
    with pytest.raises(ValueError, match="inputs have no bias"):
        t.set_bias("x", 1.0)
    assert t.to_json() == before
    assert t.set_weight("x", "1", MAX_EDIT) == MAX_EDIT  # the limit itself is allowed


def test_init_zero_starts_every_weight_at_zero_and_survives_links_and_export():
    config, notes = PlaygroundConfig.from_params({"initZero": "true", "networkShape": "3,2"})
    assert notes == [] and config.init_zero
    t = Trainer(config)
    w = t.weights()
    assert all(v == 0.0 for v in w["links"].values()) and all(v == 0.1 for v in w["biases"].values())
    assert not PlaygroundConfig().init_zero and any(v != 0 for v in Trainer(PlaygroundConfig()).weights()[
        "links"].values())
    assert config.to_params()["initZero"] == "true" and "initZero" not in PlaygroundConfig().to_params()
    assert PlaygroundConfig.from_params(config.to_params())[0] == config
    assert Trainer.from_json(t.to_json()).config.init_zero
    assert PlaygroundConfig.from_dict(PlaygroundConfig().to_dict())[0].init_zero is False
