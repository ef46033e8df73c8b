"""AppTest: the gradient-boosting page — controls, shared links, tampered links, the challenge check, Play.

The numbers the page shows are compared with the engine's own (``build_views``) for
the same settings, so a page that ignored a control would fail.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.boosting import keys as K
from app.resources import training_slots
from engine.boosting import DATASETS, BoostingConfig, BoostingTrainer, build_views
from engine.scheduler import SlotScheduler

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "boosting.py")
TIMEOUT = 120


def page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.warning, at.error, at.info, at.success, at.caption, at.markdown) for e in kind]
    return "\n".join(str(p) for p in parts)


def shown_config(at: AppTest) -> BoostingConfig:
    """The config of the ensemble the page drew last (the most recent entry of its cache)."""
    return list(at.session_state[K.CACHE])[-1]


def test_every_control_has_its_range_default_and_help():
    at = page()
    assert not at.exception
    expected = {  # key: (min, max, default) as the issue gives them
        K.setting("depth"): (1, 8, 4), K.setting("learning_rate"): (0.05, 1.0, 0.1),
        K.setting("rotate_deg"): (0, 90, 0), K.setting("subsample"): (10, 100, 100),
        K.setting("n_trees"): (50, 200, 50),
    }
    for key, (low, high, default) in expected.items():
        slider = at.slider(key=key)
        assert (slider.min, slider.max, slider.value) == (low, high, default), key
        assert slider.help
    assert at.checkbox(key=K.setting("rotate_trees")).value is False
    assert at.checkbox(key=K.SHOW_GRADIENTS).value is True  # as in the original
    assert "Dot size ∝ |gradient|: the gradients tree 0 was grown from" in texts(at)
    assert at.radio(key=K.setting("mode")).value == "gradient"
    assert at.radio(key=K.setting("loss")).value == "logloss"
    assert at.slider(key=K.STAGE).value == 50 and at.slider(key=K.TREE).value == 0
    # looked up by key (a missing one raises KeyError); the chosen dataset's button is the primary one
    assert [at.button(key=f"{K.DATASET_BUTTON}{i}").proto.type for i in range(6)] == \
        ["primary" if name == "spiral" else "tertiary" for name in DATASETS]
    assert [at.button(key=f"{K.THUMB_BUTTON}{k}").label for k in range(30)] == [f"Σ {k}" for k in range(30)]
    assert shown_config(at) == BoostingConfig()
    views = build_views(BoostingConfig())
    assert metric(at, "Test loss") == f"{views.test_loss[50]:.4f}"
    assert metric(at, "Train loss") == f"{views.train_loss[50]:.4f}"
    assert [at.button(key=key).label for key in (K.PLAY, K.PAUSE, K.STEP, K.RESET)] == \
        ["▶ Play", "⏸ Pause", "⏭ Step", "↺ Reset"]
    assert at.button(key=K.PAUSE).disabled and at.button(key=K.RESET).disabled and not at.button(key=K.PLAY).disabled


def test_controls_change_the_ensemble_and_the_numbers():
    at = page()
    before = metric(at, "Test loss")
    at.button(key=f"{K.DATASET_BUTTON}1").click().run()  # XOR
    at.slider(key=K.setting("depth")).set_value(2).run()
    assert not at.exception
    config = shown_config(at)
    assert config.dataset == "xor" and config.depth == 2
    assert metric(at, "Test loss") == f"{build_views(config).test_loss[50]:.4f}" != before
    at.radio(key=K.setting("mode")).set_value("xgboost").run()
    at.slider(key=K.setting("reg_lambda")).set_value(5.0).run()
    assert shown_config(at).mode == "xgboost" and shown_config(at).reg_lambda == 5.0
    # The stage scrubber only indexes: same ensemble, the numbers of another stage.
    at.slider(key=K.STAGE).set_value(10).run()
    assert metric(at, "Test loss") == f"{build_views(shown_config(at)).test_loss[10]:.4f}"
    # More trees: a scrubber that showed the whole ensemble keeps showing it.
    at.slider(key=K.STAGE).set_value(50).run()
    at.slider(key=K.setting("n_trees")).set_value(80).run()
    assert at.slider(key=K.STAGE).value == 80 and at.slider(key=K.STAGE).max == 80


def test_sum_up_to_here_selects_the_tree_and_its_stage():
    at = page()
    at.button(key=f"{K.THUMB_BUTTON}6").click().run()
    assert at.slider(key=K.STAGE).value == 7 and at.slider(key=K.TREE).value == 6
    assert "Tree 6 as XGBoost stores it" in texts(at)
    assert "**Tree 6 on its own**" in texts(at)


def test_a_shared_link_opens_that_view():
    query = {K.setting("dataset"): "stripes", K.setting("depth"): "1", K.setting("learning_rate"): "0.5",
             K.setting("mode"): "Newton-Raphson", K.setting("n_trees"): "100", K.STAGE: "12", K.TREE: "3",
             K.setting("rotate_trees"): "true", K.SHOW_GRADIENTS: "true"}
    at = page(query)
    assert not at.exception
    config = shown_config(at)
    assert config == BoostingConfig(dataset="stripes", depth=1, learning_rate=0.5, mode="newton", n_trees=100,
                                    rotate_trees=True)
    assert at.slider(key=K.STAGE).value == 12 and at.slider(key=K.TREE).value == 3
    assert metric(at, "Test loss") == f"{build_views(config).test_loss[12]:.4f}"
    assert "Tree 3 as XGBoost stores it" in texts(at)
    assert "Dot size ∝ |gradient|" in texts(at)
    # his Newton-Raphson, and why it is half a Newton step, said on the page
    assert "Σ(y − p) / (Σ 2p(1 − p) + 0.0001)" in texts(at)
    assert "\"this is wrong, but this is better for visualisation\"" in texts(at)


def test_the_originals_colours_are_an_option():
    """Ticked, the map, its points, the thumbnails and the tree diagram turn orange (class 0) and blue (class 1),
    as in the original and the other playgrounds; the link keeps the choice."""
    from app.boosting.figures import COLORSCALES

    def heat(at):
        chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("boosting_map_chart"))
        return next(t for t in json.loads(chart.proto.spec)["data"] if t["type"] == "heatmap")

    at = page()
    assert at.checkbox(key=K.ORIGINAL_COLOURS).value is False
    before = heat(at)["colorscale"]
    thumbs_before = [m.value for m in at.markdown if 'alt="tree 3 alone"' in m.value]
    assert before == COLORSCALES["red-blue"] and "red for class 1, blue for class 0" in texts(at)
    at.checkbox(key=K.ORIGINAL_COLOURS).check().run()
    assert not at.exception
    assert heat(at)["colorscale"] == [[0.0, "#f59322"], [0.5, "#e8eaeb"], [1.0, "#0877bd"]]
    assert "blue for class 1, orange for class 0, grey where unsure" in texts(at)
    thumbs_after = [m.value for m in at.markdown if 'alt="tree 3 alone"' in m.value]
    assert thumbs_after and thumbs_after != thumbs_before  # the thumbnails were redrawn in the other colours
    assert "rgb(245,147,34)" in "".join(m.value for m in at.markdown) or \
        "rgb(8,119,189)" in "".join(m.value for m in at.markdown)  # a full-scale leaf in the tree diagram
    linked = page({K.ORIGINAL_COLOURS: "true"})  # a link with the choice opens in those colours
    assert linked.checkbox(key=K.ORIGINAL_COLOURS).value is True and heat(linked)["colorscale"][0][1] == "#f59322"
    from app.boosting.pictures import dataset_thumbnail_uri  # the dataset buttons' pictures too, on the first run

    css = "".join(m.value for m in linked.markdown if "<style>" in m.value)
    assert dataset_thumbnail_uri("xor", palette="orange-blue") in css and dataset_thumbnail_uri("xor") not in css


@pytest.mark.parametrize("query", [
    {K.setting("depth"): "99", K.setting("learning_rate"): "abc", K.setting("dataset"): "evil",
     K.STAGE: "-5", K.TREE: "9999", K.setting("mode"): "evil", K.setting("n_trees"): "1e9",
     K.setting("subsample"): "0", K.VIEW: "nope", K.setting("seed"): "-1", K.setting("colsample"): "0.1"},
    {K.STAGE: "49.5", K.setting("loss"): "", K.setting("rotate_trees"): "maybe", K.SHOW_GRADIENTS: "1"},
])
def test_a_tampered_link_falls_back_to_valid_settings(query):
    at = page(query)
    assert not at.exception
    config = shown_config(at)
    assert config.dataset == "spiral" and 1 <= config.depth <= 8 and config.mode in ("gradient", "newton", "xgboost")
    assert 50 <= config.n_trees <= 200 and 0.1 <= config.subsample <= 1
    assert 0 <= at.slider(key=K.STAGE).value <= config.n_trees
    assert 0 <= at.slider(key=K.TREE).value < config.n_trees
    float(metric(at, "Test loss"))


def test_the_challenge_check_says_solved_only_when_the_target_is_met():
    at = page({K.VIEW: "Challenges"})
    at.button(key=f"{K.CHALLENGE_LOAD}_xor-depth-2").click().run()
    config = shown_config(at)
    assert config.dataset == "xor" and config.depth == 2
    assert build_views(config).test_loss[-1] >= 0.02  # the defaults do not solve it ...
    assert "Solved!" not in "\n".join(s.value for s in at.success)
    # ... Newton leaves with a large learning rate do (found by bench/boosting_challenges.py).
    at.radio(key=K.setting("mode")).set_value("newton").run()
    at.slider(key=K.setting("learning_rate")).set_value(1.0).run()
    assert build_views(shown_config(at)).test_loss[-1] < 0.02
    solved = "\n".join(s.value for s in at.success)
    assert "Solved! Test loss" in solved
    assert "*Why:* A depth-2 tree" in texts(at)
    # Breaking the constraint un-solves it.
    at.slider(key=K.setting("depth")).set_value(3).run()
    assert "Solved!" not in "\n".join(s.value for s in at.success)
    assert "Tree depth must be at most 2 (it is 3)." in texts(at)


def test_step_grows_the_ensemble_tree_by_tree():
    # Slow speed (5 ms of growing per Step) and the most trees: on a fast machine a "normal" Step of 30 ms
    # grew all 50 trees at once, and the second Step had nothing left to grow.
    at = page({K.setting("n_trees"): "200", f"{K.PREFIX}_speed": "slow"})
    at.button(key=K.STEP).click().run()
    trainer = at.session_state[K.RUN].trainer
    assert trainer is not None and trainer.n_built >= 1
    assert trainer.config == shown_config(at)
    built = trainer.n_built
    at.button(key=K.STEP).click().run()
    assert at.session_state[K.RUN].trainer.n_built > built
    assert not at.exception


def block(at: AppTest, key: str):
    """The container with ``key`` (it must be on the page)."""
    def find(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "key", None) == key:
                return child
            found = find(child)
            if found is not None:
                return found
        return None

    found = find(at.main)
    assert found is not None, f"no {key} on the page"
    return found


def shown(node, kind: str) -> list:
    """Every element of type ``kind`` ("Metric", "Markdown", "Caption") under ``node``, in page order."""
    out = []
    for child in getattr(node, "children", {}).values():
        if type(child).__name__ == kind:
            out.append(child)
        out.extend(shown(child, kind))
    return out


def test_the_three_leaf_updates_tab_shows_each_modes_own_ensemble():
    config = BoostingConfig(dataset="xor", depth=3, mode="newton")
    at = page({K.VIEW: "Three leaf updates", K.setting("dataset"): "xor", K.setting("depth"): "3",
               K.setting("mode"): "Newton-Raphson"})
    assert not at.exception and config in at.session_state[K.CACHE]
    box = block(at, K.MODES_BOX)
    titles = [m.value for m in shown(box, "Markdown")]
    assert titles == ["**Gradient step**", "**Newton-Raphson** (current)", "**XGBoost second-order**"]
    metrics, captions = shown(box, "Metric"), [c.value for c in shown(box, "Caption")][1:]
    losses = []
    for i, mode in enumerate(("gradient", "newton", "xgboost")):
        v = build_views(replace(config, mode=mode))
        assert metrics[i].value == f"{v.test_loss[-1]:.4f}"
        assert captions[i] == f"Train loss {v.train_loss[-1]:.4f} · test accuracy {v.test_accuracy[-1]:.1%}"
        losses.append(v.test_loss[-1])
    assert len(set(losses)) == 3  # three different ensembles, not one drawn thrice


@pytest.mark.parametrize("dataset", ["stripes", "xor"])
def test_the_shap_tab_shares_the_push_between_x1_and_x2_as_the_contributions_do(dataset):
    at = page({K.VIEW: "SHAP contributions", K.setting("dataset"): dataset, K.STAGE: "30"})
    assert not at.exception
    views = build_views(shown_config(at))
    from engine.boosting.trainer import grid_points

    contrib = views.model.contributions(grid_points(views.bounds, views.resolution), 30)
    np.testing.assert_allclose(contrib.sum(axis=1), views.grid_margins[30], atol=1e-4)  # the stage shown
    x1, x2 = np.abs(contrib[:, 0]).mean(), np.abs(contrib[:, 1]).mean()
    for key, column in (("boosting_shap_x1", 0), ("boosting_shap_x2", 1)):  # the maps are this stage's pushes
        chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
        pushes = json.loads(chart.proto.spec)["data"][0]["customdata"]
        np.testing.assert_allclose(np.frombuffer(base64.b64decode(pushes["bdata"]), np.float32), contrib[:, column],
                                   atol=1e-5)
    text = "\n".join(m.value for m in shown(block(at, K.SHAP_BOX), "Markdown"))
    assert f"**x₁ carries {x1 / (x1 + x2):.0%}** of the push and **x₂ {x2 / (x1 + x2):.0%}**" in text
    if dataset == "stripes":  # the claim the tab makes: on stripes x₂ does (nearly) everything
        assert x2 / (x1 + x2) > 0.9
    else:  # on XOR both coordinates matter
        assert 0.3 < x1 / (x1 + x2) < 0.7
    at = page({K.VIEW: "SHAP contributions", K.setting("rotate_trees"): "true"})
    assert "no common x₁ and x₂" in texts(at)


def test_the_compare_tab_shows_a_deep_tree_a_forest_and_the_boosted_ensemble_on_the_same_points():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    from engine.boosting.data import train_test
    from engine.boosting.losses import log_loss

    at = page({K.VIEW: "Tree, forest, boosting", K.setting("dataset"): "circles", K.setting("n_trees"): "60"})
    assert not at.exception
    box = block(at, K.COMPARE_BOX)
    names = [m.value for m in shown(box, "Markdown")]
    assert names == ["**One deep tree**", "**Random forest (60 trees)**", "**Boosted (60 trees of depth 4)**"]
    x, y, xt, yt = train_test("circles", 0)
    expected = []
    for model in (DecisionTreeClassifier(random_state=0), RandomForestClassifier(60, random_state=0, n_jobs=1)):
        model.fit(x, y)
        expected.append((log_loss(model.predict_proba(x)[:, 1], y), log_loss(model.predict_proba(xt)[:, 1], yt),
                         float(np.mean(model.predict(xt) == yt))))
    views = build_views(BoostingConfig(dataset="circles", n_trees=60))
    expected.append((views.train_loss[-1], views.test_loss[-1], views.test_accuracy[-1]))
    metrics, captions = shown(box, "Metric"), [c.value for c in shown(box, "Caption")][1:]
    for (train, test, acc), metric_, caption in zip(expected, metrics, captions, strict=True):
        assert metric_.value == f"{test:.4f}" and caption == f"Train loss {train:.4f} · test accuracy {acc:.1%}"
    assert captions[0].startswith("Train loss 0.0000")  # the deep tree memorises every training point


def test_the_regression_companion_steps_through_the_trees():
    from engine.boosting.regression import fit_regression

    at = page({K.VIEW: "Regression in 3-D", K.REG_DEPTH: "3", K.REG_TREES: "10"})
    assert not at.exception
    assert at.slider(key=K.REG_STAGE).value == 0
    at.button(key=K.REG_NEXT).click().run()
    at.button(key=K.REG_NEXT).click().run()
    assert at.slider(key=K.REG_STAGE).value == 2
    run = fit_regression(3, 0.5, 10)
    assert metric(at, "Training MSE") == f"{run.train_mse[2]:.4f}"
    at.slider(key=K.REG_TREES).set_value(1).run()  # fewer trees than the stage: clamped
    assert at.slider(key=K.REG_STAGE).value == 1 and not at.exception


def test_every_slider_at_its_extremes():
    high = {K.setting("depth"): "8", K.setting("n_trees"): "200", K.setting("learning_rate"): "1.0",
            K.setting("subsample"): "10", K.setting("rotate_deg"): "90", K.setting("rotate_trees"): "true",
            K.setting("mode"): "Newton-Raphson", K.STAGE: "200", K.TREE: "199", K.SHOW_GRADIENTS: "true"}
    at = page(high)
    assert not at.exception
    config = shown_config(at)
    assert (config.depth, config.n_trees, config.learning_rate, config.subsample, config.rotate_deg) == \
        (8, 200, 1.0, 0.1, 90)
    assert "Tree 199 as XGBoost stores it" in texts(at)
    low = {K.setting("depth"): "1", K.setting("learning_rate"): "0.05", K.setting("mode"): "XGBoost second-order",
           K.setting("reg_lambda"): "10", K.setting("gamma"): "5", K.setting("min_child_weight"): "10",
           K.setting("colsample"): "0.5", K.setting("loss"): "Squared error", K.STAGE: "0"}
    at = page(low)
    assert not at.exception
    assert shown_config(at).min_child_weight == 10 and metric(at, "Test loss") == "0.6931"


def test_gradient_sizes_leave_out_the_points_outside_the_trees_subsample():
    at = page({K.setting("subsample"): "30", K.SHOW_GRADIENTS: "true", K.TREE: "4"})
    assert not at.exception
    assert "Tree 4 was grown from 90 of the 300 points" in texts(at)
    at.radio(key=K.GRADIENTS_OF).set_value("stage").run()
    assert "was grown from 90" not in texts(at) and "the gradients after 50 trees" in texts(at)


@pytest.mark.parametrize("slots", [1, 2])
def test_fits_of_many_sessions_at_once_run_no_more_at_a_time_than_there_are_slots(monkeypatch, slots):
    """Four sessions' fits at once (threads, as Streamlit runs sessions): never more growing at a time than the
    scheduler's slots, every slot used, each fit still the same ensemble, and no one left in the queue."""
    from app.boosting import compute

    lock, active, peak = threading.Lock(), [0], [0]
    real = BoostingTrainer.step

    def counted(self, max_seconds):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.005)  # long enough for the others to pile in if nothing stops them
            return real(self, max_seconds)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(BoostingTrainer, "step", counted)
    scheduler = SlotScheduler(slots)
    configs = [BoostingConfig(dataset=d, depth=3, n_trees=50) for d in ("xor", "circles", "stripes", "spiral")]
    results: dict[int, object] = {}
    threads = [threading.Thread(target=lambda i=i, c=c: results.__setitem__(i, compute.grow(c, scheduler, f"s{i}",
                                                                                              wait=0.05)))
               for i, c in enumerate(configs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 4 and peak[0] == slots
    assert scheduler.busy == 0 and scheduler.queue() == [] and scheduler.granted_total >= 4
    for i, config in enumerate(configs):
        assert results[i].n_trees == 50
        assert results[i].test_loss.tolist() == build_views(config).test_loss.tolist()


def test_the_pages_fit_waits_in_the_servers_training_slots():
    """Another student's training holds every slot: the page's fit queues (its owner shows up in the server's
    queue), then grows once the slots free up, and leaves the queue."""
    slots = training_slots()
    held = ExitStack()
    for n in range(slots.slots):
        assert held.enter_context(slots.slot(f"another student {n}")).granted
    seen: list = []

    def release_when_queued() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen:
            seen.extend(o for o in slots.queue() if str(o).startswith("fit-"))
            time.sleep(0.01)
        held.close()

    helper = threading.Thread(target=release_when_queued)
    helper.start()
    try:
        at = page({K.setting("dataset"): "xor", K.setting("n_trees"): "60"})
    finally:
        helper.join()
        held.close()
    assert seen == [at.session_state[K.FIT_OWNER]]
    assert not at.exception and shown_config(at) == BoostingConfig(dataset="xor", n_trees=60)
    assert metric(at, "Test loss") == f"{build_views(shown_config(at)).test_loss[60]:.4f}"
    assert at.session_state[K.FIT_OWNER] not in slots.queue() and slots.busy == 0


def test_a_runaway_ensemble_is_reported_on_the_page_and_in_the_live_run(monkeypatch):
    """Every hessian at XGBoost's floor: the first true Newton leaf (XGBoost's mode, λ = 0, no minimum child
    weight; his Newton-Raphson adds 10⁻⁴ and cannot run away) runs away. The page says so beside the numbers,
    no challenge counts, and a live run stops with the trainer's message as an error."""
    from engine.boosting import losses

    monkeypatch.setattr(losses, "hessian", lambda loss, f, y: np.full(np.shape(f), losses.HESS_FLOOR))
    bare = {K.setting("mode"): "XGBoost second-order", K.setting("reg_lambda"): "0.0",
            K.setting("min_child_weight"): "0.0"}
    at = page({**bare, K.setting("dataset"): "xor", K.setting("depth"): "2", K.VIEW: "Challenges"})
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The ensemble diverged after 1 tree (its margin became huge or NaN): the Newton step divided by tiny "
        "hessians. Lower the learning rate or the depth."]
    assert at.slider(key=K.STAGE).max == 1 and "✅" not in texts(at)
    assert texts(at).count("The ensemble diverged: no challenge counts.") == 2  # "overfit" and "XOR with depth 2"
    at = page({**bare, K.setting("dataset"): "xor"})
    at.button(key=K.STEP).click().run()
    run = at.session_state[K.RUN]
    assert run.trainer.status_ == "diverged" and not run.playing and run.settled
    assert run.trainer.message_ in [e.value for e in at.error][-1]
    assert at.button(key=K.PLAY).disabled is False and not at.exception
