"""Engine of the gradient-boosting playground: datasets, hand-computed leaves, XGBoost equivalences, protocol.

The oracles are hand computations in NumPy (mean residuals, Newton steps) and
XGBoost's own joint training, so none of these can pass by construction.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import engine  # noqa: F401  (thread policy before xgboost)
from engine.boosting import (
    CHALLENGES,
    DATASETS,
    BoostingConfig,
    BoostingTrainer,
    build_views,
    check_challenge,
    fit,
    make_dataset,
)
from engine.boosting.data import rotate
from engine.boosting.losses import sigmoid
from engine.boosting.model import MARGIN_LIMIT, subsample_rows
from engine.live import DIVERGED, DONE, READY, STOPPED, TRAINING, LiveTrainer

xgb = pytest.importorskip("xgboost")


# ---------------------------------------------------------------- datasets
@pytest.mark.parametrize("name", DATASETS)
def test_dataset_shape_balance_and_seed(name):
    x, y = make_dataset(name, 300, seed=0)
    assert x.shape == (300, 2) and y.shape == (300,)
    assert set(np.unique(y)) == {0, 1}
    assert 0.35 <= y.mean() <= 0.65, f"{name} is unbalanced: {y.mean():.2f}"
    assert x.min() >= 0 and x.max() <= 1
    x2, y2 = make_dataset(name, 300, seed=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = make_dataset(name, 300, seed=1)
    assert not np.allclose(x, x3)


def test_rotating_a_dataset_turns_its_points_about_the_centre_and_keeps_labels():
    x, y = make_dataset("stripes", 200, seed=3)
    xr, yr = make_dataset("stripes", 200, seed=3, rotate_deg=90)
    np.testing.assert_array_equal(y, yr)
    np.testing.assert_allclose(xr[:, 0], 1.0 - x[:, 1], atol=1e-12)  # (x, y) -> (1 - y, x) about (0.5, 0.5)
    np.testing.assert_allclose(xr[:, 1], x[:, 0], atol=1e-12)
    x45, _ = make_dataset("circles", 300, seed=0, rotate_deg=45)
    assert x45.max() > 1.0 or x45.min() < 0.0  # a rotated set leaves the unit square


def test_rotation_by_zero_changes_nothing():
    x, y = make_dataset("spiral", 300, seed=0)
    x0, y0 = make_dataset("spiral", 300, seed=0, rotate_deg=0)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(rotate(x, 0.0), x)
    # Tree 0 of a rotated ensemble is turned by 0 radians: the same tree as without rotation.
    plain = fit(BoostingConfig(n_trees=1, depth=3), x, y)
    turned = fit(BoostingConfig(n_trees=1, depth=3, rotate_trees=True), x, y)
    np.testing.assert_allclose(plain.staged_margin(x, 1), turned.staged_margin(x, 1), atol=1e-7)
    assert fit(BoostingConfig(n_trees=2, depth=3, rotate_trees=True), x, y).trees_[1].angle == 1.0


# ---------------------------------------------------------------- leaves by hand
def _leaf_of(nodes: list[dict], points: np.ndarray) -> np.ndarray:
    """The leaf id each point reaches, walking the dumped tree ourselves (yes when below the threshold)."""
    by_id = {n["node"]: n for n in nodes}
    out = np.empty(len(points), dtype=int)
    for i, p in enumerate(points):
        node = by_id[0]
        while node["kind"] == "split":
            feature = int(node["feature"][-1]) - 1  # x1/u1 -> 0, x2/u2 -> 1
            node = by_id[node["yes"] if p[feature] < node["threshold"] else node["no"]]
        out[i] = node["node"]
    return out


def _leaf_values(nodes: list[dict]) -> dict[int, float]:
    return {n["node"]: n["value"] for n in nodes if n["kind"] == "leaf"}


@pytest.mark.parametrize("rotate_trees", [False, True])
def test_gradient_step_leaves_are_the_mean_residual_of_their_samples(rotate_trees):
    x, y = make_dataset("circles", 300, seed=0)
    config = BoostingConfig(depth=3, learning_rate=0.3, n_trees=6, subsample=0.5, rotate_trees=rotate_trees)
    model = fit(config, x, y)
    f = np.zeros(len(x))
    for k in range(config.n_trees):
        rows = subsample_rows(config, k, len(x))
        np.testing.assert_array_equal(model.trees_[k].rows, rows)
        nodes = model.tree_nodes(k)
        turned = rotate(x, k) if rotate_trees else x
        leaf = _leaf_of(nodes, turned[rows])
        residual = (y - sigmoid(f))[rows]
        for node_id, value in _leaf_values(nodes).items():
            mine = leaf == node_id
            assert mine.any(), "every leaf holds at least one of the tree's points"
            assert value == pytest.approx(config.learning_rate * residual[mine].mean(), abs=2e-6)
            assert nodes[[n["node"] for n in nodes].index(node_id)]["cover"] == pytest.approx(mine.sum())
        f = f + model.tree_margin(x, k)
        np.testing.assert_allclose(f, model.train_margins_[k + 1], atol=1e-5)


def test_newton_leaves_follow_his_formula_on_the_whole_training_set():
    """Rogozhnikov's code: hessians[i] = 2 * sigmoid * (1 - sigmoid) ("this is wrong, but this is better for
    visualisation"), and a leaf is sum(antigradients) / (sum(hessians) + 1e-4), times the learning rate, over
    every training point in the leaf. By hand here, with p = σ(F)."""
    x, y = make_dataset("xor", 300, seed=0)
    config = BoostingConfig(depth=2, learning_rate=0.5, n_trees=5, subsample=0.3, mode="newton")
    model = fit(config, x, y)
    f = np.zeros(len(x))
    for k in range(config.n_trees):
        nodes = model.tree_nodes(k)
        leaf = _leaf_of(nodes, x)  # all training points, not only the subsample the structure came from
        p = 1.0 / (1.0 + np.exp(-f))
        residual, his_h = y - p, 2.0 * p * (1.0 - p)
        for node_id, value in _leaf_values(nodes).items():
            mine = leaf == node_id
            his = config.learning_rate * residual[mine].sum() / (his_h[mine].sum() + 1e-4)
            assert value == pytest.approx(his, rel=1e-4, abs=1e-6)
            # half the true Newton step -η Σg/Σh (the one XGBoost's mode takes)
            true_step = config.learning_rate * residual[mine].sum() / (p * (1 - p))[mine].sum()
            assert value == pytest.approx(0.5 * true_step, rel=1e-3, abs=1e-5)
        f = f + model.tree_margin(x, k)
    # The Newton leaves differ from the gradient step's (same structures, other values).
    gradient = fit(BoostingConfig(depth=2, learning_rate=0.5, n_trees=5, subsample=0.3), x, y)
    assert not np.allclose(gradient.staged_margin(x, 5), model.staged_margin(x, 5))


def test_newton_and_gradient_trees_at_the_same_margins_split_alike_and_differ_only_in_their_leaves():
    """Newton mode grows each tree as the gradient step would (h = 1), then resets its leaves: at the same
    margins both must make the same splits (feature, threshold, children), with leaf values in the ratio
    n / (Σ2h + 10⁻⁴) of the leaf's points: gradient leaf = −η Σg / n, his Newton leaf = −η Σg / (Σ2h + 10⁻⁴)."""
    from engine.boosting.model import EnsembleBuilder

    x, y = make_dataset("xor", 300, seed=0)
    newton = fit(BoostingConfig(depth=3, learning_rate=0.5, n_trees=4, mode="newton"), x, y)
    for k in range(newton.n_trees):
        f = newton.train_margins_[k]
        builder = EnsembleBuilder(BoostingConfig(depth=3, learning_rate=0.5, n_trees=1), x, y)
        builder.margins = [f.copy()]  # the gradient step's tree from the Newton ensemble's stage k
        builder.add_tree()
        grad_nodes, newton_nodes = builder.model().tree_nodes(0), newton.tree_nodes(k)
        splits = [[(n["node"], n["feature"], n["threshold"], n["yes"], n["no"]) for n in nodes
                   if n["kind"] == "split"] for nodes in (grad_nodes, newton_nodes)]
        assert splits[0] == splits[1] and len(splits[0]) >= 3, k
        leaf = _leaf_of(newton_nodes, x)
        p = sigmoid(f)
        grad_leaves, newton_leaves = _leaf_values(grad_nodes), _leaf_values(newton_nodes)
        assert grad_leaves.keys() == newton_leaves.keys()
        for node_id, value in newton_leaves.items():
            h = (p * (1 - p))[leaf == node_id]
            assert value == pytest.approx(grad_leaves[node_id] * len(h) / (2 * h.sum() + 1e-4), rel=1e-4, abs=1e-6)
        assert not np.allclose(list(grad_leaves.values()), list(newton_leaves.values()))


