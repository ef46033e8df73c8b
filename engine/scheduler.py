"""Server-wide training slots: at most a few training ticks run at once, first come first served.

A class of thirty on one two-core server cannot train thirty models at once and
still answer every drawing quickly. Each training tick (one bounded
:meth:`~engine.live.LiveTrainer.step`) therefore runs inside a *slot*; there are
only ``slots`` of them, and a session that finds them busy joins a queue and is
told how many are ahead of it. A slot is held for one tick only, so a tab that is
closed or paused frees its slot at the end of that tick, and a waiter that stops
asking (its tab closed) drops out of the queue after ``stale_after`` seconds.

Fairness: a slot goes to a waiter only when fewer waiters are ahead of it than
there are free slots, and a session that just finished a tick queues again at the
back, so trainers take turns tick by tick.

This is the one piece of mutable state the server shares on purpose; it is
thread-safe (one lock, one condition) and holds no user data, only session ids.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SLOTS_ENV = "ML_PLAYGROUND_TRAINING_SLOTS"


def default_slots() -> int:
    """``ML_PLAYGROUND_TRAINING_SLOTS`` if set, else one slot per CPU core beyond the first (at least 1).

    On a two-core server that is one slot: one core trains, the other answers drawings.
    """
    raw = os.environ.get(SLOTS_ENV, "")
    try:
        if raw.strip():
            return max(1, int(raw))
    except ValueError:
        pass
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True)
class Admission:
    """The answer to a request for a slot.

    Attributes
    ----------
    granted : bool
        True while the caller holds a slot (inside :meth:`SlotScheduler.slot`).
    ahead : int
        Waiters ahead of the caller in the queue (0 when granted).
    busy : int
        Slots in use when the answer was given (the caller's included).
    slots : int
        Slots in total.
    """

    granted: bool
    ahead: int
    busy: int
    slots: int

    def describe(self) -> str:
        """A sentence for the page: empty when granted."""
        if self.granted:
            return ""
        if self.ahead == 0:
            return f"Waiting for a free CPU slot (all {self.slots} busy); you are next."
        return f"Waiting for a free CPU slot: {self.ahead} ahead of you ({self.slots} slot(s) on this server)."


class SlotScheduler:
    """A counting semaphore with a visible, fair, self-cleaning queue.

    Parameters
    ----------
    slots : int
        Ticks that may run at once (>= 1).
    stale_after : float
        Seconds after which a waiter that has not asked again is dropped.
    clock : callable
        Monotonic time source (tests pass a fake one).
    """

    def __init__(self, slots: int | None = None, stale_after: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.slots = max(1, int(slots if slots is not None else default_slots()))
        self.stale_after = float(stale_after)
        self._clock = clock
        self._cond = threading.Condition()
        self._holders: dict[Hashable, int] = {}
        self._waiting: OrderedDict[Hashable, float] = OrderedDict()  # owner -> last time it asked
        self.granted_total = 0

    # -- inspection -------------------------------------------------------------------------
    @property
    def busy(self) -> int:
        """Slots in use now."""
        with self._cond:
            return sum(self._holders.values())

    def queue(self) -> list[Hashable]:
        """Owners waiting, first in line first (stale ones removed)."""
        with self._cond:
            self._drop_stale()
            return list(self._waiting)

    # -- requesting -------------------------------------------------------------------------
    @contextmanager
    def slot(self, owner: Hashable, wait: float = 0.0) -> Iterator[Admission]:
        """Hold a slot for the ``with`` block if one can be had within ``wait`` seconds.

        Always check ``admission.granted``: when it is false the block must not
        train (it may show ``admission.describe()`` instead); the caller keeps its
        place in the queue by asking again soon.
        """
        admission = self._acquire(owner, wait)
        try:
            yield admission
        finally:
            if admission.granted:
                self._release(owner)

    def _acquire(self, owner: Hashable, wait: float) -> Admission:
        deadline = self._clock() + max(0.0, wait)
        with self._cond:
            while True:
                self._drop_stale()
                now = self._clock()
                if owner not in self._waiting:
                    self._waiting[owner] = now
                else:
                    self._waiting[owner] = now  # still here: refresh, keep the place
                ahead = list(self._waiting).index(owner)
                busy = sum(self._holders.values())
                if ahead < self.slots - busy:
                    del self._waiting[owner]
                    self._holders[owner] = self._holders.get(owner, 0) + 1
                    self.granted_total += 1
                    return Admission(True, 0, busy + 1, self.slots)
                remaining = deadline - now
                if remaining <= 0:
                    return Admission(False, ahead, busy, self.slots)
                self._cond.wait(timeout=min(remaining, 0.05))

    def _release(self, owner: Hashable) -> None:
        with self._cond:
            count = self._holders.get(owner, 0) - 1
            if count > 0:
                self._holders[owner] = count
            else:
                self._holders.pop(owner, None)
            self._cond.notify_all()

    def leave(self, owner: Hashable) -> None:
        """Give up a place in the queue (Pause, Reset, a finished run)."""
        with self._cond:
            if self._waiting.pop(owner, None) is not None:
                self._cond.notify_all()

    def _drop_stale(self) -> None:
        cutoff = self._clock() - self.stale_after
        stale = [owner for owner, seen in self._waiting.items() if seen < cutoff]
        for owner in stale:
            del self._waiting[owner]
        if stale:
            self._cond.notify_all()
