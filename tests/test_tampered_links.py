"""A tampered link opens every live page with the exact fallback and a note saying so (issue 15, item 9).

Each case is one bad value in the link: the page must not raise, the control must hold exactly the value
named here (its default, or what the page corrects it to), the address bar must drop the bad value, and the
page must show one sentence naming the setting, quoting the bad value and saying what it uses instead (the
digit page's exact fallbacks are also checked in test_digits_url.py). A link that spells out a default gets no note.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.boosting import keys as BK
from app.digits import keys as DK
from app.moe import keys as MK
from app.playground import keys as PK
from app.tabular import keys as TK

ROOT = Path(__file__).resolve().parents[1]
MOE, BOOSTING, PLAYGROUND, DIGITS, TABULAR = (str(ROOT / "pages" / f"{name}.py")
                                              for name in ("moe", "boosting", "playground", "digits", "tabular"))


def open_link(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(page, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


CASES = [
    # page, key, bad value, exact fallback, the note
    (MOE, MK.setting("top_k"), "99", 1, "The link's top k “99” is not a value this page offers: using 1."),
    (MOE, MK.setting("n_experts"), "abc", 8, "The link's n experts “abc” is not a value this page offers: using 8."),
    (MOE, MK.setting("learning_rate"), "1e9", 0.05,
     "The link's learning rate “1e9” is not a value this page offers: using 0.05."),
    (MOE, MK.setting("router"), "evil", "topk",
     "The link's router “evil” is not a value this page offers: using Top-k."),
    (MOE, MK.setting("seed"), "-5", 0, "The link's seed “-5” is not a value this page offers: using 0."),
    (MOE, MK.setting("capacity_factor"), "nan", 0.0,
     "The link's capacity factor “nan” is not a value this page offers: using 0."),
    (MOE, MK.PRESET, "Nope", "Collapse", "The link's preset “Nope” is not a value this page offers: using Collapse."),
    (BOOSTING, BK.setting("depth"), "99", 4, "The link's depth “99” is not a value this page offers: using 4."),
    (BOOSTING, BK.setting("learning_rate"), "abc", 0.1,
     "The link's learning rate “abc” is not a value this page offers: using 0.1."),
    (BOOSTING, BK.setting("dataset"), "evil", "spiral",
     "The link's dataset “evil” is not a value this page offers: using spiral."),
    (BOOSTING, BK.setting("n_trees"), "1e9", 50, "The link's n trees “1e9” is not a value this page offers: using 50."),
    (BOOSTING, BK.setting("mode"), "x" * 100, "gradient",
     f"The link's mode “{'x' * 40}…” is not a value this page offers: using gradient."),
    (PLAYGROUND, PK.LEARNING_RATE, "abc", 0.03,
     "The link's learning rate “abc” is not a value this page offers: using 0.03."),
    (PLAYGROUND, PK.DATASET, "evil", "circle",
     "The link's dataset “evil” is not a value this page offers: using circle."),
    (PLAYGROUND, PK.NOISE, "999", 0, "The link's noise “999” is not a value this page offers: using 0."),
    (PLAYGROUND, PK.SEED, "-5", 0, "The link's seed “-5” is not a value this page offers: using 0."),
    (PLAYGROUND, PK.ACTIVATION, "x", "tanh", "The link's activation “x” is not a value this page offers: using tanh."),
    (PLAYGROUND, PK.BATCH, "1e9", 10, "The link's batch size “1e9” is not a value this page offers: using 10."),
    (DIGITS, DK.DIGITS_PEN, "999", 18, "The link's pen width “999” is not a value this page offers: using 18."),
    (DIGITS, DK.DIGITS_SOURCE, "evil", "Draw", "The link's source “evil” is not a value this page offers: using Draw."),
    (DIGITS, DK.DIGITS_TAB, "evil", "Layers", "The link's tab “evil” is not a value this page offers: using Layers."),
    (DIGITS, DK.DIGITS_UNIT_LAYER, "evil", "conv1",
     "The link's unit layer “evil” is not a value this page offers: using conv1."),
    (TABULAR, TK.setting("max_depth"), "99", 4, "The link's max depth “99” is not a value this page offers: using 4."),
    (TABULAR, TK.setting("learning_rate"), "abc", 0.1,
     "The link's learning rate “abc” is not a value this page offers: using 0.1."),
    (TABULAR, TK.DATASET, "evil", "Bank Marketing",
     "The link's dataset “evil” is not a value this page offers: using Bank Marketing."),
]


@pytest.mark.parametrize(("page", "key", "bad", "fallback", "note"), CASES,
                         ids=[f"{Path(c[0]).stem}-{c[1]}={c[2][:8]}" for c in CASES])
def test_a_bad_value_falls_back_exactly_and_says_so(page, key, bad, fallback, note):
    at = open_link(page, {key: bad})
    assert not at.exception
    assert at.session_state[key] == fallback
    assert key not in at.query_params  # the address bar now says what the page shows: the default
    assert note in warnings(at)
    at.run()  # the next run has nothing more to say about the link
    assert not at.exception and not [w for w in warnings(at) if "The link's" in w]


def test_good_values_beside_a_bad_one_are_kept_without_a_note():
    at = open_link(MOE, {MK.setting("n_experts"): "4", MK.setting("seed"): "7", MK.setting("top_k"): "evil"})
    assert at.session_state[MK.setting("n_experts")] == 4 and at.session_state[MK.setting("seed")] == 7
    assert [w for w in warnings(at) if "The link's" in w] == [
        "The link's top k “evil” is not a value this page offers: using 1."]
    assert at.query_params.get(MK.setting("n_experts")) == "4"


@pytest.mark.parametrize(("query", "fallback", "note"), [
    ({"batchSize": "-3"}, 1, "batchSize=-3 is outside 1–30 (step 1): used 1."),
    ({"noise": "999"}, 50, "noise=999 is outside 0–50 (step 5): used 50."),
    ({"learningRate": "7"}, 10, "learningRate=7 is not one of the 11 offered values: used 10."),
    ({"dataset": "evil"}, "circle", "dataset='evil' is not one of circle, xor, gauss, spiral: kept 'circle'."),
])
def test_a_tensorflow_playground_link_with_a_bad_value_is_corrected_with_its_note(query, fallback, note):
    from app.playground import keys as PK

    at = open_link(PLAYGROUND, query)
    assert not at.exception
    config = at.session_state[PK.RUN].trainer.config
    field = {"batchSize": "batch_size", "noise": "noise", "learningRate": "learning_rate", "dataset": "dataset"}
    assert getattr(config, field[next(iter(query))]) == fallback
    assert note in "\n".join(str(e.value) for kind in (at.warning, at.info, at.caption, at.markdown) for e in kind)


@pytest.mark.parametrize(("page", "query", "expected"), [
    (MOE, {MK.setting("top_k"): "1", MK.setting("router"): "Top-k", MK.setting("learning_rate"): "0.05"},
     {MK.setting("top_k"): 1, MK.setting("router"): "topk", MK.setting("learning_rate"): 0.05}),
    (BOOSTING, {BK.setting("depth"): "4", BK.setting("mode"): "gradient"},
     {BK.setting("depth"): 4, BK.setting("mode"): "gradient"}),
    (PLAYGROUND, {PK.SEED: "0", PK.DATASET: "circle"}, {PK.SEED: 0, PK.DATASET: "circle"}),
    (DIGITS, {DK.DIGITS_PEN: "18", DK.DIGITS_TAB: "Layers"}, {DK.DIGITS_PEN: 18, DK.DIGITS_TAB: "Layers"}),
    (TABULAR, {TK.setting("max_depth"): "4"}, {TK.setting("max_depth"): 4}),
])
def test_a_link_that_spells_out_the_defaults_gets_no_note(page, query, expected):
    """Streamlit drops a default from the address bar, so a link holding one loses it: no correction to report."""
    at = open_link(page, query)
    assert not at.exception
    assert [w for w in warnings(at) if "The link's" in w] == []
    assert {key: at.session_state[key] for key in expected} == expected
