"""Play / Pause / Step / Reset for any trainer of the engine (see :mod:`engine.live`).

Every playground trains live through :func:`live_controls`:

- **Play** starts a run (from the page's current settings and seed) or resumes a
  paused one. The run goes to a training worker process (:mod:`engine.workers`),
  which trains it continuously and sends a snapshot after every short tick; a
  fragment reruns itself about ten times a second, picks up the newest snapshot
  and draws it. Drawing is all the web process does for a playing run, so an update
  is cheap and never long enough for the browser's next rerun to cut it short.
  With ``ML_PLAYGROUND_TRAINING_WORKERS=0`` (the page tests) each fragment run
  trains one bounded tick itself, inside a server-wide CPU slot (:mod:`engine.scheduler`).
- **Pause** takes the run back from its worker after the current tick; the run stays
  where it is, and Play resumes it.
- **Step** trains exactly one tick while paused (in a worker, or in a slot).
- **Reset** throws the run away; the next Play starts again from the seed.
- **Speed** is the training time per screen update.

A run that finishes (all epochs, divergence, or the page stopping it) is
*settled* exactly once: the page's ``on_finish`` decides what to do with it
(adopt the model, or report why not) and returns a note to show. Settling is
checked at the start of every run, full or fragment, so a full rerun that
arrives while the last tick is drawing (a canvas stroke, say) cannot lose it.

Everything a session owns lives in its own ``st.session_state``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from app.resources import training_pool, training_slots
from engine.live import LiveTrainer

UPDATE_SECONDS = 0.1
"""How often the fragment reruns while playing (≈ 10 screen updates a second at most)."""
SPEEDS = {"slow": 0.05, "normal": 0.2, "fast": 0.45}
"""Training seconds per screen update, by the name the speed control shows."""
SLOT_WAIT = 0.25
"""How long one tick waits for a CPU slot before it reports the queue and tries again."""
STEP_SLOT_WAIT = 10.0
"""How long the Step button waits for a slot."""
SLOWEST_UPDATE = 1.6
"""The longest interval between update requests that :func:`pace` backs off to (seconds)."""
RECOVER_AFTER = 30
"""Whole updates in a row after which :func:`pace` tries half the interval again."""

Note = tuple[str, str]
"""``(level, text)``: level is ``"success"``, ``"info"``, ``"warning"`` or ``"error"``."""


@dataclass
class LiveRun:
    """One session's live training on one page (kept in ``st.session_state``)."""

    trainer: LiveTrainer | None = None
    playing: bool = False
    settled: bool = False
    note: Note | None = None
    waiting: str = ""
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    remote_seconds: float | None = None
    """Training seconds per update of the run a worker holds now (None: no worker holds it)."""
    interval: float | None = None
    """Seconds between the browser's update requests when the page's own is too fast for the server (see pace)."""
    drawing: bool = False
    ended_at: float | None = None
    behind: int = 0
    whole: int = 0
    slowed: int = 0
    """Updates cut short so far (each doubled the interval)."""
    generation: int = 0
    """Counts the runs this session has started on the page (Reset, a new Play after the end, a crash): a message
    about one run (an edit's outcome) is shown only while its generation is the page's."""

    @property
    def in_progress(self) -> bool:
        """A run exists and has not finished (playing or paused): its settings are fixed."""
        return self.trainer is not None and not self.trainer.finished


def live_run(prefix: str) -> LiveRun:
    """This session's :class:`LiveRun` for the page whose keys start with ``prefix``."""
    key = f"{prefix}_live_run"
    if not isinstance(st.session_state.get(key), LiveRun):
        st.session_state[key] = LiveRun()
    return st.session_state[key]


def settle(run: LiveRun, on_finish: Callable[[LiveTrainer], Note | None]) -> bool:
    """Hand a finished run to ``on_finish`` once; return True if this call did it."""
    if run.trainer is None or not run.trainer.finished or run.settled:
        return False
    run.playing = False
    run.waiting = ""
    release(run)
    # Streamlit may interrupt ``on_finish`` at any st.* call (a full rerun arriving during a
    # fragment run): only a completed call counts, otherwise the next run settles again.
    note = on_finish(run.trainer)
    run.note, run.settled = note, True
    return True


def release(run: LiveRun) -> None:
    """Give up the run's place: its queue entry, or its worker (which stops training it)."""
    training_slots().leave(run.owner)
    pool = training_pool()
    if pool is not None:
        pool.drop(run.owner)
    run.remote_seconds = None


