"""Where a drawing's server CPU goes on the draw-a-digit page, in a real Chromium.

    python bench/digits_rerun_cost.py [--drawings 30] [--query digits_tab=Saliency] [--messages]
    python bench/digits_rerun_cost.py --compare ../other-checkout [--drawings 30]
    python bench/digits_rerun_cost.py --profile out.pstats [--drawings 10]

Starts the app (``streamlit run`` of ``app.paths.ENTRY_SCRIPT``) in a child process whose
script runs are instrumented: each run's CPU time in its own thread, how many
forward messages it sent and how many bytes they were; the server reports its
own CPU time (``getrusage``: every thread, microseconds) when asked. One
Chromium page then draws a 1 and a 0 in turn, each followed by Clear, as
``bench/classroom.py`` does, and the bench reports per drawing and per Clear
the server's whole CPU time (script runs, the event loop's socket writes, HTTP
requests) and what the script runs themselves used.

``--compare DIR`` serves a second checkout (the one before a change, say) at the
same time and alternates drawings between the two pages, so both see the same
load from whatever else runs on the machine: on a shared 2-core machine the
CPU time of the same work drifts by ±20 % from minute to minute, and only such
paired numbers compare two versions. ``--messages`` lists the messages of the
last drawing and Clear by element type. ``--profile FILE`` writes a cProfile
(CPU time) of the drawing runs to FILE and of the event loop's thread during
the drawings to FILE.loop; profiling inflates the times about 3x: read it for
shares, not totals.

A drawing is what a student does every few seconds. Target: <= 60 ms of server
CPU per drawing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SERVER = r"""
import cProfile, json, os, resource, signal, sys, threading, time
from streamlit.runtime.scriptrunner import script_runner as sr

log_path, profile_path = sys.argv[1], sys.argv[2]
flag = log_path + ".profile-on"
lock = threading.Lock()
stats = {"profile": None}
orig_run, orig_enqueue = sr.ScriptRunner._run_script, sr.ScriptRunner._enqueue_forward_msg

def report_cpu(signum, frame):  # SIGUSR1: write "<sequence> <CPU seconds of every thread so far>"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report_cpu.seq += 1
    with open(log_path + ".cpu.tmp", "w") as f:
        f.write(f"{report_cpu.seq} {usage.ru_utime + usage.ru_stime}")
    os.replace(log_path + ".cpu.tmp", log_path + ".cpu")
report_cpu.seq = 0
signal.signal(signal.SIGUSR1, report_cpu)

def describe(msg):
    kind = msg.WhichOneof("type")
    if kind != "delta":
        return kind
    sub = msg.delta.WhichOneof("type")
    if sub == "new_element":
        return msg.delta.new_element.WhichOneof("type")
    if sub == "add_block":
        return "block:" + (msg.delta.add_block.WhichOneof("type") or "vertical")
    return sub

def enqueue(self, msg):
    counts = getattr(self, "_bench_counts", None)
    if counts is not None:
        size = msg.ByteSize()
        counts.append((describe(msg), size))
    return orig_enqueue(self, msg)

def run(self, rerun_data):
    self._bench_counts = []
    profile = cProfile.Profile(time.thread_time) if profile_path and os.path.exists(flag) else None
    wall, cpu = time.perf_counter(), time.thread_time()
    if profile:
        profile.enable()
    try:
        return orig_run(self, rerun_data)
    finally:
        if profile:
            profile.disable()
        record = {"cpu": time.thread_time() - cpu, "wall": time.perf_counter() - wall,
                  "messages": self._bench_counts, "fragment": bool(rerun_data.fragment_id_queue)}
        with lock:
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            if profile:
                import pstats
                profile.create_stats()
                if stats["profile"] is None:
                    stats["profile"] = pstats.Stats(profile)
                else:
                    stats["profile"].add(profile)
                stats["profile"].dump_stats(profile_path)

sr.ScriptRunner._run_script = run
sr.ScriptRunner._enqueue_forward_msg = enqueue