# ---------------------------------------------------------------- XGBoost equivalences
def _params(config: BoostingConfig, **extra) -> dict:
    return {"tree_method": "exact", "max_depth": config.depth, "eta": config.learning_rate, "nthread": 1,
            "verbosity": 0, **extra}


def test_per_round_base_margin_loop_reproduces_joint_training():
    """A fresh one-tree booster per round on a DMatrix whose base_margin holds F_k = xgb.train over all rounds."""
    x, y = make_dataset("spiral", 300, seed=0)
    config = BoostingConfig(depth=3, learning_rate=0.2, n_trees=12)

    def objective(margin, dtrain):
        p = sigmoid(margin)
        return p - dtrain.get_label(), np.ones_like(p)

    params = _params(config, reg_lambda=0.0, min_child_weight=1.0, base_score=0.0, objective="reg:squarederror")
    joint = xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=config.n_trees, obj=objective)
    joint_margin = joint.predict(xgb.DMatrix(x, base_margin=np.zeros(len(x))), output_margin=True)

    f = np.zeros(len(x))
    for _ in range(config.n_trees):
        d = xgb.DMatrix(x, label=y, base_margin=f)
        booster = xgb.Booster(params, [d])
        booster.update(d, 0, fobj=objective)
        f = f + booster.predict(xgb.DMatrix(x, base_margin=np.zeros(len(x))), output_margin=True)
    np.testing.assert_allclose(f, joint_margin, atol=1e-5)
    # ... and the engine's rounds give the same margins.
    np.testing.assert_allclose(fit(config, x, y).staged_margin(x, config.n_trees), joint_margin, atol=1e-5)


