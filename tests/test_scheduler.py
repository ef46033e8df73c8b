"""Server-wide training slots: the limit holds, the queue is fair and cleans itself."""

from __future__ import annotations

import threading
import time

from engine.scheduler import SlotScheduler, default_slots


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_more_than_the_slots_are_granted_and_the_rest_wait_in_order():
    slots = SlotScheduler(slots=2, clock=FakeClock())
    with slots.slot("a") as a, slots.slot("b") as b:
        assert a.granted and b.granted and slots.busy == 2
        with slots.slot("c") as c:
            assert not c.granted and c.ahead == 0 and "you are next" in c.describe()
        with slots.slot("d") as d:
            assert not d.granted and d.ahead == 1 and "1 ahead of you" in d.describe()
        assert slots.queue() == ["c", "d"]
    assert slots.busy == 0
    # Both slots are free again: the waiters, in order, get them before a newcomer.
    with slots.slot("e") as e:
        assert not e.granted and e.ahead == 2
    with slots.slot("c") as c, slots.slot("d") as d:
        assert c.granted and d.granted


def test_a_session_that_just_trained_queues_behind_the_waiters():
    slots = SlotScheduler(slots=1, clock=FakeClock())
    with slots.slot("a") as a:
        assert a.granted
        with slots.slot("b") as b:
            assert not b.granted
    with slots.slot("a") as again:  # "a" asks right away for its next tick: "b" goes first
        assert not again.granted and again.ahead == 1
    with slots.slot("b") as b:
        assert b.granted
    with slots.slot("a") as a:
        assert a.granted


def test_waiters_that_stop_asking_drop_out_and_leave_frees_a_place():
    clock = FakeClock()
    slots = SlotScheduler(slots=1, stale_after=3.0, clock=clock)
    with slots.slot("busy"):
        with slots.slot("closed-tab"):
            pass
        with slots.slot("x"):
            pass
        with slots.slot("y") as y:
            assert y.ahead == 2
        slots.leave("x")
        clock.now = 2.0
        with slots.slot("y") as y:
            assert y.ahead == 1  # "x" left
        clock.now = 4.0  # "closed-tab" last asked at 0.0
        with slots.slot("y") as y:
            assert y.ahead == 0
    assert slots.queue() == ["y"]


def test_many_threads_never_exceed_the_limit_and_all_get_their_turn():
    slots = SlotScheduler(slots=2, stale_after=30.0)
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    ticks = {n: 0 for n in range(8)}

    def student(n: int) -> None:
        deadline = time.monotonic() + 20
        while ticks[n] < 5 and time.monotonic() < deadline:
            with slots.slot(n, wait=0.5) as admission:
                if not admission.granted:
                    continue
                with lock:
                    state["now"] += 1
                    state["peak"] = max(state["peak"], state["now"])
                time.sleep(0.002)
                with lock:
                    state["now"] -= 1
                ticks[n] += 1

    threads = [threading.Thread(target=student, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert state["peak"] == 2  # both slots were used at once, and never more
    assert all(count == 5 for count in ticks.values()), ticks
    assert slots.queue() == [] and slots.granted_total == 40


def test_under_real_threads_two_slots_are_both_used_and_turns_alternate_fairly():
    """Four students with two slots, each asking again the moment its tick ends: the one that just trained
    queues behind the others, so the grants go round (measured: 3210 3210 ...; never more than one tick
    apart). A plain semaphore lets the releasing thread take its slot straight back (3030 0303 ...: 12 apart
    after twelve ticks each), and so fails here."""
    slots = SlotScheduler(slots=2, stale_after=30.0)
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    order: list[int] = []
    start = threading.Barrier(4)

    def student(n: int) -> None:
        start.wait()
        done = 0
        deadline = time.monotonic() + 30
        while done < 12 and time.monotonic() < deadline:
            with slots.slot(n, wait=5.0) as admission:
                if not admission.granted:
                    continue
                with lock:
                    order.append(n)
                    state["now"] += 1
                    state["peak"] = max(state["peak"], state["now"])
                time.sleep(0.003)  # the tick (releases the GIL, as training does)
                with lock:
                    state["now"] -= 1
                done += 1

    threads = [threading.Thread(target=student, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(order) == 48 and state["peak"] == 2
    counts = [0] * 4
    for n in order:  # at every moment, no student is more than two ticks ahead of another
        counts[n] += 1
        assert max(counts) - min(counts) <= 2, (counts, "".join(map(str, order)))
    assert slots.queue() == [] and slots.busy == 0


def test_slots_default_from_the_environment_or_the_cpu_count(monkeypatch):
    monkeypatch.setenv("ML_PLAYGROUND_TRAINING_SLOTS", "3")
    assert default_slots() == 3
    monkeypatch.setenv("ML_PLAYGROUND_TRAINING_SLOTS", "-4")
    assert default_slots() == 1
    # Unset or unreadable: one slot per core beyond the first, at least one.
    for raw in ("lots", "", " "):
        monkeypatch.setenv("ML_PLAYGROUND_TRAINING_SLOTS", raw)
        for cores, expected in ((2, 1), (4, 3), (16, 15), (1, 1), (None, 1)):
            monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
            assert default_slots() == expected, (raw, cores)
    monkeypatch.delenv("ML_PLAYGROUND_TRAINING_SLOTS")
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert default_slots() == 7 and SlotScheduler().slots == 7


def test_thirty_sessions_pressing_play_at_the_same_moment_share_one_slot_in_turn():
    """30 tabs press Play together (a barrier releases all 30 threads at once): at most one trains at a
    time, and, taking turns first come first served, every one of them trains three ticks."""
    slots = SlotScheduler(slots=1, stale_after=30.0)
    lock = threading.Lock()
    state = {"now": 0, "peak": 0, "waits": 0}
    ticks = {n: 0 for n in range(30)}
    start = threading.Barrier(30)

    def tab(n: int) -> None:
        start.wait()
        deadline = time.monotonic() + 60
        while ticks[n] < 3 and time.monotonic() < deadline:
            with slots.slot(n, wait=0.25) as admission:
                if not admission.granted:
                    with lock:
                        state["waits"] += 1
                    continue
                with lock:
                    state["now"] += 1
                    state["peak"] = max(state["peak"], state["now"])
                time.sleep(0.001)
                with lock:
                    state["now"] -= 1
                ticks[n] += 1

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert state["peak"] == 1
    assert all(count == 3 for count in ticks.values()), ticks
    assert slots.queue() == [] and slots.granted_total == 90
