"""AppTest: the decision-boundary playground — its controls, links (ours and TensorFlow Playground's),
tampered links, bad settings, divergence, compare mode and presets.

AppTest never fires ``run_every``: each ``at.run()`` runs the training fragment once,
which is one tick while playing. No assertion depends on how fast a tick is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from app.playground import keys as K
from engine.playground import FEATURES, PairTrainer, Trainer

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "playground.py")
TIMEOUT = 120


def page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def metric(at: AppTest, label: str) -> str:
    """An ``st.metric`` (the epoch) or one of the numbers drawn beside it (losses, accuracies)."""
    found = [m.value for m in at.metric if m.label == label]
    if found:
        return found[0]
    prefix, _, name = label.rpartition(" ") if label.startswith(("A ", "B ")) else ("", "", label)
    markup = board(at, f"{K.NUMBERS}_{prefix.lower()}" if prefix else K.NUMBERS)["layout"]
    match = re.search(rf'data-num="{re.escape(label if not prefix else name)}">.*?<div class="pg-val">([^<]*)</div>',
                      markup)
    assert match, f"no number {label!r}"
    return match.group(1)


def epoch(at: AppTest, label: str = "Epoch") -> int:
    return int(metric(at, label).replace(",", ""))


def texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.warning, at.error, at.info, at.success, at.caption, at.markdown) for e in kind]
    return "\n".join(str(p) for p in parts)


def trainer(at: AppTest):
    return at.session_state[K.RUN].trainer


def click(at: AppTest, key: str) -> AppTest:
    return at.button(key=key).click().run()


def board(at: AppTest, key: str = K.BOARD) -> dict:
    """The data the live view (every picture of the run, one element of our own) or the numbers beside the epoch
    (``K.NUMBERS``) were sent in the last run."""
    def find(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "key", None) == key:
                return child
            found = find(child)
            if found is not None:
                return found
        return None

    element = find(at.main)
    assert element is not None, f"no {key} on the page"
    return json.loads(element.proto.json)


def test_every_control_is_there_and_step_trains_the_default_circle():
    at = page()
    assert not at.exception
    labels = {K.LEARNING_RATE: "Learning rate", K.REG_RATE: "Regularization rate"}
    for key, label in labels.items():  # looked up by key: a missing control raises KeyError
        assert at.select_slider(key=key).label == label
    labels = {K.TRAIN: "Ratio of training to test data (%)", K.NOISE: "Noise", K.BATCH: "Batch size"}
    for key, label in labels.items():
        assert at.slider(key=key).label == label
    assert at.select_slider(key=K.LEARNING_RATE).value == 0.03
    assert len(at.select_slider(key=K.LEARNING_RATE).options) == 11
    assert len(at.select_slider(key=K.REG_RATE).options) == 10
    assert at.slider(key=K.BATCH).min == 1 and at.slider(key=K.BATCH).max == 30
    assert at.slider(key=K.NOISE).max == 50 and at.slider(key=K.TRAIN).min == 10
    assert {at.checkbox(key=K.feature(f)).value for f in FEATURES[:2]} == {True}
    assert not any(at.checkbox(key=K.feature(f)).value for f in FEATURES[2:])
    assert at.radio(key=K.DATASET).value == "circle"
    assert epoch(at) == 0 and not at.button(key=K.PLAY).disabled and at.button(key=K.PAUSE).disabled
    click(at, K.STEP_EPOCH)
    assert epoch(at) == 1
    click(at, K.STEP)
    assert epoch(at) > 1
    assert float(metric(at, "Training loss")) < 0.5
    t = trainer(at)
    assert isinstance(t, Trainer) and t.config.hidden == (4, 2) and t.config.dataset == "circle"
    layout = board(at)["layout"]
    assert "<b>Network</b>" in layout and "<b>Output</b>" in layout and "<b>Loss per epoch</b>" in layout


def test_network_editor_adds_and_removes_layers_and_neurons():
    at = page()
    click(at, K.ADD_LAYER)
    assert at.text_input(key=K.SHAPE).value == "4,2,2"
    click(at, K.neurons_button(2, "+"))
    assert at.text_input(key=K.SHAPE).value == "4,2,3"
    click(at, K.neurons_button(0, "-"))
    assert at.text_input(key=K.SHAPE).value == "3,2,3"
    assert trainer(at).config.hidden == (3, 2, 3)
    for _ in range(3):
        click(at, K.REMOVE_LAYER)
    assert at.text_input(key=K.SHAPE).value == "" and at.button(key=K.REMOVE_LAYER).disabled
    click(at, K.STEP)  # zero hidden layers trains: a linear model of x1, x2
    assert epoch(at) >= 1 and not at.exception
    assert trainer(at).node_ids()[1:] == [["1"]]


def test_a_shared_link_restores_the_setup():
    # select boxes and radios keep their shown label in the link
    query = {K.DATASET: "Spiral", K.SHAPE: "8,8,4", K.LEARNING_RATE: "0.3", K.ACTIVATION: "ReLU",
             K.feature("sinX"): "true", K.feature("x"): "false", K.NOISE: "20", K.BATCH: "5", K.TRAIN: "70",
             K.SEED: "42", K.REGULARIZATION: "L2", K.REG_RATE: "0.001", K.SHOW_TEST: "true"}
    at = page(query)
    assert not at.exception
    assert at.radio(key=K.DATASET).value == "spiral"
    assert at.text_input(key=K.SHAPE).value == "8,8,4"
    assert at.select_slider(key=K.LEARNING_RATE).value == 0.3
    assert at.checkbox(key=K.feature("sinX")).value and not at.checkbox(key=K.feature("x")).value
    c = trainer(at).config
    assert (c.dataset, c.hidden, c.learning_rate, c.activation, c.noise, c.batch_size, c.perc_train, c.seed) == \
           ("spiral", (8, 8, 4), 0.3, "relu", 20, 5, 70, 42)
    assert c.features == ("y", "sinX") and (c.regularization, c.reg_rate) == ("L2", 0.001)
    assert at.checkbox(key=K.SHOW_TEST).value


def test_a_tensorflow_playground_link_in_the_url_or_pasted_loads_the_same_setup():
    tf = {"activation": "sigmoid", "batchSize": "3", "dataset": "xor", "learningRate": "0.1", "noise": "10",
          "networkShape": "5,5", "percTrainData": "30", "xTimesY": "true", "x": "false", "y": "false",
          "regularization": "L1", "regularizationRate": "0.003", "discretize": "true", "noise_hide": "true"}
    at = page(tf)
    assert not at.exception
    c = trainer(at).config
    assert (c.activation, c.batch_size, c.dataset, c.learning_rate, c.noise, c.hidden, c.perc_train) == \
           ("sigmoid", 3, "xor", 0.1, 10, (5, 5), 30)
    assert c.features == ("xTimesY",) and (c.regularization, c.reg_rate) == ("L1", 0.003)
    assert at.checkbox(key=K.DISCRETIZE).value and at.multiselect(key=K.HIDE).value == ["noise"]
    assert "dataset" not in at.query_params  # the original's keys are read once, then dropped
    at = page()
    at.text_input(key=K.TF_LINK).set_value(
        "https://playground.tensorflow.org/#activation=relu&batchSize=20&dataset=gauss&networkShape=3"
        "&learningRate=1&sinY=true").run()
    click(at, K.TF_LINK_LOAD)
    c = trainer(at).config
    assert (c.activation, c.batch_size, c.dataset, c.hidden, c.learning_rate) == ("relu", 20, "gauss", (3,), 1.0)
    assert "sinY" in c.features
    at.text_input(key=K.TF_LINK).set_value("hello").run()
    click(at, K.TF_LINK_LOAD)
    assert "does not look like a TensorFlow Playground link" in texts(at)


def test_a_tampered_link_is_clamped_with_notes_and_never_crashes():
    at = page({K.DATASET: "moons", K.SHAPE: ",".join(["9"] * 100), K.BATCH: "-4", K.NOISE: "abc",
               K.LEARNING_RATE: "1e9", K.SEED: "-1", K.ACTIVATION: "swish", K.TRAIN: "1000"})
    assert not at.exception
    c = trainer(at).config
    assert c.dataset == "circle" and c.hidden == (8,) * 6 and 1 <= c.batch_size <= 30
    assert c.learning_rate in (0.03, 10.0) and c.activation == "tanh" and 10 <= c.perc_train <= 90
    assert "kept the first 6" in texts(at) and "outside 1–8" in texts(at)
    click(at, K.STEP)
    assert epoch(at) >= 1
    at = page({"dataset": "moons", "networkShape": "1,2,3,4,5,6,7,8,9,10", "batchSize": "-3", "noise": "lots",
               "learningRate": "abc"})
    assert not at.exception
    c = trainer(at).config
    assert c.dataset == "circle" and len(c.hidden) == 6 and c.batch_size == 1 and c.noise == 0
    assert "moons" in texts(at) and "not a number" in texts(at)


def test_all_features_off_is_refused_with_a_message():
    at = page()
    for name in ("x", "y"):
        at.checkbox(key=K.feature(name)).uncheck().run()
    assert not at.exception
    assert "at least one input feature" in texts(at)
    assert at.button(key=K.PLAY).disabled and at.button(key=K.STEP).disabled and trainer(at) is None
    at.checkbox(key=K.feature("xSquared")).check().run()
    assert not at.button(key=K.PLAY).disabled and trainer(at).config.features == ("xSquared",)


def test_learning_rate_changes_keep_the_run_and_other_changes_reset_it():
    at = page()
    click(at, K.STEP)
    before = epoch(at)
    assert before >= 1
    at.select_slider(key=K.LEARNING_RATE).set_value(0.1).run()
    assert epoch(at) == before and trainer(at).learning_rate == 0.1
    at.selectbox(key=K.ACTIVATION).set_value("relu").run()
    assert epoch(at) == 0 and trainer(at).config.activation == "relu"
    seed = trainer(at).config.seed
    click(at, K.REGENERATE)
    assert trainer(at).config.seed != seed and epoch(at) == 0


def test_reset_starts_again_from_the_seed_with_the_same_settings():
    at = page({K.SEED: "7", K.ACTIVATION: "ReLU", K.SHAPE: "3,2", K.OPTIMIZER: "Adam", K.BATCH: "7"})
    first = trainer(at)
    start_w, start_b, config = first.W.copy(), first.B.copy(), first.config
    assert (config.seed, config.activation, config.hidden, config.optimizer) == (7, "relu", (3, 2), "adam")
    click(at, K.STEP_EPOCH)
    first_epoch = dict(first.history_[0])
    for _ in range(2):
        click(at, K.STEP)
    assert first.epoch > 3 and not np.allclose(first.W, start_w)  # run 1 moved
    click(at, K.RESET)
    assert not at.exception and epoch(at) == 0
    second = trainer(at)
    assert second is not first and second.config == config and second.status_ == "ready"
    assert np.array_equal(second.W, start_w) and np.array_equal(second.B, start_b)  # run 2 starts where run 1 did
    assert not second.mW.any() and second.tstep[0] == 0 and second.count[0] == 0  # with a fresh optimizer
    assert at.select_slider(key=K.LEARNING_RATE).value == 0.03 and at.number_input(key=K.SEED).value == 7
    click(at, K.STEP_EPOCH)
    assert dict(second.history_[0]) == first_epoch  # and retraces it exactly


def test_learning_rate_10_with_l2_10_diverges_and_says_so():
    at = page({K.LEARNING_RATE: "10", K.REGULARIZATION: "L2", K.REG_RATE: "10"})
    click(at, K.PLAY)
    for _ in range(30):
        if trainer(at).finished:
            break
        at.run()
    assert not at.exception
    assert trainer(at).status_ == "diverged"
    at.run()
    assert "lower learning rate" in texts(at) and "diverged" in texts(at)
    assert not at.exception and not at.button(key=K.RESET).disabled and at.button(key=K.PAUSE).disabled
    click(at, K.RESET)  # a diverged run is thrown away: a fresh one from the seed, ready to play
    assert trainer(at).status_ == "ready" and epoch(at) == 0 and "diverged" not in texts(at)


def test_regression_shows_losses_without_accuracy():
    at = page({K.PROBLEM: "Regression", K.REG_DATASET: "Multi-Gaussian"})
    click(at, K.STEP)
    assert not at.exception
    c = trainer(at).config
    assert (c.problem, c.reg_dataset) == ("regression", "reg-gauss") and len(trainer(at).raw_[0]) == 600
    numbers = board(at, K.NUMBERS)["layout"]
    assert 'data-num="Test loss"' in numbers and "accuracy" not in numbers


def test_compare_mode_trains_both_networks_in_lockstep():
    at = page({K.COMPARE: "true", K.B_ACTIVATION: "ReLU", K.B_SHAPE: "8,8"})
    assert not at.exception
    pair = trainer(at)
    assert isinstance(pair, PairTrainer) and pair.b.config.hidden == (8, 8) and pair.b.config.activation == "relu"
    click(at, K.STEP)
    assert epoch(at, "A Epoch") == epoch(at, "B Epoch") >= 1
    assert pair.a.data()[0].tobytes() == pair.b.data()[0].tobytes()


def test_presets_load_their_lesson():
    at = page()
    at.selectbox(key=K.PRESET).set_value("ReLU vs Tanh").run()
    assert not at.exception
    pair = trainer(at)
    assert isinstance(pair, PairTrainer)
    assert pair.a.config.activation == "relu" and pair.b.config.activation == "tanh"
    assert "straight pieces" in texts(at)
    at.selectbox(key=K.PRESET).set_value("Regularization kills weights").run()
    at.toggle(key=K.COMPARE).set_value(False).run()  # A alone: its diagram says how many links L1 killed
    for _ in range(3):
        click(at, K.STEP)
    dead = len(trainer(at).weights()["dead"])
    assert dead > 0 and f"L1 has set {dead} of {7 * 8 + 8 * 8 + 8} links to exactly zero" in board(at)["slots"]["dead"]
    at.selectbox(key=K.PRESET).set_value("Features instead of layers").run()
    t = trainer(at)
    assert isinstance(t, Trainer) and t.config.hidden == () and t.config.features == ("xSquared", "ySquared")


def test_hidden_controls_keep_their_link_values_and_own_data_needs_points():
    at = page({K.HIDE: ["noise", "features"], K.NOISE: "25", K.feature("sinY"): "true"})
    assert not at.exception
    c = trainer(at).config
    assert c.noise == 25 and "sinY" in c.features
    at.radio(key=K.DATA_SOURCE).set_value("own").run()
    assert not at.exception
    assert "at least 10 points" in texts(at) and at.button(key=K.PLAY).disabled


def test_a_click_on_the_map_adds_a_point_clamped_to_the_plane_or_erases_the_nearest():
    import numpy as np

    from app.playground.own_data import MAX_POINTS, apply_click

    X, y = apply_click(None, 1.234, 2, 1)
    assert X.tolist() == [[1.23, 2.0]] and y.tolist() == [1.0]
    X, y = apply_click((X, y), 7.5, -9, -1)
    assert X.tolist() == [[1.23, 2.0], [6.0, -6.0]] and y.tolist() == [1.0, -1.0]
    for junk in (("a", 0, 1), (float("nan"), 0, 1), (0, 0, 3), (None, 1, 1)):
        assert apply_click((X, y), *junk) is None
    assert apply_click((X, y), 0, 0, 0) is None  # nothing within reach to erase
    X2, y2 = apply_click((X, y), 5.7, -5.8, 0)  # erases the nearest: the clamped corner point
    assert X2.tolist() == [[1.23, 2.0]] and y2.tolist() == [1.0]
    full = (np.zeros((MAX_POINTS, 2)), np.ones(MAX_POINTS))
    assert apply_click(full, 1, 1, 1) is None


def test_own_points_are_clicked_onto_the_output_map_which_then_shows_the_network_beneath_them():
    from app.playground.own_data import apply_click

    at = page()
    at.radio(key=K.DATA_SOURCE).set_value("own").run()
    assert not at.exception and trainer(at) is None
    empty = board(at)
    assert 'data-click="1"' in empty["layout"] and "Click on the map" in empty["layout"]
    assert empty["click"]["on"] and empty["click"]["colour"] == "#0877bd"  # "Clicks add" starts on blue
    points = None
    for i in range(12):  # what twelve clicks on the map do to the points (the e2e test clicks for real)
        points = apply_click(points, -4 + 0.7 * i, 3 - 0.5 * i, 1 if i % 2 else -1)
    at.session_state[K.POINTS] = points
    at.run()
    assert not at.exception and not at.button(key=K.PLAY).disabled
    t = trainer(at)
    assert isinstance(t, Trainer) and len(t.raw_[0]) + len(t.raw_[2]) == 12
    shown = board(at)
    assert 'data-click="1"' in shown["layout"]  # the clickable plane is the output map ...
    assert shown["hrefs"]["out"].startswith("data:image/png;base64,")  # ... with the network's output beneath
    assert shown["layout"].count("<circle") == len(t.raw_[0])  # training points (test points hidden by default)
    at.radio(key=K.DATA_SOURCE).set_value("generated").run()
    assert 'data-click="1"' not in board(at)["layout"]  # generated data: the map takes no clicks


def test_the_live_view_sends_its_fixed_markup_unchanged_while_training():
    at = page({K.SHAPE: "8,8,8,8,8,8", **{K.feature(f): "true" for f in FEATURES}})
    first = board(at)
    click(at, K.STEP)
    second = board(at)
    assert epoch(at) > 0
    assert second["layout"] == first["layout"]  # the browser parses the diagram and the points once
    assert second["hrefs"]["out"] != first["hrefs"]["out"]  # the map changed
    n_links = 7 * 8 + 5 * 8 * 8 + 8
    assert len(second["links"]["a"]["stroke"]) == n_links == second["layout"].count("<path") // 2  # + a hit path each
    assert second["links"]["a"]["width"] != first["links"]["a"]["width"]  # the weights changed
    t = trainer(at)
    weights = t.weights()
    order = [(s, d) for lay, layer in enumerate(t.node_ids()[1:]) for d in layer for s in t.node_ids()[lay]]
    assert second["links"]["a"]["w"] == [weights["links"][k] for k in order]  # exact: the browser's hover maps
    assert second["links"]["a"]["b"] == [weights["biases"][n] for layer in t.node_ids()[1:] for n in layer]


def _upload_script():
    """The own-data section of the page, with an upload delivered to its ``on_change`` callback as the browser would
    (AppTest cannot upload a file: the test puts the bytes in ``incoming``)."""
    import streamlit as st

    from app.playground import keys as K
    from app.playground.own_data import _on_upload, own_data_section

    incoming = st.session_state.pop("incoming", None)
    if incoming is not None:
        st.session_state[K.UPLOAD] = type("Uploaded", (), {"getvalue": lambda self: incoming})()
        _on_upload(st.session_state.get("problem", "classification"))
        del st.session_state[K.UPLOAD]  # the widget owns this key from here on
    st.session_state["section"] = own_data_section(st.session_state.get("problem", "classification"))


def test_an_upload_loads_the_points_or_shows_why_not_and_keeps_the_previous_ones():
    import numpy as np

    at = AppTest.from_function(_upload_script, default_timeout=TIMEOUT)
    at.session_state[K.DATA_SOURCE] = "own"
    at.run()
    own, points, why_not = at.session_state["section"]
    assert own and points is None and "at least 10 points" in why_not and not at.error
    good = "x1;x2;label\n" + "\n".join(f"{i % 5 - 2},5;{i % 3 - 1};{i % 2}" for i in range(12))
    at.session_state["incoming"] = ("\ufeff" + good).encode()
    at.run()
    assert not at.exception and not at.error
    _, points, why_not = at.session_state["section"]
    assert why_not is None and points[0].shape == (12, 2) and points[0][0].tolist() == [-2.5, -1.0]
    assert [c.value for c in at.caption][:2] == ["Read the first row as a header: x1, x2, label.",
                                                 "Label 0 is shown orange (−1), 1 blue (+1)."]
    assert "12 point(s)." in [c.value for c in at.caption]
    at.session_state["incoming"] = b"x1,x2,label\n1,2,1\n"  # too short: refused, the 12 points stay
    at.run()
    assert [e.value for e in at.error] == ["Not loaded: The file has 1 data row(s); at least 10 points are needed "
                                           "to train and test."]
    _, kept, _ = at.session_state["section"]
    assert np.array_equal(kept[0], points[0]) and np.array_equal(kept[1], points[1]) and not at.exception
    at.session_state["problem"] = "regression"  # numbers in [-1, 1] for regression; a later good file clears the error
    at.session_state["incoming"] = "\n".join(f"{i / 4 - 2}\t1\t{i / 20:.2f}" for i in range(15)).encode()
    at.run()
    _, points, why_not = at.session_state["section"]
    assert not at.error and why_not is None and np.allclose(points[1], np.arange(15) / 20)
    assert "15 point(s)." in [c.value for c in at.caption]


def test_the_regression_data_sets_have_pictures_too():
    at = page()
    pictures = board(at, K.THUMBNAILS)["svg"]
    assert [m for m in re.findall(r'data-set="([^"]+)"', pictures)] == ["circle", "xor", "gauss", "spiral"]
    at.selectbox(key=K.PROBLEM).set_value("regression").run()
    pictures = board(at, K.THUMBNAILS)["svg"]
    assert re.findall(r'data-set="([^"]+)"', pictures) == ["reg-plane", "reg-gauss"]
    assert pictures.count("<circle") == 2 * 1200 and not at.exception  # every point of both, coloured by target
    for name in ("reg-plane", "reg-gauss"):
        chunk = pictures.split(f'data-set="{name}"')[1].split("</svg>")[0]
        assert len(set(re.findall(r'fill="(rgb[^"]+)"', chunk))) > 20  # a colour scale, not two classes


def test_the_originals_init_zero_and_hide_text_keys_work():
    at = page({"initZero": "true", "hideText": "true", "networkShape": "3"})
    assert not at.exception
    t = trainer(at)
    weights = t.weights()
    assert t.config.init_zero and all(w == 0.0 for w in weights["links"].values())
    assert at.session_state[K.INIT_ZERO] and at.session_state[K.HIDE_TEXT]
    assert "pg-notext" in board(at)["layout"]  # the view's captions are hidden
    assert not any("learns to separate" in c.value for c in at.caption)  # the page's explanation too
    assert not [e for e in at.expander if e.label == "What to try"]
    click(at, K.STEP)
    assert epoch(at) > 0
    # our own link keeps both, and a fresh page without them has neither
    again = page({K.INIT_ZERO: "true", K.HIDE_TEXT: "true"})
    assert trainer(again).config.init_zero and "pg-notext" in board(again)["layout"]
    plain = page()
    assert not trainer(plain).config.init_zero and "pg-notext" not in board(plain)["layout"]
    assert any("learns to separate" in c.value for c in plain.caption)
    assert any(w != 0.0 for w in trainer(plain).weights()["links"].values())
