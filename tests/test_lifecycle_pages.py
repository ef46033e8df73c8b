"""Play / Pause / Step / Reset on the playground, boosting and MoE pages, in any order (issue 15, items 4 and 5).

The digit page has had this test since it moved to the shared live controls (test_digits_training_page.py);
here the same thirty seeded random clicks run on the three other live pages, with two more things mixed in:
another student who sometimes holds every training slot (so this session's run waits in the queue), and a
setting changed while the run plays. After every action the page must agree with its run: no exception, the
buttons match ``playing``, the counter the page shows is the trainer's, the counter only moves the way the
action allows, and the session is in the server's queue exactly when it is playing and waiting for a slot.

AppTest never fires ``run_every``: each ``at.run()`` runs the training fragment once, one tick while playing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

import app.live
from app.boosting import keys as BK
from app.live import LiveRun, settle
from app.moe import keys as MK
from app.playground import keys as PK
from app.resources import training_slots

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


def _playground_counter(at: AppTest) -> int:
    shown = [m.value for m in at.metric if m.label == "Epoch"]
    assert len(shown) == 1, f"the playground shows {len(shown)} epoch counters"
    return int(str(shown[0]).replace(",", ""))


def _boosting_counter(at: AppTest) -> int:
    bars = [p.proto.text for p in at.get("progress")]
    if not bars:  # no run yet: the page asks for Play instead of drawing a bar
        assert any("Press **Play**" in i.value for i in at.info), "neither a progress bar nor the Play hint"
        return 0
    match = re.fullmatch(r"(\d+) of (\d+) trees · \w+", bars[-1])
    assert match, f"unexpected progress text {bars[-1]!r}"
    return int(match.group(1))


def _moe_counter(at: AppTest) -> int:
    from tests.test_moe_pages import steps

    return steps(at)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    keys: object
    query: dict
    counter: Callable[[AppTest], int]
    """The unit count the page shows (epoch, trees, optimizer steps); a failed read raises."""
    units: Callable[[object], int]
    """The same count read from the trainer."""

    def open(self) -> AppTest:
        at = AppTest.from_file(self.path, default_timeout=TIMEOUT)
        for key, value in self.query.items():
            at.query_params[key] = value
        return at.run()


PAGES = {
    "playground": Page("playground", str(ROOT / "pages" / "playground.py"), PK,
                       # one epoch per tick, and runs short enough to finish inside thirty clicks
                       {f"{PK.PREFIX}_speed": "one epoch", "maxEpochs": "6"},
                       _playground_counter, lambda t: t.epoch),
    "boosting": Page("boosting", str(ROOT / "pages" / "boosting.py"), BK,
                     {f"{BK.PREFIX}_speed": "slow"}, _boosting_counter, lambda t: t.n_built),
    "moe": Page("moe", str(ROOT / "pages" / "moe.py"), MK,
                {f"{MK.PREFIX}_speed": "slow"}, _moe_counter, lambda t: t.step_),
}


@pytest.fixture(autouse=True)
def short_slot_waits(monkeypatch):
    """Step waits 10 s for a slot on a real server; a test that holds every slot should not."""
    monkeypatch.setattr(app.live, "STEP_SLOT_WAIT", 0.3)
    monkeypatch.setattr(app.live, "SLOT_WAIT", 0.05)


class OtherStudent:
    """Someone else's training ticks holding every slot of the server (or not)."""

    def __init__(self) -> None:
        self.slots = training_slots()
        self.stack: ExitStack | None = None

    @property
    def holding(self) -> bool:
        return self.stack is not None

    def hold(self) -> None:
        self.stack = ExitStack()
        for n in range(self.slots.slots):
            assert self.stack.enter_context(self.slots.slot(f"another student {n}")).granted

    def let_go(self) -> None:
        if self.stack is not None:
            self.stack.close()
            self.stack = None


def run_of(at: AppTest, page: Page) -> LiveRun:
    return at.session_state[page.keys.RUN]


def check_consistent(at: AppTest, page: Page, other: OtherStudent) -> tuple[LiveRun, int]:
    """What must hold after any action; returns the run and the counter shown."""
    assert not at.exception, at.exception
    run = run_of(at, page)
    assert at.button(key=page.keys.PAUSE).disabled == (not run.playing)
    assert at.button(key=page.keys.PLAY).disabled == run.playing
    shown = page.counter(at)
    assert shown == (page.units(run.trainer) if run.trainer is not None else 0)
    assert run.in_progress == (run.trainer is not None and not run.trainer.finished)
    if run.trainer is not None and run.trainer.finished:
        assert run.settled and not run.playing
    queued = run.owner in training_slots().queue()
    assert queued == (run.playing and other.holding), (run.playing, other.holding)
    return run, shown


