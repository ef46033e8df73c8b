"""A school measured through its balancer: drawing throughput with 1 and 2 processes, and one process killed mid-class.

    python bench/school_scale.py --workers 1 2 --students 20 --seconds 50      # throughput (issue 13, section 4)
    python bench/school_scale.py --kill --students 20 --pace 3 --seconds 60    # kill one process after 20 s

Each configuration starts its own school with ``scripts/school.py`` (``with school(workers=N) as s``:
HAProxy on a free loopback port, N Streamlit processes, the supervisor) and runs
``bench/students.py`` against ``s.url`` in a process of its own (Locust patches its process with
gevent). The students are browserless (Streamlit's websocket protocol, as the browser speaks it),
they keep their cookies as a browser does, so HAProxy's affinity cookie ``ML_PLAYGROUND_WORKER``
pins each one to its process, and every session knows which process owns it.

Throughput (default): ``--students`` drawing on /draw-digit, as fast as answered (``--pace 0``:
draw, wait for the guess, look ``--think-ms``, Clear, wait for it, draw again), the same class for
every ``--workers`` count. Reported per configuration: drawings per second, mouse-up -> guess
p50/p95, errors, the CPU of each Streamlit process (with its training worker, idle here) and of
HAProxy, the students' own CPU, how the students were spread over the processes, and the load
average. Then the ratio of drawings per second, N processes against 1. With ``--per-process``
the class grows with the school (``--students`` per process): the same load per process.

``--kill``: a 2-process school, ``--students`` drawing at ``--pace``; ``--kill-after`` seconds into
the measured window process ``--victim`` (0-based) is killed with SIGKILL, as a crash would
(``s.kill(i)``: its process group, training worker included); the supervisor restarts it. Every
student's timeline (``student_logs`` in the students' report) tells who was on the killed process
at that moment. Reported: for the killed process's students, what they saw (disconnects, errors),
how long after the kill each had a fresh session again (the browser's reconnect: 1 s later, the
same URL, the cookies it holds) and its first guess after it, and on which process; for the
others, their errors and p50/p95 before and after the kill; when the killed process answered its
health check again, and when HAProxy marked it down and up.

``--json PATH`` writes everything, the students' full reports included.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.students import TreeMeter, percentile  # noqa: E402 - the protocol helpers import no gevent
from scripts.school import healthy, school  # noqa: E402

STUDENTS = ROOT / "bench" / "students.py"
GUESS = "mouse-up -> guess"
SETUP_ALLOWANCE_S = 420.0
"""How long the students may take beyond their window (connecting, warming up, reporting)."""


class Students:
    """``bench/students.py`` in a process of its own; its output lines, and the moments its window opens and closes."""

    def __init__(self, url: str, args, seconds: float, students: int, out: Path, server_pids: list[int]) -> None:
        command = [sys.executable, str(STUDENTS), "--url", url, "--draw", str(students), "--pace", str(args.pace),
                   "--think-ms", str(args.think_ms), "--seconds", str(seconds), "--arrive", str(args.arrive),
                   "--json", str(out)]
        for pid in server_pids:
            command += ["--server-pid", str(pid)]
        self.command = command
        self.lines: list[str] = []
        self.opened, self.closed = threading.Event(), threading.Event()
        self.open_at: float | None = None
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.rstrip()
            self.lines.append(line)
            if line.startswith("WINDOW START"):
                self.open_at = time.monotonic()
                self.opened.set()
            elif line.startswith("WINDOW END"):
                self.closed.set()
        self.opened.set()
        self.closed.set()

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self._reader.join(timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _spread(report: dict) -> dict[str, int]:
    """How many students each process held at the end (each student's last session)."""
    spread: dict[str, int] = {}
    for log in report.get("student_logs", []):
        if log["sessions"]:
            backend = log["sessions"][-1][2] or "?"
            spread[backend] = spread.get(backend, 0) + 1
    return dict(sorted(spread.items()))


# --------------------------------------------------------------------------------------------------- throughput


def measure_throughput(workers: int, students: int, args) -> dict:
    """One school of ``workers`` processes, ``students`` drawing through its balancer for ``args.seconds``."""
    load_before = os.getloadavg()
    started = time.monotonic()
    with school(workers=workers) as s, tempfile.TemporaryDirectory() as tmp:
        ready_s = time.monotonic() - started
        print(f"\n== {workers} process(es) behind HAProxy at {s.url} (ready in {ready_s:.0f} s), {students} students",
              flush=True)
        meters = {b.name: TreeMeter([b.pid]) for b in s.backends}
        assert s.haproxy is not None
        meters["haproxy"] = TreeMeter([s.haproxy.pid])
        out = Path(tmp) / "students.json"
        run = Students(s.url, args, args.seconds, students, out,
                       [b.pid for b in s.backends] + [s.haproxy.pid])
        try:
            run.opened.wait(SETUP_ALLOWANCE_S)
            cpu0 = {name: m.cpu_seconds() for name, m in meters.items()}
            t0 = time.monotonic()
            while not run.closed.wait(1.0):
                for m in meters.values():
                    m.cpu_seconds()  # notice children that come and go
            elapsed = time.monotonic() - t0
            cpu = {name: (m.cpu_seconds() - cpu0[name]) / elapsed for name, m in meters.items()}
            code = run.wait(args.seconds + SETUP_ALLOWANCE_S)
        finally:
            run.stop()
        print("\n".join(line for line in run.lines if not line.startswith("WINDOW")), flush=True)
        if code != 0 or not out.exists():
            raise SystemExit(f"bench/students.py exited with {code} and no report")
        report = json.loads(out.read_text())
    guess = report["interactions"].get(GUESS, {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan")})
    return {
        "workers": workers, "students": students, "pace_s": args.pace, "think_ms": args.think_ms,
        "school_ready_s": ready_s, "window_s": report["window_s"],
        "drawings": guess["n"], "drawings_per_s": guess["n"] / report["window_s"],
        "p50_ms": guess["p50_ms"], "p95_ms": guess["p95_ms"],
        "errors": report["errors"], "by_backend": report.get("by_backend", {}), "spread": _spread(report),
        "cores": {name: round(c, 3) for name, c in cpu.items()},
        "server_cores": sum(c for name, c in cpu.items() if name != "haproxy"),
        "client_cores": report["client"]["cores"],
        "load_before": load_before, "load_window_start": report["load_avg_start"],
        "load_window_end": report["load_avg_end"],
        "students_command": " ".join(run.command[1:]),
        "report": {k: v for k, v in report.items() if k != "student_logs"},
    }


def describe_throughput(r: dict) -> str:
    cores = ", ".join(f"{name} {c:.2f}" for name, c in r["cores"].items())
    return (f"{r['workers']} process(es), {r['students']} students: {r['drawings']} drawings in {r['window_s']:.0f} s "
            f"= {r['drawings_per_s']:.1f}/s; mouse-up -> guess p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms; "
            f"errors {r['errors'] or 'none'}; students per process {r['spread']}; cores: {cores} "
            f"(Streamlit {r['server_cores']:.2f}), students' client {r['client_cores']:.2f}; load average "
            f"{r['load_before'][0]:.1f} before the school, {r['load_window_start'][0]:.1f} at the window's start, "
            f"{r['load_window_end'][0]:.1f} at its end")


# --------------------------------------------------------------------------------------------------- kill


def watch_restart(s, index: int, killed_at: float, limit: float = 90.0) -> dict:
    """When the killed process answers its health check again, when HAProxy takes it out (DOWN, or MAINT while
    the supervisor warms the restarted one) and puts it back UP, and how long its warm-up took."""
    backend = s.backends[index]
    seen: dict[str, float | None] = {"answers": None, "down": None, "up": None}
    deadline = killed_at + limit
    while time.monotonic() < deadline and (seen["answers"] is None or seen["up"] is None):
        now = time.monotonic()
        state = s.status().get(backend.name)
        if state in ("DOWN", "MAINT") and seen["down"] is None:  # MAINT: restarted, kept out until warm
            seen["down"] = now - killed_at
        if state == "UP" and seen["down"] is not None and seen["up"] is None:
            seen["up"] = now - killed_at
        if seen["answers"] is None and backend.restarts > 0 and healthy(backend.url, timeout=0.5):
            seen["answers"] = time.monotonic() - killed_at
        time.sleep(0.1)
    return {**seen, "restarts": backend.restarts, "warm_s": backend.warm_seconds}


def _p(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95),
            "max_ms": max(values) if values else float("nan")}


def analyse_kill(report: dict, victim: str, killed_at: float) -> dict:
    """Split the students by the process that held them when ``victim`` was killed, and say what each saw."""
    start, end = report["window_monotonic"]
    killed, others = [], []
    for log in report["student_logs"]:
        before = [session for session in log["sessions"] if session[1] <= killed_at]
        if not before:
            continue
        on = before[-1][2]
        after_sessions = [session for session in log["sessions"] if session[0] >= killed_at]
        after_drawings = [d for d in log["drawings"] if d[0] >= killed_at]
        entry = {
            "student": log["student"], "process_at_kill": on,
            "errors_in_window": [[round(t - killed_at, 2), kind, b]  # seconds after the kill
                                 for t, kind, b in log["errors"] if start <= t <= end],
            "drawings_before": [d[1] for d in log["drawings"] if start <= d[0] < killed_at],
            "drawings_after": [[d[0], d[1]] for d in after_drawings if d[0] <= end],
            "new_session_s": (after_sessions[0][1] - killed_at) if after_sessions else None,
            "new_session_on": after_sessions[0][2] if after_sessions else None,
            "first_guess_after_s": ((after_drawings[0][0] + after_drawings[0][1] / 1000 - killed_at)
                                    if after_drawings else None),
        }
        (killed if on == victim else others).append(entry)
    back = [e["new_session_s"] for e in killed if e["new_session_s"] is not None]
    rejoined = killed_at + max(back) if back else end  # every killed student has a session again

    def group(entries: list[dict]) -> dict:
        errors: dict[str, int] = {}
        for e in entries:
            for _t, kind, _b in e["errors_in_window"]:
                errors[kind] = errors.get(kind, 0) + 1
        fresh = [e["new_session_s"] for e in entries if e["new_session_s"] is not None]
        firsts = [e["first_guess_after_s"] for e in entries if e["first_guess_after_s"] is not None]
        return {
            "students": len(entries), "errors": errors,
            "students_with_errors": sum(1 for e in entries if e["errors_in_window"]),
            "reconnected": len(fresh),
            "new_session_s": {"min": min(fresh), "max": max(fresh)} if fresh else None,
            "new_session_on": sorted({e["new_session_on"] for e in entries if e["new_session_on"]}),
            "first_guess_after_kill_s": {"min": min(firsts), "max": max(firsts)} if firsts else None,
            "before_kill": _p([ms for e in entries for ms in e["drawings_before"]]),
            "after_kill": _p([ms for e in entries for _t, ms in e["drawings_after"]]),
            "after_all_back": _p([ms for e in entries for t, ms in e["drawings_after"] if t >= rejoined]),
        }

    return {"killed_process_students": group(killed), "other_students": group(others),
            "students": killed + others}


def measure_kill(args) -> dict:
    load_before = os.getloadavg()
    with school(workers=2) as s, tempfile.TemporaryDirectory() as tmp:
        victim = s.backends[args.victim]
        print(f"\n== 2 processes behind HAProxy at {s.url}; {args.students} students at pace {args.pace:g} s; "
              f"{victim.name} (pid {victim.pid}) is killed {args.kill_after:g} s into the {args.seconds:g} s window",
              flush=True)
        out = Path(tmp) / "students.json"
        assert s.haproxy is not None
        run = Students(s.url, args, args.seconds, args.students, out, [s.haproxy.pid])
        try:
            run.opened.wait(SETUP_ALLOWANCE_S)
            if run.process.poll() is not None:
                raise SystemExit("the students ended before their window opened:\n" + "\n".join(run.lines[-30:]))
            time.sleep(args.kill_after)
            load_at_kill = os.getloadavg()
            killed_at = time.monotonic()
            pid = s.kill(args.victim)  # SIGKILL to its process group; the supervisor restarts it
            print(f"killed {victim.name} (pid {pid}) at {datetime.datetime.now().isoformat(timespec='seconds')}",
                  flush=True)
            restart = watch_restart(s, args.victim, killed_at)
            code = run.wait(args.seconds + SETUP_ALLOWANCE_S)
        finally:
            run.stop()
        states = s.status()
        print("\n".join(line for line in run.lines if not line.startswith("WINDOW")), flush=True)
        if code != 0 or not out.exists():
            raise SystemExit(f"bench/students.py exited with {code} and no report")
        report = json.loads(out.read_text())
    analysis = analyse_kill(report, victim.name, killed_at)
    return {"victim": victim.name, "killed_pid": pid, "kill_after_s": args.kill_after, "restart": restart,
            "haproxy_at_end": states, "load_before": load_before, "load_at_kill": load_at_kill,
            "load_window_start": report["load_avg_start"], "load_window_end": report["load_avg_end"],
            **analysis, "students_command": " ".join(run.command[1:]),
            "report": {k: v for k, v in report.items() if k != "student_logs"}}


def _ms(p: dict) -> str:
    return f"n {p['n']}, p50 {p['p50_ms']:.0f} ms, p95 {p['p95_ms']:.0f} ms" if p["n"] else "n 0"


def describe_kill(r: dict) -> str:
    k, o, rs = r["killed_process_students"], r["other_students"], r["restart"]

    def secs(v) -> str:
        return "never" if v is None else f"{v:.1f} s"

    lines = [
        f"killed {r['victim']} {r['kill_after_s']:g} s into the window (load {r['load_at_kill'][0]:.1f}); it answered "
        f"its health check again {secs(rs['answers'])} after the kill; HAProxy had it DOWN or MAINT after "
        f"{secs(rs['down'])} and UP after {secs(rs['up'])} (warmed in {secs(rs.get('warm_s'))}); "
        f"restarts {rs['restarts']}",
        f"  its {k['students']} students: errors {k['errors'] or 'none'} ({k['students_with_errors']} students); "
        f"{k['reconnected']} had a fresh session again after "
        + (f"{k['new_session_s']['min']:.1f}-{k['new_session_s']['max']:.1f} s" if k["new_session_s"] else "-")
        + f" on {k['new_session_on']}, their first guess after "
        + (f"{k['first_guess_after_kill_s']['min']:.1f}-{k['first_guess_after_kill_s']['max']:.1f} s"
           if k["first_guess_after_kill_s"] else "-")
        + f"; guesses before the kill {_ms(k['before_kill'])}, after {_ms(k['after_kill'])}",
        f"  the other {o['students']} students: errors {o['errors'] or 'none'}; guesses before the kill "
        f"{_ms(o['before_kill'])}, after {_ms(o['after_kill'])} (once every killed student was back: "
        f"{_ms(o['after_all_back'])})",
        f"  load average {r['load_before'][0]:.1f} before the school, {r['load_window_start'][0]:.1f} at the "
        f"window's start, {r['load_window_end'][0]:.1f} at its end",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="process counts to measure (1 2)")
    parser.add_argument("--students", type=int, default=20, help="students drawing (default 20)")
    parser.add_argument("--per-process", action="store_true", help="--students per process (the same load each)")
    parser.add_argument("--pace", type=float, default=None,
                        help="seconds between one student's drawings; default 0 (as fast as answered), 3 with --kill")
    parser.add_argument("--think-ms", type=float, default=300.0, help="look at a guess this long before Clear")
    parser.add_argument("--seconds", type=float, default=None, help="the measured window (50; 60 with --kill)")
    parser.add_argument("--arrive", type=float, default=2.0, help="students connecting per second (default 2)")
    parser.add_argument("--kill", action="store_true", help="instead: kill one process of a 2-process school")
    parser.add_argument("--kill-after", type=float, default=20.0, help="--kill: seconds into the window (20)")
    parser.add_argument("--victim", type=int, default=0, choices=[0, 1], help="--kill: which process (0: w1)")
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args(argv)
    args.pace = args.pace if args.pace is not None else (3.0 if args.kill else 0.0)
    args.seconds = args.seconds if args.seconds is not None else (60.0 if args.kill else 50.0)
    when = datetime.datetime.now().isoformat(timespec="seconds")
    print(f"{when}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)

    if args.kill:
        result = measure_kill(args)
        print("\n" + describe_kill(result), flush=True)
        results: dict = {"date": when, "kill": result}
    else:
        runs = [measure_throughput(w, args.students * (w if args.per_process else 1), args) for w in args.workers]
        print("", flush=True)
        for r in runs:
            print(describe_throughput(r), flush=True)
        base = next((r for r in runs if r["workers"] == 1), None)
        if base and base["drawings_per_s"]:
            for r in runs:
                if r is not base:
                    print(f"{r['workers']} processes against 1: {r['drawings_per_s'] / base['drawings_per_s']:.2f}x "
                          f"the drawings per second (target >= 1.7x at the same p95: p95 {r['p95_ms']:.0f} ms "
                          f"against {base['p95_ms']:.0f} ms)", flush=True)
        results = {"date": when, "throughput": runs}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