def replace_trainer(run: LiveRun, trainer: LiveTrainer | None) -> None:
    """Start over with ``trainer`` (or nothing), paused: a settings change, a preset, Reset, an import."""
    release(run)
    begin(run, trainer)
    run.playing, run.waiting = False, ""


def begin(run: LiveRun, trainer: LiveTrainer | None) -> None:
    """Make ``trainer`` the page's run: a new generation, not yet settled, no note."""
    run.trainer, run.settled, run.note = trainer, False, None
    run.generation += 1


def forward(run: LiveRun, path: str, *args) -> None:
    """Call ``run.trainer.<path>(*args)`` here and on the worker's copy, if a worker trains it.

    For changes the page makes to a run in progress (a new learning rate, Finish now).
    """
    target = run.trainer
    *parents, name = path.split(".")
    for part in parents:
        target = getattr(target, part)
    getattr(target, name)(*args)
    pool = training_pool()
    if pool is not None and run.remote_seconds is not None:
        pool.call(run.owner, path, *args)


def tick(run: LiveRun, seconds: float, wait: float) -> bool:
    """Train one bounded tick (in a worker, or here inside a CPU slot); return False (and remember why) if
    none could be had."""
    if run.trainer is None or run.trainer.finished:
        return False
    pool = training_pool()
    if pool is not None:
        stepped = pool.step(run.owner, run.trainer, seconds, timeout=max(wait, 30.0))
        if stepped is None:
            run.waiting = "The training process did not answer in time: try Step again in a moment."
            return False
        run.trainer, run.waiting = stepped, ""
        return True
    with training_slots().slot(run.owner, wait=wait) as admission:
        if admission.granted:
            run.trainer.step(seconds)
            run.waiting = ""
            return True
    run.waiting = admission.describe()
    return False


def follow(run: LiveRun, seconds: float, period: float, make_trainer: Callable[[], LiveTrainer]) -> None:
    """One update of a playing run that a worker trains: hand it over if needed, take the newest snapshot."""
    pool = training_pool()
    if run.trainer is None or run.trainer.finished:
        return
    if run.remote_seconds is None or not pool.knows(run.owner):  # Play, or back after the pool paused it
        pool.start(run.owner, run.trainer, seconds, period)
        run.remote_seconds = seconds
    elif run.remote_seconds != seconds:
        pool.set_speed(run.owner, seconds)
        run.remote_seconds = seconds
    update = pool.latest(run.owner)
    if update is None:
        run.waiting = pool.describe(run.owner)
        return
    run.waiting = ""
    if update.error:
        begin(run, make_trainer())
        run.playing, run.remote_seconds = False, None
        run.note = ("error", update.error)
        return
    if update.trainer is not None:
        run.trainer = update.trainer
    if update.final:
        run.remote_seconds = None  # finished (settled next), or paused because the page looked away: resumes


def take_back(run: LiveRun) -> None:
    """Pause: the worker hands the run back after its current tick, so Step continues from the true state."""
    pool = training_pool()
    if pool is None or run.remote_seconds is None:
        return
    trainer = pool.pause(run.owner)
    if trainer is not None:
        run.trainer = trainer
    run.remote_seconds = None