def test_xgboost_mode_with_log_loss_is_binary_logistic():
    x, y = make_dataset("ying-yang", 300, seed=0)
    config = BoostingConfig(depth=4, learning_rate=0.3, n_trees=10, mode="xgboost", reg_lambda=2.0, gamma=0.1,
                            min_child_weight=0.5)
    params = _params(config, objective="binary:logistic", base_score=0.5, reg_lambda=2.0, gamma=0.1,
                     min_child_weight=0.5)
    joint = xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=config.n_trees)
    expected = joint.predict(xgb.DMatrix(x), output_margin=True)  # base_score 0.5 is margin 0
    np.testing.assert_allclose(fit(config, x, y).staged_margin(x, config.n_trees), expected, atol=1e-5)


def test_staged_margin_after_all_trees_is_the_full_prediction():
    x, y = make_dataset("circles", 300, seed=0)
    xt, _ = make_dataset("circles", 100, seed=5)
    model = fit(BoostingConfig(n_trees=15, depth=3), x, y)
    booster = model.trees_[0].booster  # gradient mode: every tree in one booster
    full = booster.predict(xgb.DMatrix(xt, base_margin=np.zeros(len(xt))), output_margin=True)
    np.testing.assert_allclose(model.staged_margin(xt, model.n_trees), full, atol=1e-5)
    np.testing.assert_allclose(model.staged_margins(xt)[-1], full, atol=1e-5)
    np.testing.assert_allclose(model.staged_margin(xt, 7), model.tree_margins(xt)[:7].sum(axis=0), atol=1e-6)
    assert np.all(model.staged_margin(xt, 0) == 0)  # F starts at 0: base_score is pinned


