"""Live training in worker processes, so the web server's process only draws.

One Streamlit process answers every student under one GIL. Training inside it made
every drawing wait behind every training tick, and a tick longer than the page's
update interval had its output thrown away (the browser's next fragment rerun cuts
a running one short). So a playing run lives in a *training worker*: a separate
process that trains it continuously in short ticks and sends a snapshot of the
trainer after each tick. The page's fragment only picks up the newest snapshot and
draws it, which is quick and never cut short.

- A pool has one worker per training slot (:func:`engine.scheduler.default_slots`;
  ``ML_PLAYGROUND_TRAINING_WORKERS`` overrides, ``0`` trains in the web process as before).
- A worker shares its core between the runs it holds, round robin, in ticks of at most
  :data:`CYCLE` / (runs held) seconds: each run gets a snapshot about ten times a second
  and all runs train at the same rate. A new run goes to the worker holding the fewest.
- A run that trains less than its update period per update ("slow") is throttled to
  that duty cycle, as the live controls promise.
- Snapshots are pickled with :mod:`engine.snapshots`: weights, optimizer state,
  generators and history travel; shared data sets travel as their recipes. A trainer with a
  ``live_view()`` method sends that light view after each tick instead (what its page draws),
  and the whole trainer when the run leaves the worker (finished, paused, stepped).
- A run whose page stops asking for snapshots (a closed tab) is paused by the pool after
  :data:`STALE_SECONDS`; its last state stays available for a while in case the page returns.
- A worker that dies (killed, out of memory) is restarted; its runs report an error
  instead of hanging.
- A worker whose resident memory grows :data:`RENEW_MB` over its settled level is *renewed*:
  the old one hands over every run it holds (the whole trainer, between two ticks) and exits,
  and the runs go on in a new process from exactly where they were, once it has loaded its
  engines and data (a few seconds without updates; :data:`AHEAD_ENV` loads them first instead,
  for no pause at the price of two workers' memory meanwhile). Why: a worker's native heap
  creeps as runs come and go (measured: +65 MB in 13 minutes of a class with five trainers;
  tracemalloc finds no Python objects kept, ``malloc_trim`` returns nothing, and a fixed mmap
  threshold that stops it halves training speed), the way web servers' ``max-requests`` and
  Celery's ``max_memory_per_child`` bound a leak they cannot fix.

This module never imports Streamlit; a notebook or a benchmark can use the pool directly.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

from engine import snapshots
from engine.scheduler import default_slots

WORKERS_ENV = "ML_PLAYGROUND_TRAINING_WORKERS"
CYCLE = 0.1
"""Seconds in which a worker gives each of its playing runs one tick (so about ten snapshots a second)."""
MIN_TICK = 0.005
"""The shortest tick a worker asks of a trainer (it always does at least one unit anyway)."""
STALE_SECONDS = 5.0
"""A playing run whose page has not asked for a snapshot for this long is paused (a closed tab)."""
FORGET_SECONDS = 120.0
"""How long the last state of a run nobody asks for is kept in the web process."""
NICE_ENV = "ML_PLAYGROUND_WORKER_NICE"
WORKER_NICE = 10
"""How much lower a worker's CPU priority is than the web process's (``nice``): a student waiting for a
guess is served before a training tick, and training takes every cycle the web process leaves."""
READY_TIMEOUT = 120.0
RENEW_ENV = "ML_PLAYGROUND_WORKER_RENEW_MB"
RENEW_MB = 48.0
"""A worker whose resident memory has grown this many MB over its settled level asks to be renewed (``0``: never)."""
AHEAD_ENV = "ML_PLAYGROUND_WORKER_RENEW_AHEAD"
"""``1``: a renewed worker's successor loads its engines and data *before* the runs move (no pause for them, but
for those seconds two workers' memory); default ``0``: the runs move first and wait the few seconds the new
worker takes to load (the server's memory never holds two workers)."""
SETTLE_ENV = "ML_PLAYGROUND_WORKER_SETTLE_SECONDS"
SETTLE_SECONDS = 30.0
"""A worker's settled level is its memory this long after it last loaded an engine or a data set."""
CHECK_EVERY = 20
"""Ticks between two reads of the worker's memory (a read of ``/proc/self/statm`` costs microseconds)."""
"""How long a new worker may take to import torch and friends before it counts as failed."""

log = logging.getLogger(__name__)


def default_workers() -> int:
    """``ML_PLAYGROUND_TRAINING_WORKERS`` if set (0: train in the web process), else one per training slot."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            pass
    return default_slots()


# ------------------------------------------------------------------------------------------ the worker
@dataclass
class _Held:
    """A run inside a worker."""

    trainer: Any
    seconds: float  # training seconds per update
    period: float  # the page's update interval
    once: bool = False  # Step: one tick, then hand it back
    due: float = 0.0


def _configure_threads() -> None:
    """One math thread, no spin-waiting: set in the environment now, applied to torch once a run imported it.

    A worker imports only what its runs need (unpickling a trainer imports its engine): torch, numba
    and xgboost together would cost about 500 MB per worker, one engine about half that.
    """
    from engine.runtime import configure_environment, configure_threads

    configure_environment()
    if "torch" in sys.modules:
        configure_threads()


def _rss_mb() -> float | None:
    """This process's resident memory in MB (None where ``/proc`` is not there: then nothing is renewed)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class _Growth:
    """A worker's memory against its settled level: the level once nothing new has been loaded for a while.

    Loading an engine (a module) or a data set (a shared recipe) is growth that a new worker would have too, so
    either starts the settling again; what grows after that is the heap's creep.
    """

    def __init__(self) -> None:
        from engine.runtime import env_number

        self.limit = env_number(RENEW_ENV, RENEW_MB, 0.0, float)
        self.settle = env_number(SETTLE_ENV, SETTLE_SECONDS, 0.0, float)
        self.signature: tuple[int, int] | None = None
        self.since = time.monotonic()
        self.ticks = 0
        self.baseline: float | None = None
        self.asked = False

    def tick(self) -> tuple[float, float] | None:
        """Count one tick; return (memory, settled level) in MB the first time the growth passes the limit."""
        if self.limit <= 0 or self.asked:
            return None
        signature = (len(sys.modules), len(snapshots.recipes()))
        if signature != self.signature:
            self.signature, self.since, self.ticks, self.baseline = signature, time.monotonic(), 0, None
        self.ticks += 1
        if self.baseline is None:
            if time.monotonic() - self.since >= self.settle:
                self.baseline = _rss_mb()
            return None
        if self.ticks % CHECK_EVERY:
            return None
        rss = _rss_mb()
        if rss is not None and rss > self.baseline + self.limit:
            self.asked = True
            return rss, self.baseline
        return None


def _prepare(modules: list[str], recipes: list[tuple]) -> None:
    """Load what the worker being renewed had loaded, so that its runs go on here without a pause."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the run's unpickling will import (or report) it
            log.warning("A renewed worker could not import %s ahead of time", name)
    _configure_threads()
    for recipe in recipes:
        try:
            snapshots.prepare(recipe)
        except Exception:  # noqa: BLE001
            log.warning("A renewed worker could not load %s ahead of time", recipe[0])


def worker_main(conn) -> None:
    """The worker process: receive runs, train them in turns, send snapshots (see the module docstring)."""
    _configure_threads()
    try:
        os.nice(int(os.environ.get(NICE_ENV, WORKER_NICE)))
    except (OSError, ValueError, AttributeError):
        pass  # not allowed, or not a number, or no nice here: the same priority as the web process
    conn.send(("ready", os.getpid()))
    runs: OrderedDict[Hashable, _Held] = OrderedDict()
    seq = 0
    growth = _Growth()

    def send_snapshot(owner: Hashable, held: _Held, final: bool) -> None:
        nonlocal seq
        seq += 1
        # While it trains, a trainer that offers a light live_view() sends that (what its page draws); the whole
        # trainer goes back when the run leaves the worker.
        view = getattr(held.trainer, "live_view", None)
        shown = held.trainer if final or view is None else view()
        conn.send(("snapshot", owner, seq, snapshots.dumps(shown), final))

    while True:
        now = time.monotonic()
        wait = None if not runs else max(0.0, min(h.due for h in runs.values()) - now)
        try:
            while conn.poll(wait):
                wait = 0.0
                message = conn.recv()
                kind, owner = message[0], message[1] if len(message) > 1 else None
                if kind == "quit":
                    return
                if kind == "prepare":  # this worker replaces one being renewed: load what it had
                    _prepare(message[1], message[2])
                    conn.send(("prepared",))
                    continue
                if kind == "handoff":  # this worker is being renewed: every run goes to its successor, whole
                    conn.send(("handoff", [(o, "step" if h.once else "start", snapshots.dumps(h.trainer),
                                            h.seconds, h.period) for o, h in runs.items()]))
                    os._exit(0)  # at once: an interpreter's teardown with torch loaded would keep its memory a while
                if kind in ("start", "step"):
                    _, owner, blob, seconds, period = message
                    runs.pop(owner, None)
                    try:
                        trainer = snapshots.loads(blob)
                    except Exception:  # a run this worker cannot rebuild must not take the others down
                        conn.send(("error", owner, traceback.format_exc()))
                        continue
                    runs[owner] = _Held(trainer, float(seconds), float(period), once=kind == "step")
                    _configure_threads()
                elif kind == "pause" and owner in runs:
                    send_snapshot(owner, runs.pop(owner), final=True)
                elif kind == "drop":
                    runs.pop(owner, None)
                elif kind == "speed" and owner in runs:
                    runs[owner].seconds = float(message[2])
                elif kind == "call" and owner in runs:
                    _, owner, path, args = message
                    try:
                        target = runs[owner].trainer
                        *parents, name = path.split(".")
                        for part in parents:
                            target = getattr(target, part)
                        getattr(target, name)(*args)
                    except Exception:
                        runs.pop(owner, None)
                        conn.send(("error", owner, traceback.format_exc()))
        except (EOFError, OSError):
            return  # the web process is gone
        now = time.monotonic()
        owner = next((o for o, h in runs.items() if h.due <= now), None)
        if owner is None:
            continue
        held = runs.pop(owner)
        runs[owner] = held  # to the back: round robin
        # A speed of 0 s asks for exactly one unit a tick (the playground's "one epoch"): no floor then.
        tick = 0.0 if held.seconds <= 0 else max(MIN_TICK, min(held.seconds, CYCLE / len(runs)))
        try:
            held.trainer.step(tick)
        except Exception:  # a bug in a trainer must not take the other runs down
            runs.pop(owner, None)
            conn.send(("error", owner, traceback.format_exc()))
            continue
        held.due = now + held.period if held.seconds < held.period else 0.0
        final = held.once or held.trainer.finished
        if final:
            runs.pop(owner, None)
        send_snapshot(owner, held, final)
        grown = growth.tick()
        if grown is not None:
            modules = sorted(name for name in sys.modules if name.startswith("engine."))
            conn.send(("renew", *grown, modules, snapshots.recipes()))


# ------------------------------------------------------------------------------------------ the pool
@dataclass
class Update:
    """What :meth:`TrainingPool.latest` hands the page.

    ``trainer`` is the newest snapshot (None when there is none); ``final`` says the run
    has left the worker (finished, paused, or stepped once); ``error`` is a sentence for
    the student when the run was lost (its worker crashed, or the trainer raised).
    """

    trainer: Any = None
    final: bool = False
    error: str = ""


@dataclass
class _Run:
    worker: int
    blob: bytes | None = None
    seq: int = 0
    consumed: int = 0
    final: bool = False
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    snapshots: int = 0


class _Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.process = None
        self.conn = None
        self.ready = False
        self.pid: int | None = None
        self.send_lock = threading.Lock()
        self.started = 0.0
        self.spare: _Worker | None = None  # the process that will replace this one (while it is renewed)


class TrainingPool:
    """Worker processes that train live runs (see the module docstring). Thread-safe.

    Parameters
    ----------
    workers : int
        Worker processes (>= 1).
    stale_seconds : float
        A playing run whose page has not asked for a snapshot for this long is paused.
    """

    def __init__(self, workers: int | None = None, stale_seconds: float = STALE_SECONDS) -> None:
        self.stale_seconds = float(stale_seconds)
        self.size = max(1, int(workers if workers is not None else default_workers() or 1))
        self._cond = threading.Condition()
        self._runs: dict[Hashable, _Run] = {}
        self._closing = False
        self.restarts = 0
        self.renewals = 0
        self._workers = [_Worker(i) for i in range(self.size)]
        # Per slot: a lock for sending, and while its worker hands over to a new one, the messages held back
        # (they go to the new worker after the runs it takes over, in order).
        self._slot_locks = [threading.Lock() for _ in range(self.size)]
        self._pending: list[list | None] = [None] * self.size
        self._handoff_at = [0.0] * self.size
        for worker in self._workers:
            self._start(worker)
        self._janitor = threading.Thread(target=self._clean, name="training-pool-janitor", daemon=True)
        self._janitor.start()
        atexit.register(self._mark_closing)  # workers end with the process (their socket closes): no restarts

    def _mark_closing(self) -> None:
        with self._cond:
            self._closing = True

    # -- workers ---------------------------------------------------------------------------
    def _start(self, worker: _Worker) -> None:
        # A plain ``python -m engine.workers`` over one end of a socket pair, not multiprocessing's spawn: spawn
        # re-imports the parent's ``__main__``, which inside Streamlit is the app's own script.
        parent, child = Pipe()
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        process = subprocess.Popen([sys.executable, "-m", "engine.workers", str(child.fileno())],
                                   pass_fds=(child.fileno(),), env=env, cwd=root)
        child.close()
        worker.process, worker.conn, worker.ready, worker.started = process, parent, False, time.monotonic()
        threading.Thread(target=self._read, args=(worker, parent), name=f"training-pool-reader-{worker.index}",
                         daemon=True).start()

    def _read(self, worker: _Worker, conn) -> None:
        try:
            while True:
                message = conn.recv()
                kind = message[0]
                if kind in ("renew", "prepared"):  # outside the condition: no slot's lock is taken while holding it
                    if kind == "renew":
                        self._renew(worker, *message[1:])
                    else:
                        self._ask_handoff(worker)
                    continue
                with self._cond:
                    if kind == "ready":
                        worker.ready, worker.pid = True, message[1]
                    elif kind == "handoff":
                        self._take_over(worker, message[1])
                    elif kind == "snapshot":
                        _, owner, seq, blob, final = message
                        run = self._runs.get(owner)
                        if run is not None and run.worker == worker.index:
                            run.blob, run.seq, run.final = blob, seq, final
                            run.snapshots += 1
                    elif kind == "error":
                        _, owner, text = message
                        log.error("Training run %s failed in worker %s:\n%s", owner, worker.index, text)
                        run = self._runs.get(owner)
                        if run is not None:
                            run.error = ("Training stopped with an internal error (it is in the server's log). "
                                         "The run was reset: press Play to start again.")
                            run.final = True
                    self._cond.notify_all()
        except (EOFError, OSError):
            pass
        self._lost(worker, conn)

    def _lost(self, worker: _Worker, conn) -> None:
        """A worker's pipe closed: fail its runs and start a new worker (unless the pool is closing)."""
        with self._cond:
            if worker.conn is not conn:
                return  # an old pipe of a worker already replaced
            current = self._workers[worker.index]
            if current is not worker:  # a renewed worker that handed over and exited, or a spare that died early
                if current.spare is worker:
                    log.error("The process meant to renew training worker %s stopped; worker %s goes on.",
                              worker.index, worker.index)
                    current.spare = None
                return
            code = worker.process.poll() if worker.process is not None else None
            for run in self._runs.values():
                if run.worker == worker.index and not run.final:
                    run.error = ("The training process on the server stopped unexpectedly"
                                 f"{f' (exit code {code})' if code is not None else ''}. Your run was lost and "
                                 "a fresh one is ready: press Play to start again.")
                    run.final = True
            self._cond.notify_all()
            if self._closing:
                return
            log.error("Training worker %s (pid %s) stopped with exit code %s; starting a new one.",
                      worker.index, worker.pid, code)
            self.restarts += 1
            with self._slot_locks[worker.index]:
                self._pending[worker.index] = None  # held-back messages of runs that were just lost
            spare, worker.spare = worker.spare, None
            if spare is not None and spare.process is not None and spare.process.poll() is None:
                self._workers[worker.index] = spare  # it was being renewed: the new process is there already
            else:
                self._start(worker)

    # -- renewing a worker whose memory crept (see the module docstring) ---------------------
    def _renew(self, worker: _Worker, rss: float, baseline: float, modules: list, recipes: list) -> None:
        """A worker asked to be renewed: its runs move to a new process (see :data:`AHEAD_ENV` for the order)."""
        with self._cond:
            if self._closing or self._workers[worker.index] is not worker or worker.spare is not None:
                return
            log.info("Training worker %s (pid %s) holds %.0f MB, %.0f MB over its settled %.0f MB: renewing it.",
                     worker.index, worker.pid, rss, rss - baseline, baseline)
            if os.environ.get(AHEAD_ENV, "0").strip() == "1":
                spare = _Worker(worker.index)
                worker.spare = spare
                self._start(spare)
                self._direct(spare, ("prepare", modules, recipes))
                return  # the handoff is asked for once it is prepared
        self._request_handoff(worker)

    def _ask_handoff(self, spare: _Worker) -> None:
        """The successor is ready: from now on the slot's messages wait, and the old worker hands its runs over."""
        with self._cond:
            old = self._workers[spare.index]
            if old.spare is not spare or self._closing:
                return
        self._request_handoff(old)

    def _request_handoff(self, old: _Worker) -> None:
        """From now on the slot's messages wait; the old worker hands its runs over (then :meth:`_take_over`)."""
        index = old.index
        with self._slot_locks[index]:
            if self._pending[index] is None:
                self._direct(old, ("handoff",))
                self._pending[index] = []
                self._handoff_at[index] = time.monotonic()

    def _take_over(self, old: _Worker, handed: list) -> None:
        """The old worker handed over its runs (whole trainers) and exits: its successor takes the slot."""
        index = old.index
        if self._workers[index] is not old:
            return
        spare, old.spare = old.spare, None
        fresh = spare is None or spare.process is None or spare.process.poll() is not None
        if fresh:  # not prepared ahead (the default), or it is gone: a new process, once the old one has gone
            spare = _Worker(index)
        self._workers[index] = spare
        self.renewals += 1
        # Only runs the pool still has from before the handoff (a run restarted meanwhile is in the held-back messages).
        keep = [entry for entry in handed
                if (run := self._runs.get(entry[0])) is not None and run.worker == index and not run.final
                and run.started <= self._handoff_at[index]]
        threading.Thread(target=self._hand_over, args=(index, spare, keep, old if fresh else None),
                         name=f"training-pool-handover-{index}", daemon=True).start()

    def _hand_over(self, index: int, spare: _Worker, handed: list, gone: _Worker | None = None) -> None:
        """Send the runs to the new worker, then the messages held back meanwhile, in order (its own thread:
        sending a trainer waits until the worker reads it). With ``gone``, start the new worker first, once that
        old one has exited (so the server never holds both)."""
        if gone is not None:
            try:
                gone.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log.warning("Renewed training worker %s (pid %s) has not exited yet", index, gone.pid)
            with self._cond:
                if self._closing:
                    return
                self._start(spare)
        for owner, kind, blob, seconds, period in handed:
            self._direct(spare, (kind, owner, blob, seconds, period))
        while True:
            with self._slot_locks[index]:
                held = self._pending[index]
                if not held:
                    self._pending[index] = None
                    return
                self._pending[index] = []
            for message in held:
                self._direct(spare, message)

    def _send(self, index: int, message: tuple) -> None:
        with self._slot_locks[index]:
            if self._pending[index] is not None:  # the slot's worker is handing over: later, to its successor
                self._pending[index].append(message)
                return
            self._direct(self._workers[index], message)

    def _direct(self, worker: _Worker, message: tuple) -> None:
        with worker.send_lock:
            if worker.conn is None:  # a successor not started yet (it gets the held-back messages)
                return
            try:
                worker.conn.send(message)
            except (OSError, ValueError) as error:  # a dead worker: its reader reports it
                log.warning("Could not reach training worker %s: %s", worker.index, error)

    # -- runs ------------------------------------------------------------------------------
    def _least_loaded(self) -> int:
        counts = [0] * self.size
        for run in self._runs.values():
            if not run.final:
                counts[run.worker] += 1
        return min(range(self.size), key=lambda i: (counts[i], not self._workers[i].ready))

    def start(self, owner: Hashable, trainer, seconds: float, period: float = CYCLE) -> None:
        """Hand ``trainer`` to a worker, which trains it ``seconds`` per ``period`` (at most continuously)."""
        blob = snapshots.dumps(trainer)
        # Messages are sent after the condition is released: sending may wait for a worker to read, and the
        # worker may be waiting for its reader, which needs the condition.
        with self._cond:
            old = self._runs.get(owner)
            dropped = old.worker if old is not None and not old.final else None
            index = self._least_loaded()
            self._runs[owner] = _Run(worker=index)
        if dropped is not None:
            self._send(dropped, ("drop", owner))
        self._send(index, ("start", owner, blob, seconds, period))

    def step(self, owner: Hashable, trainer, seconds: float, timeout: float = 30.0):
        """Train ``trainer`` one tick in a worker and return it (None if no answer came within ``timeout``)."""
        blob = snapshots.dumps(trainer)
        with self._cond:
            index = self._least_loaded()
            self._runs[owner] = _Run(worker=index)
        self._send(index, ("step", owner, blob, seconds, CYCLE))
        return self._wait_final(owner, timeout)

    def pause(self, owner: Hashable, timeout: float = 10.0):
        """Take the run back from its worker after its current tick; return the trainer (None if unknown)."""
        with self._cond:
            run = self._runs.get(owner)
            if run is None:
                return None
            holder = None if run.final else run.worker
        if holder is not None:
            self._send(holder, ("pause", owner))
        return self._wait_final(owner, timeout)

    def _wait_final(self, owner: Hashable, timeout: float):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                run = self._runs.get(owner)
                if run is None:
                    return None
                if run.final:
                    self._runs.pop(owner, None)
                    return None if run.error or run.blob is None else snapshots.loads(run.blob)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def drop(self, owner: Hashable) -> None:
        """Forget the run (Reset, a finished run): the worker stops training it."""
        with self._cond:
            run = self._runs.pop(owner, None)
        if run is not None and not run.final:
            self._send(run.worker, ("drop", owner))

    def set_speed(self, owner: Hashable, seconds: float) -> None:
        """Change the training seconds per update of a playing run."""
        with self._cond:
            run = self._runs.get(owner)
        if run is not None and not run.final:
            self._send(run.worker, ("speed", owner, seconds))

    def call(self, owner: Hashable, path: str, *args) -> None:
        """Call ``trainer.<path>(*args)`` on the worker's copy (e.g. ``"a.set_learning_rate"``) before its next tick."""
        with self._cond:
            run = self._runs.get(owner)
        if run is not None and not run.final:
            self._send(run.worker, ("call", owner, path, args))

    def latest(self, owner: Hashable) -> Update | None:
        """The newest snapshot not yet handed out, or the run's end; None when nothing is new.

        Asking also tells the pool the page is still there (see :data:`STALE_SECONDS`).
        """
        with self._cond:
            run = self._runs.get(owner)
            if run is None:
                return None
            run.seen = time.monotonic()
            if run.error:
                self._runs.pop(owner, None)
                return Update(error=run.error, final=True)
            if run.seq == run.consumed and not (run.final and run.blob is None):
                return None
            run.consumed = run.seq
            blob, final = run.blob, run.final
            if final:
                self._runs.pop(owner, None)
        return Update(trainer=None if blob is None else snapshots.loads(blob), final=final)

    def placement(self, owner: Hashable) -> int | None:
        """Which worker holds the run (None if none)."""
        with self._cond:
            run = self._runs.get(owner)
            return None if run is None else run.worker

    def knows(self, owner: Hashable) -> bool:
        """True while the pool has the run: a worker trains it, or its end waits to be collected."""
        with self._cond:
            return owner in self._runs

    def holds(self, owner: Hashable) -> bool:
        """True while a worker is training this run (or about to)."""
        with self._cond:
            run = self._runs.get(owner)
            return run is not None and not run.final

    def describe(self, owner: Hashable) -> str:
        """A sentence for the page while the run waits for its worker (empty once it trains)."""
        with self._cond:
            run = self._runs.get(owner)
            if run is None or run.final or run.snapshots:
                return ""
            worker = self._workers[run.worker]
            if not worker.ready:
                return "Starting a training process on the server (the first run after a restart takes a few seconds)…"
            return ""

    # -- inspection ------------------------------------------------------------------------
    @property
    def busy(self) -> int:
        """Runs being trained now."""
        with self._cond:
            return sum(1 for run in self._runs.values() if not run.final)

    def pids(self) -> list[int | None]:
        """The workers' process ids (None while one starts)."""
        with self._cond:
            return [worker.process.pid if worker.process is not None else None for worker in self._workers]

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Block until every worker has started (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not all(worker.ready for worker in self._workers):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _clean(self) -> None:
        """Pause runs whose page stopped asking; forget what nobody collected."""
        while not self._closing:
            time.sleep(min(1.0, self.stale_seconds / 4))
            now = time.monotonic()
            stale = []
            with self._cond:
                for owner, run in list(self._runs.items()):
                    if not run.final and now - run.seen > self.stale_seconds:
                        stale.append((run.worker, owner))
                        run.seen = now  # ask once; the final snapshot arrives by itself
                    elif run.final and now - run.seen > FORGET_SECONDS:
                        del self._runs[owner]
            for index, owner in stale:  # sent outside the condition (see start)
                self._send(index, ("pause", owner))

    def close(self) -> None:
        """Stop every worker (the pool cannot be used afterwards)."""
        with self._cond:
            self._closing = True
        everyone = [w for worker in self._workers for w in (worker, worker.spare) if w is not None]
        for worker in everyone:
            self._direct(worker, ("quit",))
        for worker in everyone:
            if worker.process is not None:
                try:
                    worker.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait(timeout=5)


if __name__ == "__main__":  # python -m engine.workers FD: a worker, talking over the socket FD (see TrainingPool)
    worker_main(Connection(int(sys.argv[1])))