def live_controls(
    prefix: str,
    make_trainer: Callable[[], LiveTrainer],
    on_finish: Callable[[LiveTrainer], Note | None],
    show: Callable[[LiveTrainer | None], None],
    *,
    disabled_reason: str | None = None,
    speeds: dict[str, float] | None = None,
    update_seconds: float = UPDATE_SECONDS,
) -> LiveRun:
    """Draw Play / Pause / Step / Reset and the speed choice, drive the run, and show it.

    Parameters
    ----------
    prefix
        The page's key prefix; widget keys are ``<prefix>_play`` and so on.
    make_trainer
        Builds a fresh trainer from the page's current settings (called by Play or
        Step when there is no run, and by Play after a finished run).
    on_finish
        Called once when a run finishes; returns a note to show (or None).
    show
        Draws the run (progress, metrics, curves); called on every update.
    disabled_reason
        When set, Play and Step are disabled and this is shown (e.g. invalid settings).
    speeds
        Training seconds per update by speed name, with a ``"normal"`` entry (default
        :data:`SPEEDS`). A page whose views are cheap can train less per update and
        update more often.
    update_seconds
        How often the fragment reruns while playing (default :data:`UPDATE_SECONDS`): the
        interval between the browser's requests; an update that takes longer delays the next.
    """
    speeds = speeds or SPEEDS
    run = live_run(prefix)
    if settle(run, on_finish):
        st.rerun()  # the page above may depend on the outcome (a newly adopted model)

    speed_key = f"{prefix}_speed"
    if st.session_state.get(speed_key) not in speeds:
        st.session_state.pop(speed_key, None)

    def on_play() -> None:
        if run.trainer is None or run.trainer.finished:
            begin(run, make_trainer())
        run.playing, run.drawing, run.whole, run.behind, run.ended_at = True, False, 0, 0, None

    def on_pause() -> None:
        run.playing = False
        run.waiting = ""
        take_back(run)
        training_slots().leave(run.owner)

    def on_step() -> None:
        if run.trainer is None or run.trainer.finished:
            begin(run, make_trainer())
        run.playing = False
        seconds = speeds.get(st.session_state.get(speed_key), speeds["normal"])
        if not tick(run, seconds, STEP_SLOT_WAIT):
            training_slots().leave(run.owner)  # a paused run asks no more: its place would block those behind
            run.note = ("warning", "The server is busy training other models: Step could not get a CPU slot. "
                                   "Try again in a moment.")

    def on_reset() -> None:
        replace_trainer(run, None)

    blocked = disabled_reason is not None
    play, pause, step, reset, speed = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
    play.button("▶ Play", key=f"{prefix}_play", type="primary", on_click=on_play, width="stretch",
                disabled=run.playing or blocked,
                help="Train live, about ten screen updates a second. Press again after Pause to resume.")
    pause.button("⏸ Pause", key=f"{prefix}_pause", on_click=on_pause, disabled=not run.playing, width="stretch",
                 help="Stop after the current update; Play resumes from here.")
    step.button("⏭ Step", key=f"{prefix}_step", on_click=on_step, disabled=run.playing or blocked,
                width="stretch", help="Train one update's worth (see Speed) and stop.")
    reset.button("↺ Reset", key=f"{prefix}_reset", on_click=on_reset, width="stretch",
                 disabled=run.trainer is None and run.note is None,
                 help="Throw this run away; Play then starts again from the seed with the current settings.")
    speed.select_slider("Speed", list(speeds), value="normal", key=speed_key, bind="query-params",
                        help="Training time per screen update: slow shows every small change, fast trains more "
                             "between updates.")
    if blocked:
        st.warning(disabled_reason)

    @st.fragment(run_every=(run.interval or update_seconds) if run.playing else None)
    def driver() -> None:
        if _auto_rerun() and pace(run, update_seconds):
            st.rerun(scope="app")  # only a full run can change how often the browser asks
        run.drawing = True
        seconds = speeds.get(st.session_state.get(speed_key), speeds["normal"])
        if run.playing and training_pool() is not None:
            follow(run, seconds, update_seconds, make_trainer)
            if not run.playing:  # the run was lost (its worker crashed): redraw the buttons with the message
                st.rerun(scope="app")
        elif run.playing:
            tick(run, seconds, SLOT_WAIT)
        if settle(run, on_finish):
            st.rerun(scope="app")  # redraw the buttons and whatever the outcome changed
        if run.waiting:
            st.info(run.waiting, icon="⏳")
        show(run.trainer)
        if run.note:
            getattr(st, run.note[0])(run.note[1])
        run.drawing, run.ended_at = False, time.monotonic()  # not reached when this update was cut short

    driver()
    return run


def _auto_rerun() -> bool:
    """True inside a fragment's own rerun (the browser's timer), False in a full run of the page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def pace(run: LiveRun, update_seconds: float, now: float | None = None) -> bool:
    """Adapt how often the browser asks for an update to what the server keeps up with; True to apply a change.

    The browser asks every interval whether or not the last update has arrived. A server that cannot keep up
    has the next request waiting before an update ends; the next run then starts at once, and Streamlit clears
    the unsent output of the fragment it reruns: an overloaded server delivered no update at all (the mixed
    class: 0 of 6,514 playground requests). So a run that starts less than a quarter of an interval after the
    previous one ended (or that finds it never ended) counts as behind; two in a row double this session's
    interval (up to :data:`SLOWEST_UPDATE`), and :data:`RECOVER_AFTER` updates on time in a row halve it.
    """
    now = time.monotonic() if now is None else now
    base = run.interval or update_seconds
    behind = run.drawing or (run.ended_at is not None and now - run.ended_at < base / 4)
    run.drawing = False
    if behind:
        run.whole, run.behind = 0, run.behind + 1
        if run.behind < 2:
            return False
        run.behind = 0
        run.interval = min(SLOWEST_UPDATE, base * 2)
        run.slowed += 1
        return run.interval != base
    run.behind = 0
    run.whole += 1
    if run.interval is not None and run.whole >= RECOVER_AFTER:
        run.whole = 0
        run.interval = None if base / 2 <= update_seconds else base / 2
        return True
    return False