@pytest.mark.parametrize("name", list(PAGES))
def test_play_pause_step_reset_in_any_order_with_another_student_sometimes_holding_the_slots(name):
    page = PAGES[name]
    at = page.open()
    other = OtherStudent()
    buttons = [page.keys.PLAY, page.keys.PAUSE, page.keys.STEP, page.keys.RESET]
    rng = random.Random(15)
    seen = {"queued": 0, "refused step": 0, "finished": 0}
    try:
        run, before = check_consistent(at, page, other)
        for _ in range(30):
            if rng.random() < 0.25:
                other.let_go() if other.holding else other.hold()
            enabled = [key for key in buttons if not at.button(key=key).disabled]
            assert enabled  # never a dead end
            key = rng.choice(enabled)
            fresh = run.trainer is None or run.trainer.finished  # Play and Step build a new run from the seed
            at.button(key=key).click().run()
            run, shown = check_consistent(at, page, other)
            seen["queued"] += run.owner in training_slots().queue()
            seen["finished"] += run.trainer is not None and run.trainer.finished
            start = 0 if fresh else before
            if key == page.keys.RESET:
                assert not run.playing and shown == 0
                assert run.trainer is None or run.trainer.status_ == "ready"  # the playground builds it paused
                assert run.owner not in training_slots().queue()
            elif key == page.keys.PAUSE:
                assert not run.playing and shown == before  # the click's own rerun trains nothing
                assert run.owner not in training_slots().queue()
            elif key == page.keys.STEP:
                assert not run.playing
                if other.holding:
                    seen["refused step"] += 1
                    assert shown == start and run.note is not None and "could not get a CPU slot" in run.note[1]
                else:
                    assert shown > start  # one tick: at least one unit
            elif key == page.keys.PLAY:
                assert run.playing or run.trainer.finished
                assert shown == start if other.holding else shown > start
            before = shown
            if run.playing and rng.random() < 0.5:  # an update of the playing run: the counter never goes back
                at.run()
                run, shown = check_consistent(at, page, other)
                assert shown >= before and (shown > before or other.holding or run.trainer.finished)
                before = shown
    finally:
        other.let_go()
    # The test must have exercised what it checks.
    assert seen["queued"] > 0 and seen["refused step"] > 0, seen
    if run.playing:
        at.button(key=page.keys.PAUSE).click().run()
    assert not at.exception
    assert training_slots().queue() == [] and training_slots().busy == 0


@pytest.mark.parametrize("name", list(PAGES))
def test_pause_reset_and_a_closed_tab_leave_the_queue(name):
    page = PAGES[name]
    at = page.open()
    other = OtherStudent()
    slots = training_slots()
    try:
        other.hold()
        for action in (page.keys.PAUSE, page.keys.RESET, "closed tab"):
            at.button(key=page.keys.PLAY).click().run()
            run = run_of(at, page)
            assert run.playing and run.owner in slots.queue()  # waiting for the slot the other student holds
            assert any("Waiting for a free CPU slot" in i.value for i in at.info)
            if action == "closed tab":
                # The tab stops asking: once stale_after has passed without a request, the queue drops it.
                clock = slots._clock
                slots._clock = lambda clock=clock: clock() + slots.stale_after + 1
                try:
                    assert run.owner not in slots.queue()
                finally:
                    slots._clock = clock
            else:
                at.button(key=action).click().run()
                assert not at.exception and not run_of(at, page).playing
                assert run.owner not in slots.queue()
    finally:
        other.let_go()


def test_a_run_that_finishes_while_waiting_for_a_slot_leaves_the_queue():
    """A finished run (all units done, or stopped by the page) gives up its place when it is settled."""
    slots = training_slots()
    other = OtherStudent()
    trainer = SimpleNamespace(finished=False)
    run = LiveRun(trainer=trainer, playing=True)
    try:
        other.hold()
        assert not app.live.tick(run, 0.01, 0.0) and run.owner in slots.queue()
        trainer.finished = True
        assert settle(run, lambda t: ("success", "done"))
        assert run.owner not in slots.queue() and not run.playing and run.note == ("success", "done")
    finally:
        other.let_go()


def test_changing_a_playground_setting_while_playing_starts_a_fresh_paused_run():
    page = PAGES["playground"]
    at = page.open()
    other = OtherStudent()
    at.button(key=PK.PLAY).click().run()
    at.run()
    old = run_of(at, page)
    assert old.playing and page.counter(at) >= 2
    try:
        other.hold()
        at.run()
        assert old.owner in training_slots().queue()
        at.selectbox(key=PK.ACTIVATION).set_value("relu").run()
        run, shown = check_consistent(at, page, other)
    finally:
        other.let_go()
    assert not run.playing and shown == 0 and run.trainer.config.activation == "relu"
    assert run.owner not in training_slots().queue()
    # ... while a learning-rate change keeps the run, and it goes on playing.
    at.button(key=PK.PLAY).click().run()
    epochs = page.counter(at)
    at.select_slider(key=PK.LEARNING_RATE).set_value(0.1).run()
    run, shown = check_consistent(at, page, other)
    assert run.playing and shown > epochs and run.trainer.learning_rate == 0.1


def test_changing_a_boosting_setting_while_playing_keeps_the_run_on_its_own_settings():
    page = PAGES["boosting"]
    at = page.open()
    at.button(key=BK.PLAY).click().run()
    run = run_of(at, page)
    started_with, grown = run.trainer.config, page.counter(at)
    depth = started_with.depth
    at.slider(key=BK.setting("depth")).set_value(depth + 1).run()
    run, shown = check_consistent(at, page, OtherStudent())
    assert run.playing and run.trainer.config == started_with and shown > grown
    assert any("uses the settings it started with" in c.value for c in at.caption)
    at.button(key=BK.RESET).click().run()
    at.button(key=BK.STEP).click().run()
    assert run_of(at, page).trainer.config.depth == depth + 1


def test_choosing_a_moe_preset_while_playing_drops_the_run_and_its_place():
    page = PAGES["moe"]
    at = page.open()
    other = OtherStudent()
    at.button(key=MK.PLAY).click().run()
    assert at.select_slider(key=MK.setting("n_experts")).disabled  # the run owns its settings
    try:
        other.hold()
        at.run()
        owner = run_of(at, page).owner
        assert owner in training_slots().queue()
        at.selectbox(key=MK.PRESET).set_value("Balanced").run()
        run, shown = check_consistent(at, page, other)
    finally:
        other.let_go()
    assert run.trainer is None and not run.playing and shown == 0 and owner not in training_slots().queue()
    assert not at.select_slider(key=MK.setting("n_experts")).disabled
    at.button(key=MK.STEP).click().run()
    assert run_of(at, page).trainer.config.bias_rate == 0.03

