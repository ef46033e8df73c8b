"""AppTest: the mixture-of-experts page — its settings, parameter table, presets, live controls and bad input.

AppTest never fires ``run_every``: each ``at.run()`` runs the training fragment
once, which is one tick while playing. No assertion depends on how fast a tick is.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.moe import keys as K
from app.moe.settings import CHOICES, FIELDS
from app.moe.views import run_label
from engine.moe import PRESETS, MoEConfig

ROOT = Path(__file__).resolve().parents[1]
MOE_PAGE = str(ROOT / "pages" / "moe.py")
TIMEOUT = 120


def page(query: dict | None = None, **state) -> AppTest:
    at = AppTest.from_file(MOE_PAGE, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def pictures(at: AppTest) -> dict[str, str]:
    """The markup of every live picture element on the page, by the element's key (``moe_picture_...``)."""
    out = {}
    for element in at.get("bidi_component"):
        key = element.proto.id.rsplit("-", 1)[-1]
        out[key] = json.loads(element.proto.json).get("svg", "")
    return out


class _Cards(HTMLParser):
    """Reads ``{label: value}`` from the figures panel (app.moe.svg.metric_cards) and its plain text."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.text: list[str] = []
        self._label: str | None = None
        self._in_value = False
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._in_style = tag == "style"
        if "data-label" in attrs:
            self._label = attrs["data-label"]
        if attrs.get("class") == "moe-value":
            self._in_value = True

    def handle_endtag(self, tag):
        self._in_value = self._in_value and tag != "div"
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            return
        self.text.append(data)
        if self._in_value and self._label is not None:
            self.values[self._label] = data


def cards(at: AppTest) -> _Cards:
    parser = _Cards()
    parser.feed(pictures(at)[K.IMBALANCE_BOX])
    return parser


def metric(at: AppTest, label: str) -> str:
    return cards(at).values[label]


def steps(at: AppTest) -> int:
    return int(metric(at, "Step"))


def texts(at: AppTest) -> str:
    """Every warning, error, info, success, caption and markdown on the page, and the figures panel's text,
    as one string."""
    parts = [e.value for kind in (at.warning, at.error, at.info, at.success, at.caption, at.markdown) for e in kind]
    return "\n".join([*(str(p) for p in parts), "".join(cards(at).text)])


def param_rows(at: AppTest) -> list[list[str]]:
    table = at.table[0].value
    return table.values.tolist()


def click(at: AppTest, key: str) -> AppTest:
    return at.button(key=key).click().run()


def test_every_setting_has_a_keyed_widget_and_the_table_matches_a_hand_count():
    at = page()
    assert not at.exception
    assert at.selectbox(key=K.PRESET).value == "Collapse"
    keys = {w.key for kind in (at.selectbox, at.slider, at.select_slider, at.radio, at.number_input, at.toggle)
            for w in kind}
    missing = {K.setting(f) for f in FIELDS} - keys
    assert not missing
    for key in (K.PLAY, K.PAUSE, K.STEP, K.RESET):
        assert at.button(key=key) is not None
    assert at.button(key=K.PAUSE).disabled and not at.button(key=K.PLAY).disabled
    # Collapse: 8 experts 2 -> 8 -> 5 and a linear router on 2 inputs.
    router, per_expert = 8 * 2 + 8, (2 * 8 + 8) + (8 * 5 + 5)
    rows = param_rows(at)
    assert rows[0][:2] == ["MoE, all parameters (sparse)", f"{router + 8 * per_expert:,}"]
    assert rows[1][:2] == ["MoE, active per input", f"{router + per_expert:,}"]
    assert rows[2][0].startswith("Dense, same active") and rows[3][0].startswith("Dense, same total")
    assert "0.10–0.12×" in texts(at)  # the measured sparse-dispatch speed is on the page
    # Every router option is explained with its source.
    reference = texts(at)
    for source in ("Zhou et al. 2022", "DeepSeek-V3", "ST-MoE", "Switch Transformers", "DeepSeekMoE"):
        assert source in reference


def test_every_preset_value_is_one_of_the_widget_choices():
    for name, preset in PRESETS.items():
        for field, options in CHOICES.items():
            assert getattr(preset, field) in options, (name, field)


def test_choosing_a_preset_loads_its_settings_and_the_table_follows():
    at = page()
    at.selectbox(key=K.PRESET).set_value("Balanced").run()
    assert at.select_slider(key=K.setting("bias_rate")).value == PRESETS["Balanced"].bias_rate
    assert "DeepSeek-V3" in texts(at) and "no expert dead" in texts(at)

    at.selectbox(key=K.PRESET).set_value("Expert choice").run()
    assert at.radio(key=K.setting("router")).value == "expert_choice"
    assert at.select_slider(key=K.setting("capacity_factor")).value == 1.0
    assert at.select_slider(key=K.setting("bias_rate")).value == 0.0
    assert "11 %" in texts(at)

    at.selectbox(key=K.PRESET).set_value("Shared expert").run()
    router, per_expert = 8 * 2 + 8, (2 * 8 + 8) + (8 * 5 + 5)
    assert param_rows(at)[1][1] == f"{router + 2 * per_expert + per_expert:,}"  # 2 routed + 1 shared
    assert not at.exception


def test_a_shared_link_opens_with_its_settings():
    query = {K.PRESET: "Balanced", K.setting("bias_rate"): "0.03", K.setting("n_experts"): "4",
             K.setting("router"): "Noisy top-k", K.setting("seed"): "7", K.setting("lr_schedule"): "Constant"}
    at = page(query=query)
    assert at.select_slider(key=K.setting("n_experts")).value == 4
    assert at.radio(key=K.setting("router")).value == "noisy_topk"
    assert at.radio(key=K.setting("lr_schedule")).value == "constant"
    assert at.number_input(key=K.setting("seed")).value == 7
    assert "Changed from the preset: n experts, router, lr schedule, seed." in texts(at)
    click(at, K.STEP)
    trainer = at.session_state[K.RUN].trainer
    assert trainer.config.n_experts == 4 and trainer.config.seed == 7 and trainer.config.bias_rate == 0.03
    assert trainer.config.lr_schedule == "constant"
    assert run_label(trainer.config) == "Custom settings, seed 7"


def test_a_link_that_names_only_a_preset_opens_with_its_settings():
    at = page(query={K.PRESET: "Balanced"})
    assert at.selectbox(key=K.PRESET).value == "Balanced"
    assert at.select_slider(key=K.setting("bias_rate")).value == PRESETS["Balanced"].bias_rate
    assert not at.exception


def test_step_play_pause_reset_advance_the_run_and_the_figures():
    at = page()
    assert steps(at) == 0 and metric(at, "Max share") == "–"
    click(at, K.STEP)
    stepped = steps(at)
    assert stepped > 0
    at.run()
    assert steps(at) == stepped  # one Step is one tick, then it stays paused
    assert at.select_slider(key=K.setting("n_experts")).disabled  # a run in progress owns its settings

    click(at, K.PLAY)
    assert steps(at) > stepped
    for _ in range(3):
        at.run()
    assert metric(at, "Max share").endswith("%") and "of 8" in metric(at, "Dead experts")
    assert "Collapse, seed 0" in texts(at)
    click(at, K.PAUSE)
    paused = steps(at)
    at.run().run()
    assert steps(at) == paused
    assert at.table[-1].value["Run"].tolist() == ["Collapse, seed 0"]  # the comparison of runs

    click(at, K.RESET)
    assert steps(at) == 0
    assert not at.exception


@pytest.mark.parametrize("query", [
    {K.setting("top_k"): "99", K.setting("n_experts"): "abc", K.setting("learning_rate"): "1e9"},
    {K.setting("seed"): "-5", K.setting("router"): "evil", K.PRESET: "Nope", K.setting("task"): "<script>"},
    {K.setting("capacity_factor"): "nan", K.setting("aux_loss_coef"): "inf", K.setting("steps"): "",
     K.setting("lr_schedule"): "warp"},
])
def test_a_tampered_link_falls_back_without_an_exception(query):
    at = page(query=query)
    assert not at.exception
    config, notes = MoEConfig.clamped({f: at.session_state[K.setting(f)] for f in FIELDS
                                       if K.setting(f) in at.session_state})
    assert not notes  # every value the widgets hold is a legal one
    assert 1 <= config.top_k <= config.n_experts
    click(at, K.STEP)
    assert not at.exception and steps(at) > 0


def test_top_k_above_the_number_of_experts_is_lowered_with_a_message():
    at = page(**{K.setting("n_experts"): 2, K.setting("top_k"): 4})
    assert "top_k 4 is more than the 2 experts: lowered to 2" in texts(at)
    router, per_expert = 2 * 2 + 2, (2 * 8 + 8) + (8 * 5 + 5)
    assert param_rows(at)[1][1] == f"{router + 2 * per_expert:,}"  # active: both experts
    click(at, K.STEP)
    assert not at.exception and steps(at) > 0


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("aux_loss_coef", 100.0, "dwarf the task loss"),
    ("capacity_factor", 0.1, "are dropped"),
    ("n_experts", 1, "nothing to route"),
])
def test_legal_but_odd_settings_are_explained(setting, value, message):
    at = page(**{K.setting(setting): value})
    assert message in texts(at)
    click(at, K.STEP)
    assert not at.exception


def test_a_huge_learning_rate_stops_the_run_and_says_why():
    at = page(**{K.setting("learning_rate"): 100.0})
    assert "expect training to diverge" in texts(at)
    click(at, K.PLAY)
    for _ in range(40):
        if "diverged" in texts(at).lower():
            break
        at.run()
    assert "Training diverged" in "\n".join(e.value for e in at.error)
    assert "smaller learning rate" in "\n".join(e.value for e in at.error)
    assert not at.exception


def test_pictures_and_charts_show_what_they_are_given():
    import base64
    import io

    import numpy as np
    from PIL import Image

    from app.moe import figures, svg

    expert = np.zeros((8, 8), dtype=int)
    expert[:, 4:] = 3  # right half: expert 3 (grid row 0 is the bottom)
    confidence = np.full((8, 8), 1.0)
    confidence[:4] = 0.25  # bottom half: the router cannot tell 4 experts apart
    picture = figures.routing_picture({"expert": expert, "confidence": confidence}, 4, side=16)
    assert picture.shape == (16, 16, 3) and picture.dtype == np.uint8
    red = np.array([0xD6, 0x27, 0x28])  # expert 3's colour, at full strength where the router is sure
    assert np.abs(picture[0, -1].astype(int) - red).max() <= 1  # top right
    assert picture[-1, 0].min() > 200  # bottom left: pale

    html = figures.inline_png(picture, "caption <b>")
    data = base64.b64decode(html.split("base64,")[1].split('"')[0])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), picture)
    assert "caption &lt;b&gt;" in html

    shares = np.array([[0.5, 0.5, 0.0], [0.9, 0.1, 0.0]])
    chart = svg.stacked_area([25, 50], shares, figures.EXPERT_COLORS)
    assert chart.count("<polygon") == 3 and "Expert 0: 90.0%" in chart
    grid = svg.heat_grid(np.array([[3, 1], [0, 0]]), "digit")
    assert "digit 0 → expert 0: 75% (3 inputs)" in grid and "digit 1 → expert 1: 0% (0 inputs)" in grid
    lines = svg.line_chart([25, 50], {"a": ([0.5, None], "#000", "none")}, True, "t")
    assert "a: 50.0%" in lines


def test_every_view_is_drawn_after_a_few_steps():
    at = page()
    for _ in range(40):  # at least two records (one every eval_every steps) for the curves; a Step is timed
        click(at, K.STEP)
        if len(at.session_state[K.RUN].trainer.history_) >= 2:
            break
    shown = pictures(at)
    routing, load = shown[K.LIVE_VIEWS].split('<div class="moe-load">')
    assert routing.count("<img") == 1 and "Routing map" in routing
    assert load.count("<polygon") == 8  # one band per expert
    assert shown[K.DECISION_MAP_BOX].count("<img") == 3  # the MoE and the two dense models
    assert shown[K.EXPERT_MAPS_BOX].count("<img") == 8  # each expert on its own
    curves = shown[K.CURVES_BOX]
    assert "Accuracy" in curves and "Loss" in curves and "Class × expert" in curves
    assert cards(at).values["Step"] == str(steps(at)) and int(steps(at)) > 0
    assert not at.exception


def _attrs(markup: str, cls: str) -> dict[str, str]:
    """The attributes of the first element of class ``cls`` in ``markup``."""
    found: dict[str, str] = {}

    class _Find(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if not found and cls in (attrs.get("class") or "").split():
                found.update({k: v or "" for k, v in attrs.items()})

    _Find().feed(markup)
    return found


def _bias_bars(markup: str) -> dict[int, float]:
    bars: dict[int, float] = {}

    class _Bars(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("class") == "moe-bias-bar":
                bars[int(attrs["data-expert"])] = float(attrs["data-bias"])

    _Bars().feed(markup)
    return bars


def test_the_loss_free_bias_shows_as_bars_of_the_routers_own_bias_and_says_when_it_is_off():
    at = page()
    for _ in range(2):
        click(at, K.STEP)
    live = pictures(at)[K.LIVE_VIEWS]
    assert _attrs(live, "moe-bias")["data-state"] == "off" and "γ = 0" in live  # Collapse: no bias, said so

    at.selectbox(key=K.PRESET).set_value("Balanced").run()
    for _ in range(3):
        click(at, K.STEP)
    live = pictures(at)[K.LIVE_VIEWS]
    assert _attrs(live, "moe-bias")["data-state"] == "on"
    bias = at.session_state[K.RUN].trainer.model_.router.selection_bias.numpy()
    bars = _bias_bars(live)
    assert sorted(bars) == list(range(8))
    assert [bars[e] for e in range(8)] == pytest.approx(bias.tolist(), abs=1e-5)
    assert max(abs(v) for v in bars.values()) > 0  # after a few steps of the rule the bias has moved
    assert not at.exception


@pytest.mark.parametrize("preset", ["Capacity limit", "Expert choice", "Collapse"])
def test_one_routed_batch_marks_what_capacity_or_expert_choice_left_out(preset):
    at = page()
    at.selectbox(key=K.PRESET).set_value(preset).run()
    click(at, K.STEP)
    batch = _attrs(pictures(at)[K.BATCH_BOX], "moe-batch")
    trainer = at.session_state[K.RUN].trainer
    x, _, routed = trainer.batch_view()
    size, n_e = len(x), trainer.config.n_experts
    assert int(batch["data-size"]) == size
    unserved = int(batch["data-unserved"])
    if preset == "Capacity limit":  # top-1 with capacity ⌈1.0 x B x 1 / E⌉: an expert keeps at most that many
        capacity = -(-size // n_e)
        assert batch["data-rule"] == "capacity" and routed.capacity == capacity
        assert unserved == sum(max(0, int(r) - capacity) for r in routed.requested)
        assert unserved > 0  # the collapsing router overfills its favourites from the start
    elif preset == "Expert choice":  # every expert picks `capacity` inputs: the rest were picked by nobody
        picked = {int(i) for i in np.flatnonzero((routed.experts >= 0).any(axis=1))}
        assert batch["data-rule"] == "expert_choice" and unserved == size - len(picked)
        assert int(routed.load.sum()) == n_e * routed.capacity
    else:
        assert batch["data-rule"] == "none" and unserved == 0
    assert not at.exception