def test_gradients_are_those_of_the_stage_and_loss_curve_falls_on_training_data():
    x, y = make_dataset("xor", 300, seed=0)
    model = fit(BoostingConfig(n_trees=20), x, y)
    np.testing.assert_allclose(model.gradients(0), 0.5 - y)  # p = 0.5 at F = 0
    np.testing.assert_allclose(model.gradients(4), sigmoid(model.staged_margin(x, 4)) - y, atol=1e-6)
    curve = model.loss_curve(x, y)
    assert curve.shape == (21,) and curve[0] == pytest.approx(np.log(2))
    assert np.all(np.diff(curve) < 1e-9)


@pytest.mark.parametrize("loss", ["exponential", "squared"])
def test_other_losses_train_and_their_gradients_match_finite_differences(loss):
    from engine.boosting import losses

    f = np.linspace(-2, 2, 9)
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1])
    eps = 1e-6
    numeric = (losses.value(loss, f + eps, y) - losses.value(loss, f - eps, y)) / (2 * eps)
    np.testing.assert_allclose(losses.gradient(loss, f, y), numeric, rtol=1e-5, atol=1e-6)
    numeric_h = (losses.gradient(loss, f + eps, y) - losses.gradient(loss, f - eps, y)) / (2 * eps)
    np.testing.assert_allclose(losses.hessian(loss, f, y), numeric_h, rtol=1e-5, atol=1e-6)
    x, yy = make_dataset("circles", 300, seed=0)
    model = fit(BoostingConfig(loss=loss, n_trees=20, mode="xgboost"), x, yy)
    assert model.loss_curve(x, yy, objective=True)[-1] < model.loss_curve(x, yy, objective=True)[0]


def test_shap_contributions_add_up_to_the_margin():
    x, y = make_dataset("stripes", 300, seed=0)
    for mode in ("gradient", "newton"):
        model = fit(BoostingConfig(n_trees=8, mode=mode), x, y)
        contrib = model.contributions(x[:50], 6)
        np.testing.assert_allclose(contrib.sum(axis=1), model.staged_margin(x[:50], 6), atol=1e-4)
    assert np.abs(contrib[:, 1]).mean() > 5 * np.abs(contrib[:, 0]).mean()  # stripes: x2 does the work
    with pytest.raises(ValueError):
        fit(BoostingConfig(n_trees=2, rotate_trees=True), x, y).contributions(x)


def test_tree_table_is_the_dump():
    x, y = make_dataset("xor", 300, seed=0)
    model = fit(BoostingConfig(n_trees=2, depth=2, rotate_trees=True), x, y)
    table = model.tree_table(1)
    assert set(table["kind"]) == {"split", "leaf"}
    assert set(table.loc[table.kind == "split", "feature"]) <= {"u1", "u2"}  # tree 1 is turned
    assert (table["depth"] <= 2).all()
    with pytest.raises(IndexError):
        model.tree_table(2)


