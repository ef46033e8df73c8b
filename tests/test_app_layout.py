"""app/layout.py: projector mode from the link and the switch, and the rules that put the picture first on a phone.

The rules themselves are checked in Chromium (tests/e2e/test_boosting.py and test_tabular.py at 390×844, and
projector mode on both pages); here: what the server sends for each state.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app import layout


def _page():
    """The entry script's call, then a two-column page: controls on the left, the picture on the right."""
    from app import layout

    layout.install()
    controls, picture = layout.phone_first([1, 2], picture=1, key="t_layout")
    controls.write("the controls")
    picture.write("the picture")
    layout.hide_in_projector("t_extra")
    layout.hide_on_phone("t_formula")


def run(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=30)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    return at


def styles(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), (" ON ", True), ("yes", True),
                                               ("0", False), ("False", False), ("off", False),
                                               ("banana", None), ("", None), (None, None)])
def test_parse_switch(raw, expected):
    assert layout.parse_switch(raw) is expected


def test_projector_link_turns_it_on_and_the_switch_shows_it():
    at = run({"projector": "1"})
    assert at.session_state[layout.PROJECTOR] is True
    assert at.toggle(key=layout.PROJECTOR).value is True
    css = styles(at)
    assert f"font-size: {layout.PROJECTOR_FONT_PCT}%" in css
    assert "[data-testid='stSidebar']" in css and "display: none" in css
    # the controls' column and the extra box are hidden, the picture's column is not
    assert ".st-key-t_layout [data-testid='stColumn']:has(.st-key-t_layout_0) {display: none" in css
    assert ":has(.st-key-t_layout_1) {display: none" not in css
    assert ".st-key-t_extra {display: none" in css


def test_without_the_link_nothing_is_hidden_or_enlarged():
    at = run()
    assert at.session_state[layout.PROJECTOR] is False
    css = styles(at)
    assert "font-size: 130%" not in css and "stSidebar" not in css
    assert "t_layout_0) {display: none" not in css and ".st-key-t_extra" not in css
    assert "projector" not in at.query_params


@pytest.mark.parametrize("raw", ["banana", "2", "<script>"])
def test_a_value_that_is_neither_leaves_the_switch_off_without_an_error(raw):
    at = run({"projector": raw})
    assert at.session_state[layout.PROJECTOR] is False
    assert "projector" not in at.query_params  # the address bar follows the switch


def test_the_switch_writes_the_link_and_a_page_change_keeps_it():
    at = run()
    at.toggle(key=layout.PROJECTOR).set_value(True).run()
    assert at.query_params["projector"] in ("1", ["1"])
    assert "font-size: 130%" in styles(at)
    at.query_params.clear()  # what a change of page does to the address bar
    at.run()
    assert at.query_params["projector"] in ("1", ["1"]) and at.session_state[layout.PROJECTOR] is True
    at.toggle(key=layout.PROJECTOR).set_value(False).run()
    assert "projector" not in at.query_params
    assert "font-size: 130%" not in styles(at)


def test_a_link_with_projector_0_turns_it_off():
    at = run({"projector": "true"})
    at.query_params["projector"] = "0"
    at.run()
    assert at.session_state[layout.PROJECTOR] is False


def test_picture_column_first_below_the_phone_width_only():
    css = layout.phone_first_css("k", picture=1, controls=[0], projector=False)
    assert css.startswith(f"@media (max-width: {layout.PHONE_MAX_PX}px)")
    assert ".st-key-k [data-testid='stColumn']:has(.st-key-k_1) {order: -1;}" in css
    assert "k_0" not in css  # the controls keep their place; nothing hidden off the projector


def test_phone_first_returns_a_keyed_container_per_column_in_order():
    at = run()
    columns = at.columns
    assert len(columns) == 2
    assert [c.markdown[0].value for c in columns] == ["the controls", "the picture"]
    assert "@media (max-width: 700px) { .st-key-t_formula {display: none" in styles(at)


def test_phone_first_refuses_a_picture_column_that_does_not_exist():
    def page():
        from app import layout

        layout.phone_first(2, picture=2, key="bad")

    at = AppTest.from_function(page, default_timeout=30).run()
    assert at.exception and "picture column 2" in at.exception[0].value