if profile_path:
    # The event loop's thread (messages serialised and written to the websocket, HTTP requests),
    # profiled while the flag file exists, by a task that looks every 20 ms.
    from streamlit.web.server import server as server_module
    orig_start = server_module.Server.start

    async def watch_flag():
        import asyncio, pstats
        profile, total = None, None
        while True:
            on = os.path.exists(flag)
            if on and profile is None:
                profile = cProfile.Profile(time.thread_time)
                profile.enable()
            elif not on and profile is not None:
                profile.disable()
                profile.create_stats()
                total = pstats.Stats(profile) if total is None else total.add(profile) or total
                total.dump_stats(profile_path + ".loop")
                profile = None
            await asyncio.sleep(0.02)

    async def start(self):
        import asyncio
        await orig_start(self)
        self._bench_task = asyncio.get_running_loop().create_task(watch_flag())

    server_module.Server.start = start

from streamlit.web import cli
try:  # the checkout's own entry script (the working directory comes first on sys.path)
    from app.paths import ENTRY_SCRIPT
except ImportError:  # a checkout from before app/paths.py
    ENTRY_SCRIPT = "streamlit_app.py"
sys.argv = ["streamlit", "run", ENTRY_SCRIPT, *sys.argv[3:]]
sys.exit(cli.main())
"""

ONE = [[(140, 50), (140, 230)]]
ZERO = [[(140 + 55 * math.cos(2 * math.pi * i / 24), 140 + 85 * math.sin(2 * math.pi * i / 24)) for i in range(25)]]
"""The strokes of ``tests/e2e/test_digits.py`` and ``bench/classroom.py``, in canvas pixels."""


@dataclass
class Served:
    """One instrumented server, its page, and what was measured on it."""

    name: str
    repo: str
    port: int
    workdir: Path
    profile: str = ""
    process: subprocess.Popen | None = None
    page: object = None
    seq: int = 0
    draws: list = field(default_factory=list)
    clears: list = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.workdir / "runs.jsonl"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_file = open(self.workdir / "server.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.log), self.profile, "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=self.repo, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}, stdout=self.log_file,
            stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.log_file.close()

    def cpu(self) -> float:
        """The server's CPU seconds so far, all threads (it answers SIGUSR1)."""
        self.seq += 1
        self.process.send_signal(signal.SIGUSR1)
        path = Path(str(self.log) + ".cpu")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                seq, seconds = path.read_text().split()
                if int(seq) == self.seq:
                    return float(seconds)
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.name}: the server did not report its CPU time")

    def runs(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=30, help="drawings measured (after two to warm up)")
    parser.add_argument("--query", default="", help="after '?' in the link (e.g. 'digits_tab=Saliency')")
    parser.add_argument("--compare", default="", metavar="DIR", help="also serve this checkout; alternate drawings")
    parser.add_argument("--profile", default="", help="write a cProfile of the drawing runs here")
    parser.add_argument("--messages", action="store_true", help="list the messages of the last drawing and Clear")
    parser.add_argument("--port", type=int, default=8620, help="first port (the compared checkout gets the next)")
    parser.add_argument("--think-ms", type=float, default=300.0, help="pause between the guess and Clear")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import healthy, launch_chromium
    from tests.e2e.helpers import IDLE, by_key, draw

    profile = str(Path(args.profile).resolve()) if args.profile else ""
    servers = [Served("this checkout", str(REPO), args.port, Path(tempfile.mkdtemp(prefix="digits-cost-")), profile)]
    if args.compare:
        servers.append(Served(f"--compare {args.compare}", str(Path(args.compare).resolve()), args.port + 1,
                              Path(tempfile.mkdtemp(prefix="digits-cost-"))))
    guess = ".st-key-digits_guesses [data-testid='stMetricValue']"
    try:
        for s in servers:
            s.start()
        for s in servers:
            deadline = time.monotonic() + 90
            while not healthy(s.url):
                if s.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((s.workdir / "server.log").read_text())
                time.sleep(0.25)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for s in servers:
                s.page = browser.new_page(viewport={"width": 1400, "height": 1000})
                s.page.set_default_timeout(60_000)
                s.page.goto(f"{s.url}/draw-digit" + (f"?{args.query}" if args.query else ""))
                s.page.wait_for_selector(IDLE)
                by_key(s.page, "digits_canvas").locator("canvas").first.wait_for()

            def settle(page) -> None:
                page.wait_for_timeout(150)
                page.wait_for_selector(IDLE)
                page.wait_for_timeout(150)

            def cycle(s: Served, digit: str, record: bool) -> None:
                page = s.page
                flag = Path(str(s.log) + ".profile-on")
                if s.profile and record:
                    flag.touch()
                seen, mark = len(s.runs()), s.cpu()
                draw(page, ONE if digit == "1" else ZERO, steps=2)
                page.locator(guess).first.wait_for()
                shown = page.locator(guess).first.inner_text().strip()
                if shown != digit:
                    print(f"  {s.name}: drew a {digit}, the guess says {shown}")
                settle(page)
                drawn, runs = s.cpu() - mark, s.runs()[seen:]
                flag.unlink(missing_ok=True)
                page.wait_for_timeout(args.think_ms)
                seen, mark = len(s.runs()), s.cpu()
                by_key(page, "digits_canvas").locator("button.clear").click()
                page.wait_for_function("() => !document.querySelector(\"" + guess + "\")")
                settle(page)
                cleared, clear_runs = s.cpu() - mark, s.runs()[seen:]
                if record:
                    s.draws.append((drawn, runs))
                    s.clears.append((cleared, clear_runs))

            for i in range(args.drawings + 2):  # the first two warm caches up: not counted
                digit = "1" if i % 2 == 0 else "0"
                for s in (servers if i % 2 == 0 else servers[::-1]):  # who goes first alternates too
                    cycle(s, digit, record=i >= 2)
            errors = {s.name: s.page.locator('[data-testid="stException"]').count() for s in servers}
            browser.close()
    finally:
        for s in servers:
            s.stop()
    for s in servers:  # kept when something failed above: the server's log is in there
        shutil.rmtree(s.workdir, ignore_errors=True)

    def summary(what: str, samples: list) -> str:
        cpu = [c for c, _ in samples]
        script = [sum(r["cpu"] for r in runs) for _, runs in samples]
        count = [len(runs) for _, runs in samples]
        messages = [sum(len(r["messages"]) for r in runs) for _, runs in samples]
        size = [sum(b for r in runs for _, b in r["messages"]) for _, runs in samples]
        return (f"{what}: server CPU {1000 * statistics.mean(cpu):.1f} ms "
                f"(median {1000 * statistics.median(cpu):.1f}); {statistics.mean(count):.2f} script run(s) using "
                f"{1000 * statistics.mean(script):.1f} ms in their own thread; {statistics.mean(messages):.0f} "
                f"messages, {statistics.mean(size) / 1024:.0f} KiB")

    print(f"{args.drawings} drawings each{' (profiled)' if profile else ''}, link ?{args.query}")
    for s in servers:
        print(f"{s.name}:\n  {summary('a drawing', s.draws)}\n  {summary('a Clear', s.clears)}\n"
              f"  errors: {errors[s.name]} exception box(es)")
    if len(servers) == 2:
        for what, attr in (("a drawing", "draws"), ("a Clear", "clears")):
            pairs = [a[0] - b[0] for a, b in zip(getattr(servers[0], attr), getattr(servers[1], attr), strict=True)]
            spread = statistics.stdev(pairs) / math.sqrt(len(pairs)) if len(pairs) > 1 else float("nan")
            print(f"this checkout minus the compared one, {what}: {1000 * statistics.mean(pairs):+.1f} ms "
                  f"(± {1000 * spread:.1f} ms standard error)")
    if args.messages:
        for what, attr in (("drawing", "draws"), ("Clear", "clears")):
            for run in getattr(servers[0], attr)[-1][1]:
                kinds: dict[str, list[int]] = {}
                for kind, size in run["messages"]:
                    kinds.setdefault(kind, []).append(size)
                print(f"messages of the last {what}'s run: " + ", ".join(
                    f"{kind} x{len(sizes)} ({sum(sizes) / 1024:.1f} KiB)"
                    for kind, sizes in sorted(kinds.items(), key=lambda kv: -len(kv[1]))))
    if profile:
        print(f"profiles: {profile} (the drawings' script runs) and {profile}.loop (the event loop's thread meanwhile)")


if __name__ == "__main__":
    main()