# ---------------------------------------------------------------- challenges
def _curves(test: list[float], train: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    train = train if train is not None else list(np.linspace(0.7, 0.1, len(test)))
    return np.array(test), np.array(train)


def test_overfits_needs_a_fall_then_a_clear_rise_while_the_training_loss_falls():
    from engine.boosting.challenges import _overfits

    ok, why = _overfits(*_curves([0.69, 0.4, 0.3, 0.36, 0.42]))  # low 0.3, needs +0.075: rose +0.12
    assert ok and why == ("test loss fell to 0.300 after 2 trees, then rose to 0.420 while the training loss "
                          "kept falling (0.400 → 0.100).")
    assert _overfits(*_curves([0.69, 0.4, 0.3, 0.33, 0.375]))[0]  # exactly 25 % of the lowest: enough
    assert not _overfits(*_curves([0.69, 0.4, 0.3, 0.33, 0.37]))[0]  # 0.07 < 25 % of 0.3
    assert _overfits(*_curves([0.69, 0.1, 0.05, 0.08, 0.1]))[0]  # low losses: an absolute 0.05 is enough
    assert not _overfits(*_curves([0.69, 0.1, 0.05, 0.08, 0.099]))[0]
    assert not _overfits(*_curves([0.69, 0.5, 0.4, 0.3, 0.2]))[0]  # still falling at the end
    assert not _overfits(*_curves([0.69, 0.4, 0.3, 0.36, 0.42], [0.7, 0.5, 0.4, 0.45, 0.5]))[0]  # train rose too
    assert not _overfits(*_curves([0.69, 0.4, 0.3, 0.36, 0.42], [0.7, 0.5, 0.4, 0.4, 0.4]))[0]  # train flat
    assert not _overfits(*_curves([0.3, 0.5, 0.7, 0.9]))[0]  # only rose: it never went down first
    ok, why = _overfits(*_curves([0.69, 0.4, 0.3, 0.33, 0.35]))
    assert why == ("test loss ends at 0.350, lowest 0.300 after 2 trees: it must end at least 0.075 above its "
                   "lowest while the training loss keeps falling.")


# Settings that solve each challenge, found by bench/boosting_challenges.py (its first hit in a grid a student
# might try; found again after his Newton leaves became half a Newton step), and settings that do not: the
# page's defaults on the challenge's dataset, at its depth limit.
SOLVES = {
    "overfit": BoostingConfig(dataset="spiral", depth=2, learning_rate=1.0, mode="newton", n_trees=200),
    "xor-depth-2": BoostingConfig(dataset="xor", depth=2, learning_rate=0.1, mode="newton", n_trees=200),
    "xor-depth-1": BoostingConfig(dataset="xor", depth=1, learning_rate=0.3, mode="xgboost", n_trees=200,
                                  rotate_trees=True),
    "spiral": BoostingConfig(dataset="spiral", depth=2, learning_rate=0.3, mode="newton", n_trees=200,
                             rotate_trees=True),
    "stripes": BoostingConfig(dataset="stripes", depth=1, learning_rate=1.0, mode="newton", n_trees=200),
    "embedded": BoostingConfig(dataset="embedded circles", depth=6, learning_rate=0.1, mode="newton", n_trees=200,
                               rotate_trees=True),
}


@pytest.mark.parametrize("challenge", CHALLENGES, ids=lambda c: c.key)
def test_each_challenge_is_solved_by_some_settings_and_not_by_others(challenge):
    good = SOLVES[challenge.key]
    views = build_views(good, resolution=10)
    verdict = check_challenge(challenge, good, views.test_loss, views.train_loss, views.diverged)
    assert verdict.solved, verdict.reason
    if challenge.target is not None:
        assert views.test_loss[-1] < challenge.target and verdict.reason.startswith(
            f"Test loss {views.test_loss[-1]:.3f} < {challenge.target:g}")
        for final, solved in ((0.99 * challenge.target, True), (1.01 * challenge.target, False)):  # the threshold
            curve = np.array([0.69, 0.5, final])
            assert check_challenge(challenge, good, curve, curve).solved == solved, final
    start = BoostingConfig(dataset=challenge.dataset or "spiral", depth=challenge.max_depth or 4)
    views = build_views(start, resolution=10)
    verdict = check_challenge(challenge, start, views.test_loss, views.train_loss, views.diverged)
    assert not verdict.solved, (start, verdict.reason)
    if challenge.max_depth is not None:  # the solution one level deeper breaks the constraint
        deeper = replace(good, depth=challenge.max_depth + 1)
        verdict = check_challenge(challenge, deeper, views.test_loss, views.train_loss)
        assert not verdict.solved and verdict.reason == (f"Tree depth must be at most {challenge.max_depth} (it is "
                                                         f"{challenge.max_depth + 1}).")
    if challenge.dataset is not None:
        other = replace(good, dataset="circles")
        verdict = check_challenge(challenge, other, views.test_loss, views.train_loss)
        assert not verdict.solved and verdict.reason == f"Choose the {challenge.dataset} dataset."


# ---------------------------------------------------------------- config
def test_config_is_strict_and_clamped_never_raises():
    assert BoostingConfig() == BoostingConfig(dataset="spiral", depth=4, learning_rate=0.1, n_trees=50,
                                              subsample=1.0, rotate_trees=False, mode="gradient", loss="logloss")
    with pytest.raises(ValueError):
        BoostingConfig(depth=9)
    with pytest.raises(ValueError):
        BoostingConfig(mode="magic")
    config, notes = BoostingConfig.clamped({"depth": 99, "learning_rate": "nan", "mode": "evil", "n_trees": -4,
                                            "dataset": "xor", "unknown": 1})
    assert config.depth == 8 and config.learning_rate == 0.1 and config.mode == "gradient" and config.n_trees == 1
    assert config.dataset == "xor" and len(notes) == 4


# ---------------------------------------------------------------- live protocol
def test_trainer_follows_the_live_protocol():
    config = BoostingConfig(dataset="xor", n_trees=12, depth=2)
    trainer = BoostingTrainer(config, resolution=20)
    assert isinstance(trainer, LiveTrainer)
    assert trainer.status_ == READY and trainer.progress == 0 and not trainer.finished and trainer.seed == 0
    assert trainer.step(0.0) == 1  # at least one unit, even with no time
    assert trainer.status_ == TRAINING and len(trainer.history_) == 1
    done = 1
    while not trainer.finished:
        done += trainer.step(0.0)
    assert done == 12 and trainer.status_ == DONE and trainer.progress == 1.0
    assert trainer.step(1.0) == 0  # a finished trainer does nothing
    assert [r.tree for r in trainer.history_] == list(range(12))
    views = trainer.views()
    assert views.n_trees == 12 and views.grid_margins.shape == (13, 400)
    assert views.test_loss[-1] == pytest.approx(trainer.history_[-1].test_loss)
    grid = trainer.grid
    np.testing.assert_allclose(views.grid_margins[-1], views.model.staged_margin(grid, 12), atol=1e-4)
    # Same config, same ensemble; stop keeps what was grown.
    again = BoostingTrainer(config, resolution=20).run()
    np.testing.assert_array_equal(again.views().test_loss, views.test_loss)
    stopped = BoostingTrainer(config, resolution=20)
    stopped.step(0.0)
    stopped.stop()
    assert stopped.status_ == STOPPED and stopped.finished and stopped.step(1.0) == 0
    assert stopped.views().n_trees == 1


@pytest.mark.parametrize("tree_seconds", [0.001, 0.04, 0.3])
def test_step_stays_within_its_time_plus_one_tree(monkeypatch, tree_seconds):
    """A clock that moves only when a tree is grown: ``step(s)`` ends within s plus one tree, and grows at
    least one."""
    import engine.boosting.trainer as trainer_module
    from engine.boosting.model import EnsembleBuilder

    now = [0.0]
    real = EnsembleBuilder.add_tree

    def timed(self):
        real(self)
        now[0] += tree_seconds

    monkeypatch.setattr(EnsembleBuilder, "add_tree", timed)
    monkeypatch.setattr(trainer_module, "time", type("Clock", (), {"perf_counter": staticmethod(lambda: now[0])}))
    trainer = BoostingTrainer(BoostingConfig(n_trees=200, depth=2), resolution=10)
    for limit in (0.0, 0.05, 0.12, 0.45):
        before, start = trainer.n_built, now[0]
        grown = trainer.step(limit)
        assert grown >= 1 and trainer.n_built == before + grown
        assert now[0] - start <= limit + tree_seconds + 1e-9, (limit, grown)
        if tree_seconds < limit and not trainer.finished:
            assert now[0] - start >= limit  # it grows until its time is up


def test_extreme_settings_build_every_tree_without_running_away():
    """The sliders' extremes (measured: the largest margin stays below 50) build the whole ensemble."""
    for config in (BoostingConfig(depth=8, n_trees=60, learning_rate=1.0, subsample=0.1, mode="newton",
                                  rotate_trees=True),
                   BoostingConfig(depth=1, n_trees=5, learning_rate=0.05, rotate_deg=90, mode="xgboost",
                                  reg_lambda=100.0, gamma=100.0, min_child_weight=100.0, colsample=0.5)):
        views = build_views(config, resolution=10)
        assert views.n_trees == config.n_trees and not views.diverged
        assert np.abs(views.train_margins).max() < MARGIN_LIMIT


@pytest.fixture
def tiny_hessians(monkeypatch):
    """Every hessian at XGBoost's floor (1e-16), as for points the ensemble is sure of: a true Newton leaf
    −η Σg/Σh (XGBoost's mode with λ = 0 and no minimum child weight) then runs away on the first tree."""
    from engine.boosting import losses

    monkeypatch.setattr(losses, "hessian", lambda loss, f, y: np.full(np.shape(f), losses.HESS_FLOOR))


def test_his_newton_leaf_on_tiny_hessians_is_capped_by_his_1e4(tiny_hessians):
    """His leaf divides by Σ2h + 10⁻⁴, never by ~0: on tiny hessians the first leaves are η Σ(y − p) · 10⁴."""
    x, y = make_dataset("xor", 300, seed=0)
    model = fit(BoostingConfig(dataset="xor", mode="newton", n_trees=1, depth=2), x, y)
    nodes = model.tree_nodes(0)
    leaf = _leaf_of(nodes, x)
    for node_id, value in _leaf_values(nodes).items():
        expected = 0.1 * (y - 0.5)[leaf == node_id].sum() / 1e-4
        assert value == pytest.approx(expected, rel=1e-4)
    assert np.abs(model.train_margins_[-1]).max() < MARGIN_LIMIT


def test_a_true_newton_leaf_on_tiny_hessians_runs_away_and_the_trainer_says_so(tiny_hessians):
    config = BoostingConfig(dataset="xor", mode="xgboost", reg_lambda=0.0, min_child_weight=0.0, n_trees=20, depth=2)
    trainer = BoostingTrainer(config, resolution=10)
    assert trainer.step(10.0) == 1  # stops at the tree that ran away, with time to spare
    assert trainer.status_ == DIVERGED and trainer.finished and trainer.n_built == 1
    assert trainer.message_ == ("The margin ran away (NaN or beyond ±1e+06) at tree 1: the Newton step divided by "
                                "tiny hessians. Lower the learning rate.")
    assert trainer.step(1.0) == 0  # nothing more after a divergence
    views = trainer.views()
    assert views.diverged and np.abs(views.train_margins[-1]).max() > MARGIN_LIMIT
    assert np.isfinite(views.test_loss).all()  # the clipped log-loss stays finite: it cannot tell divergence
    assert fit(config, trainer.x_train, trainer.y_train).n_trees == 1  # fit stops there too
    for challenge in CHALLENGES:  # a runaway ensemble solves nothing, whatever its clipped losses say
        verdict = check_challenge(challenge, replace(config, dataset=challenge.dataset or "xor", depth=1),
                                  views.test_loss, views.train_loss, diverged=True)
        assert not verdict.solved and verdict.reason == "The ensemble diverged: no challenge counts.", challenge.key
    # gradient mode never divides by a hessian: the same settings build every tree
    assert not build_views(replace(config, mode="gradient"), resolution=10).diverged


# ---------------------------------------------------------------- regression companion
def test_regression_trees_fit_the_residuals_and_depth_zero_is_the_mean():
    from engine.boosting.regression import fit_regression

    stump = fit_regression(0, 0.5, 3)
    for k in range(3):
        np.testing.assert_allclose(stump.tree_grid[k], stump.residuals(k).mean(), atol=1e-5)  # one leaf
    np.testing.assert_allclose(stump.train_pred[1], 0.5 * stump.z.mean(), atol=1e-5)
    deep = fit_regression(3, 0.5, 20)
    assert np.all(np.diff(deep.train_mse) <= 1e-9) and deep.train_mse[-1] < 0.2 * deep.train_mse[0]
    np.testing.assert_allclose(deep.grid_pred[5] + 0.5 * deep.tree_grid[5], deep.grid_pred[6], atol=1e-5)
    with pytest.raises(ValueError):
        fit_regression(7, 0.5, 3)
