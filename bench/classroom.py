"""Benchmark a classroom: N students drawing digits on one server, some of them training.

Browserless students (``bench/students.py``: Streamlit's websocket protocol, spoken as the browser
speaks it, on Locust), with or without a few real Chromium students beside them:

    python bench/classroom.py --browserless 30 --pace 3 --seconds 60
    python bench/classroom.py --browserless 30 --train 5 --pace 3 --seconds 60
    python bench/classroom.py --browserless 10 --train 3 --pace 0 --seconds 60
    python bench/classroom.py --mixed --seconds 60
    python bench/classroom.py --browserless 30 --train 5 --browsers 1 --seconds 60
    python bench/classroom.py --browserless 30 --url http://127.0.0.1:8080   # a server (or a school) already up

``--browserless N``: N students drawing on /draw-digit; ``--train M``: M more training on its "Train
your own" (with --browserless or --mixed); ``--playground``, ``--moe``, ``--boosting``: students
playing those pages; ``--mixed``: 10 drawing, 10 on /playground, 5 on /boosting, 5 on /moe;
``--pace S``: seconds between one student's drawings or slider moves (0: as fast as answered);
``--browsers K``: K Chromium students drawing at the same pace, measured in the same window (the
end-to-end figure: mouse-up to the guess on screen). The students run in a process of their own
(Locust patches its process with gevent); they report per interaction p50/p95, the live updates
delivered per second to each playing student, the server's CPU (its child processes included),
cores, RSS and errors, and their own CPU. ``--url``: measure a server that is already running
(its CPU is read from the process listening on the URL's port when it is on this machine, or
from ``--server-pid``); without it a server is started (``tests/e2e/harness.py``).

Chromium students only (the first version of this bench):

    python bench/classroom.py [--students 10] [--seconds 60] [--train 3] [--query digits_tab=Saliency]
    python bench/classroom.py --sessions 30 [--play-all --seconds 30]

Starts the app on a free loopback port (``tests/e2e/harness.py``) and one
Chromium; every student gets a browser context of their own, so a Streamlit
session of their own, and opens ``/draw-digit`` (plus ``--query``, as from a
shared link). Each student repeatedly draws a known digit (a 1 or a 0, the
strokes of ``tests/e2e/test_digits.py``, drawn the way ``tests/e2e/helpers.py``
draws them), waits for the guess, looks at it for ``--think-ms``, presses Clear
and draws again, until ``--seconds`` are up. Students run concurrently
(Playwright's async API: one page waiting never holds up another); the latency
is measured inside each page, from the stroke's ``pointerup`` to the "First
guess" metric showing a value.

``--train M``: M of the students first press Play on the "Train your own" tab
(button key ``digits_train_play``), press it again whenever their run ends, and
draw like the others meanwhile. ``--sessions S``: connect S sessions at once,
draw a 1 in each, and check that none shows an error; with ``--play-all`` every one
of them then presses Play on "Train your own" at the same moment, they train for
``--seconds``, and all press Pause: how many trained, how many waited their turn,
the slots busy as the sidebar shows them, errors and memory.

Reports the p50/p95 of mouse-up -> first guess, server CPU seconds per drawing, the browsers' CPU per drawing
(``/proc/<pid>/stat``; with one student, a drawing and a Clear apart; with more,
everything the server did divided by the drawings), errors (``stException``
boxes, wrong guesses, timeouts) and server memory. Everything runs on this
machine, browsers included: on 2 cores the browsers' own work weighs on the
numbers. Target on a 2-core machine: 10 students drawing while 3 train,
p95 <= 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import Page, async_playwright  # noqa: E402
from playwright.async_api import TimeoutError as PageTimeout  # noqa: E402

from bench.students import listening_pids, percentile  # noqa: E402
from tests.e2e.harness import CHROMIUM_ARGS, app_server, chromium_path  # noqa: E402
from tests.e2e.helpers import CANVAS_SIZE, IDLE  # noqa: E402

DIGITS = {
    "1": [[(140, 50), (140, 230)]],
    "0": [[(140 + 55 * math.cos(2 * math.pi * i / 24), 140 + 85 * math.sin(2 * math.pi * i / 24))
           for i in range(25)]],
}
"""The strokes of ``tests/e2e/test_digits.py`` (``ONE``, ``ZERO``), in canvas pixels."""
TRAIN_PLAY = "digits_train_play"
"""Key of the Play button on the "Train your own" tab."""
GUESS_TIMEOUT_MS = 30_000
"""A drawing whose guess has not shown after this long counts as a timeout."""
SESSION_GUESS_TIMEOUT_MS = 120_000
"""--sessions: how long each session may wait for its guess."""
SETUP_TIMEOUT_MS = 180_000
ARRIVING = 4
"""Pages loading at the same time while the class connects."""
VIEWPORT = {"width": 1400, "height": 1000}

# Arms a watcher: window.__guess becomes {ms, value} once "First guess" shows a value after the next pointerup.
WATCH = """
() => {
  window.__guess = null;
  let t0 = null;
  const value = () => {
    const metric = [...document.querySelectorAll('.st-key-digits_guesses [data-testid="stMetric"]')]
      .find(m => m.innerText.includes('First guess'));
    return metric ? metric.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
  };
  const observer = new MutationObserver(() => {
    const v = t0 === null ? null : value();
    if (v !== null) { observer.disconnect(); window.__guess = { ms: performance.now() - t0, value: v }; }
  });
  document.addEventListener('pointerup', () => { t0 = performance.now(); }, { capture: true });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
}
"""
GUESSED = "() => window.__guess !== null"
CLEARED = "() => !document.querySelector('.st-key-digits_guesses [data-testid=\"stMetric\"]')"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(server_pid: int | None, *others: int) -> float:
    """CPU seconds used so far by this bench's other child processes: Chromium and the Playwright driver (Linux).

    Every process below this one except the app server's own tree. A student's browser
    runs on their own laptop; here all of them share the server's cores, so this is
    what the class's browsers take from the server in this bench. ``others``: more trees to leave
    out (the browserless students' process).
    """
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue

    def below(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 1)
        return False

    me, total = os.getpid(), 0.0
    for pid in parents:
        if pid != me and below(pid, me) and not any(below(pid, root) for root in (server_pid, *others) if root):
            try:
                total += cpu_seconds(pid)
            except (OSError, IndexError, ValueError):
                continue  # it ended meanwhile
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def by_key(page: Page, key: str):
    return page.locator(f".st-key-{key}")


async def draw(page: Page, strokes, steps: int = 2) -> None:
    """Draw ``strokes`` (canvas pixels) with the mouse, one pointer-up per stroke (as ``helpers.draw``)."""
    box = await by_key(page, "digits_canvas").locator("canvas").first.bounding_box()

    def to_page(point):
        return (box["x"] + point[0] * box["width"] / CANVAS_SIZE, box["y"] + point[1] * box["height"] / CANVAS_SIZE)

    for stroke in strokes:
        first, *rest = [to_page(p) for p in stroke]
        await page.mouse.move(*first)
        await page.mouse.down()
        for x, y in rest:
            await page.mouse.move(x, y, steps=steps)
        await page.mouse.up()


async def clear(page: Page) -> None:
    await by_key(page, "digits_canvas").locator("button.clear").click()


async def open_page(browser, url: str, query: str, arriving: asyncio.Semaphore) -> Page:
    """A fresh browser context (a new session) on the digit page, ready to draw."""
    page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
    page.set_default_timeout(60_000)
    async with arriving:  # a few pages load at a time, as students arrive; all at once swamps 2 cores
        await page.goto(f"{url}/draw-digit" + (f"?{query}" if query else ""), timeout=SETUP_TIMEOUT_MS)
        await page.wait_for_selector(IDLE, timeout=SETUP_TIMEOUT_MS)
        await by_key(page, "digits_canvas").locator("canvas").first.wait_for(timeout=SETUP_TIMEOUT_MS)
    return page


async def open_pages(browser, url: str, count: int, query: str) -> list[Page]:
    arriving = asyncio.Semaphore(ARRIVING)
    return list(await asyncio.gather(*(open_page(browser, url, query, arriving) for _ in range(count))))


async def exceptions_on(page: Page) -> int:
    return await page.locator('[data-testid="stException"]').count()


@dataclass
class Student:
    """One browser context and what it measured."""

    number: int
    page: Page
    digit: str = "1"
    latencies: list[float] = field(default_factory=list)
    wrong: list[tuple[str, str]] = field(default_factory=list)
    timeouts: int = 0
    stuck: int = 0
    training: bool = False
    runs: int = 0


async def press_play(page: Page) -> bool:
    """Open "Train your own" and press Play; False (and nothing pressed) when there is no Play button."""
    await page.get_by_role("tab", name=re.compile("Train your own")).click()
    await page.wait_for_timeout(300)
    await page.wait_for_selector(IDLE, timeout=60_000)
    button = by_key(page, TRAIN_PLAY).get_by_role("button")
    if await button.count() == 0:
        return False
    await button.first.click()
    return True


async def settle(page: Page, training: bool) -> None:
    """Wait for the page's run to end; a training page's live fragment keeps running, so wait less there."""
    try:
        await page.wait_for_selector(IDLE, timeout=2_000 if training else GUESS_TIMEOUT_MS)
    except PageTimeout:
        pass


async def draw_and_clear(s: Student, think_s: float, record: bool, pid: int, split: dict | None) -> None:
    """One cycle: draw, wait for the guess and the end of the run, look, Clear, wait until cleared."""
    page = s.page
    mark = cpu_seconds(pid) if split is not None else 0.0
    await page.evaluate(WATCH)
    await draw(page, DIGITS[s.digit])
    try:
        await page.wait_for_function(GUESSED, timeout=GUESS_TIMEOUT_MS, polling=20)
        guess = await page.evaluate("window.__guess")
        if record:
            s.latencies.append(guess["ms"])
            if guess["value"] != s.digit:
                s.wrong.append((s.digit, guess["value"]))
    except PageTimeout:
        if record:
            s.timeouts += 1
    await settle(page, s.training)
    if split is not None:
        split["draw"].append(cpu_seconds(pid) - mark)
        mark = cpu_seconds(pid)
    await asyncio.sleep(think_s)
    await clear(page)
    try:
        await page.wait_for_function(CLEARED, timeout=GUESS_TIMEOUT_MS, polling=20)
    except PageTimeout:
        s.stuck += 1
    await settle(page, s.training)
    if split is not None:
        split["clear"].append(cpu_seconds(pid) - mark)
    if s.training:
        play = by_key(page, TRAIN_PLAY).get_by_role("button")
        if await play.is_enabled():  # the last run ended: start another
            await play.click()
            s.runs += 1
    s.digit = "0" if s.digit == "1" else "1"


async def run_class(args, server, browser) -> None:
    pid = server.process.pid
    started = time.monotonic()
    pages = await open_pages(browser, server.url, args.students, args.query)
    students = [Student(n, page, digit="1" if n % 2 == 0 else "0") for n, page in enumerate(pages)]
    print(f"{args.students} student(s) connected in {time.monotonic() - started:.1f} s")

    trainers = 0
    for s in students[: args.train]:
        if not await press_play(s.page):
            print(f"--train: no '{TRAIN_PLAY}' button on the 'Train your own' tab (the training controls are not "
                  "there yet); running without training.")
            break
        s.training, s.runs = True, 1
        trainers += 1
    if trainers:
        print(f"{trainers} student(s) pressed Play (and press it again whenever their run ends)")

    # Warm-up: one drawing each (the first runs fill caches), not counted.
    await asyncio.gather(*(draw_and_clear(s, 0.0, False, pid, None) for s in students))

    split = {"draw": [], "clear": []} if len(students) == 1 else None
    think_s = args.think_ms / 1000
    rss_start, cpu_start, started = rss_mb(pid), cpu_seconds(pid), time.monotonic()
    browser_start = browser_cpu_seconds(pid)
    deadline = started + args.seconds

    async def keep_drawing(s: Student) -> None:
        await asyncio.sleep(s.number * 0.1)  # students do not all lift the pen in the same instant
        while time.monotonic() < deadline:
            await draw_and_clear(s, think_s, True, pid, split)

    await asyncio.gather(*(keep_drawing(s) for s in students))
    elapsed = time.monotonic() - started
    cpu_used = cpu_seconds(pid) - cpu_start
    browser_used = browser_cpu_seconds(pid) - browser_start
    rss_end = rss_mb(pid)
    errors = sum(await asyncio.gather(*(exceptions_on(s.page) for s in students)))

    latencies = [ms for s in students for ms in s.latencies]
    drawings = len(latencies) + sum(s.timeouts for s in students)
    wrong = [w for s in students for w in s.wrong]
    timeouts = sum(s.timeouts for s in students)
    stuck = sum(s.stuck for s in students)
    print(f"\n{args.students} student(s), {trainers} training, {elapsed:.0f} s: {drawings} drawings "
          f"({drawings / elapsed:.2f}/s)")
    print(f"mouse-up -> first guess: p50 {percentile(latencies, 0.5):.0f} ms, "
          f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies, default=float('nan')):.0f} ms")
    if drawings:
        print(f"server CPU: {cpu_used:.1f} s in all, {1000 * cpu_used / drawings:.0f} ms per drawing (with its Clear"
              f"{' and the training' if trainers else ''}); {cpu_used / elapsed:.2f} cores on average")
        print(f"browsers' CPU (Chromium and the Playwright driver, on the same cores here): {browser_used:.1f} s in "
              f"all, {1000 * browser_used / drawings:.0f} ms per drawing; "
              f"{browser_used / elapsed:.2f} cores on average")
    if split and split["draw"]:
        print(f"  one student: a drawing {1000 * statistics.mean(split['draw']):.0f} ms, a Clear "
              f"{1000 * statistics.mean(split['clear']):.0f} ms of server CPU (means of {len(split['draw'])}; "
              f"/proc ticks are 10 ms)")
    print(f"errors: {errors} exception box(es), {len(wrong)} wrong guess(es){f' {wrong[:10]}' if wrong else ''}, "
          f"{timeouts} timeout(s)" + (f" (students {[s.number for s in students if s.timeouts]}; the first "
                                      f"{trainers} train)" if timeouts else "")
          + (f", {stuck} Clear(s) whose guess stayed {GUESS_TIMEOUT_MS / 1000:.0f} s" if stuck else ""))
    if trainers:
        print(f"training: {sum(s.runs for s in students)} run(s) started by {trainers} student(s)")
    print(f"server memory (RSS): {rss_start:.0f} MB at start, {rss_end:.0f} MB at end")


BATCHES = """
() => {
  const metric = [...document.querySelectorAll('.st-key-digits_train [data-testid="stMetric"]')]
    .find(m => m.innerText.includes('Batches trained'));
  return metric ? parseInt(metric.querySelector('[data-testid="stMetricValue"]').innerText, 10) : 0;
}
"""
WAITING = "() => document.body.innerText.includes('Waiting for a free CPU slot')"
SLOTS_BUSY = r"""
() => { const m = document.body.innerText.match(/Training slots on this server: (\d+) of (\d+) busy/);
        return m ? [parseInt(m[1], 10), parseInt(m[2], 10)] : null; }
"""


async def play_all(browser, url: str, pages: list[Page], seconds: float, pid: int) -> None:
    """Every session opens "Train your own", then all press Play together; sample; all press Pause.

    The slots busy are read from the sidebar of an extra observer session on the (cheap) home page,
    reloaded every few seconds: a training page's own sidebar is only redrawn on full reruns.
    """
    observer = await (await browser.new_context(viewport=VIEWPORT)).new_page()

    async def slots_busy():
        await observer.goto(url + "/", timeout=SETUP_TIMEOUT_MS)
        await observer.wait_for_selector(IDLE, timeout=SETUP_TIMEOUT_MS)
        return await observer.evaluate(SLOTS_BUSY)

    arriving = asyncio.Semaphore(ARRIVING)

    async def open_tab(page: Page) -> None:
        async with arriving:
            await page.get_by_role("tab", name=re.compile("Train your own")).click(timeout=SETUP_TIMEOUT_MS)
            await page.wait_for_timeout(300)
            await page.wait_for_selector(IDLE, timeout=SETUP_TIMEOUT_MS)

    await asyncio.gather(*(open_tab(p) for p in pages))
    buttons = [by_key(p, TRAIN_PLAY).get_by_role("button") for p in pages]
    cpu_start, started = cpu_seconds(pid), time.monotonic()
    await asyncio.gather(*(b.click(timeout=SETUP_TIMEOUT_MS) for b in buttons))
    waited, busy_seen = set(), []
    while time.monotonic() - started < seconds:
        flags = await asyncio.gather(*(p.evaluate(WAITING) for p in pages))
        waited |= {n for n, flag in enumerate(flags) if flag}
        busy = await slots_busy()
        if busy:
            busy_seen.append(busy)
        await asyncio.sleep(2.0)
    batches = await asyncio.gather(*(p.evaluate(BATCHES) for p in pages))
    rss_training = rss_mb(pid)
    cpu_used = cpu_seconds(pid) - cpu_start
    await asyncio.gather(*(by_key(p, "digits_train_pause").get_by_role("button").click(timeout=SETUP_TIMEOUT_MS)
                           for p in pages))
    await asyncio.sleep(5)
    after = await slots_busy()
    errors = sum(await asyncio.gather(*(exceptions_on(p) for p in pages)))
    trained = sum(1 for b in batches if b > 0)
    limit = busy_seen[0][1] if busy_seen else None
    print(f"--play-all: {len(pages)} sessions pressed Play at once and trained for {seconds:.0f} s: "
          f"{trained} trained some batches (median {statistics.median(batches):.0f}, max {max(batches)}), "
          f"{len(waited)} were seen waiting for a slot; slots busy as the sidebar showed them: max "
          f"{max((b[0] for b in busy_seen), default=0)} of {limit}; server CPU {cpu_used / seconds:.2f} cores; "
          f"RSS {rss_training:.0f} MB while training; after Pause: {after[0] if after else '?'} busy; "
          f"{errors} exception box(es)")


async def run_sessions(args, server, browser) -> None:
    """S sessions at once: each draws a 1 (staggered by 0.2 s) and must get its guess, without an error."""
    pid = server.process.pid
    rss_start = rss_mb(pid)
    started = time.monotonic()
    pages = await open_pages(browser, server.url, args.sessions, args.query)
    connected = time.monotonic() - started
    rss_connected = rss_mb(pid)
    students = [Student(n, page) for n, page in enumerate(pages)]

    async def one_drawing(s: Student) -> None:
        await asyncio.sleep(0.2 * s.number)
        await s.page.evaluate(WATCH)
        await draw(s.page, DIGITS["1"])
        try:
            await s.page.wait_for_function(GUESSED, timeout=SESSION_GUESS_TIMEOUT_MS, polling=50)
            guess = await s.page.evaluate("window.__guess")
            s.latencies.append(guess["ms"])
            if guess["value"] != "1":
                s.wrong.append(("1", guess["value"]))
        except PageTimeout:
            s.timeouts += 1

    cpu_start = cpu_seconds(pid)
    await asyncio.gather(*(one_drawing(s) for s in students))
    await asyncio.gather(*(settle(s.page, False) for s in students))
    cpu_used = cpu_seconds(pid) - cpu_start
    latencies = [ms for s in students for ms in s.latencies]
    wrong = sum(len(s.wrong) for s in students)
    timeouts = sum(s.timeouts for s in students)
    errors = sum(await asyncio.gather(*(exceptions_on(s.page) for s in students)))
    print(f"{args.sessions} sessions connected in {connected:.0f} s; then a 1 drawn in each, 0.2 s apart: "
          f"guess after p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"max {max(latencies, default=float('nan')):.0f} ms; server CPU {1000 * cpu_used / args.sessions:.0f} ms "
          "per drawing")
    print(f"errors: {errors} exception box(es), {wrong} wrong guess(es), {timeouts} guess(es) missing after "
          f"{SESSION_GUESS_TIMEOUT_MS / 1000:.0f} s")
    print(f"server memory (RSS): {rss_start:.0f} MB before, {rss_connected:.0f} MB with {args.sessions} sessions, "
          f"{rss_mb(pid):.0f} MB after their drawings")
    if args.play_all:
        await play_all(browser, server.url, pages, args.seconds, pid)


@dataclass
class Served:
    """Where the class connects, and the server processes to meter (none: not on this machine)."""

    url: str
    pids: list[int]

    @property
    def process(self):  # the Chromium-only mode reads server.process.pid
        if not self.pids:
            raise SystemExit(f"--url {self.url}: no process on this machine listens on its port; give --server-pid")
        return type("Process", (), {"pid": self.pids[0]})()


@contextlib.contextmanager
def served(args):
    """The server to measure: ``--url`` (already running), else one started for this run."""
    if args.url:
        url = args.url.rstrip("/")
        port = int(url.rsplit(":", 1)[1]) if url.count(":") == 2 else 80
        yield Served(url, args.server_pid or listening_pids(port))
    else:
        with app_server() as server:
            yield Served(server.url, [server.process.pid])


async def launch(playwright):
    executable = chromium_path()
    return await (playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                  if executable else playwright.chromium.launch())


async def run(args) -> None:
    with served(args) as server:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                limit = args.seconds + (2400 if args.sessions else 600)  # 30 pages load slowly on 2 cores
                await asyncio.wait_for(run_sessions(args, server, browser) if args.sessions
                                       else run_class(args, server, browser), timeout=limit)
            finally:
                await browser.close()


STUDENTS = Path(__file__).resolve().parent / "students.py"


def student_arguments(args) -> list[str]:
    """The command line of ``bench/students.py`` for this class."""
    if args.mixed:
        counts = ["--mixed"] + (["--train", str(args.train)] if args.train else [])
    else:
        counts = [f"--{name}={n}" for name, n in (("draw", args.browserless), ("train", args.train),
                                                    ("playground", args.playground), ("moe", args.moe),
                                                    ("boosting", args.boosting)) if n]
    return [*counts, "--pace", str(args.pace), "--think-ms", str(args.think_ms), "--seconds", str(args.seconds),
            "--arrive", str(args.arrive)] + (["--class-code", args.class_code] if args.class_code else [])


async def run_browserless(args) -> None:
    """Browserless students in a process of their own, and ``--browsers`` Chromium students beside them."""
    with served(args) as server, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "students.json"
        command = [sys.executable, str(STUDENTS), "--url", server.url, *student_arguments(args), "--json", str(out)]
        for pid in server.pids:
            command += ["--server-pid", str(pid)]
        print("students:", " ".join(command[1:]), flush=True)
        students = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                        stderr=asyncio.subprocess.STDOUT)
        window = {"open": asyncio.Event(), "closed": asyncio.Event()}
        lines: list[str] = []

        async def follow() -> None:
            while line := await students.stdout.readline():
                text = line.decode(errors="replace").rstrip()
                lines.append(text)
                if text.startswith("WINDOW START"):
                    window["open"].set()
                elif text.startswith("WINDOW END"):
                    window["closed"].set()
            window["open"].set()
            window["closed"].set()

        follower = asyncio.create_task(follow())
        browser_report = None
        if args.browsers:
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                try:
                    browser_report = await browsers_beside(args, server, browser, window, students.pid)
                finally:
                    await browser.close()
        await students.wait()
        await follower
        report = json.loads(out.read_text()) if out.exists() else None
    print("\n".join(line for line in lines if not line.startswith("WINDOW")))
    if report is None:
        raise SystemExit(f"bench/students.py exited with {students.returncode} and no report")
    if browser_report:
        print(browser_report)
    if args.json:
        Path(args.json).write_text(json.dumps({"students": report, "browsers": browser_report}, indent=1))


async def browsers_beside(args, server: Served, browser, window: dict, students_pid: int) -> str:
    """K Chromium students drawing at the class's pace; their latencies counted inside the students' window."""
    pages = await open_pages(browser, server.url, args.browsers, "")
    students = [Student(n, page, digit="1" if n % 2 == 0 else "0") for n, page in enumerate(pages)]
    await asyncio.gather(*(draw_and_clear(s, 0.0, False, 0, None) for s in students))  # warm-up
    await window["open"].wait()
    started = time.monotonic()
    chromium_start = browser_cpu_seconds(None, *server.pids, students_pid)

    async def keep_drawing(s: Student) -> None:
        await asyncio.sleep(s.number * 0.3)
        while not window["closed"].is_set():
            cycle = time.monotonic()
            await draw_and_clear(s, args.think_ms / 1000, True, 0, None)
            if args.pace > 0:
                await asyncio.sleep(max(0.0, args.pace - (time.monotonic() - cycle)))

    await asyncio.gather(*(keep_drawing(s) for s in students))
    elapsed = time.monotonic() - started
    chromium = browser_cpu_seconds(None, *server.pids, students_pid) - chromium_start
    latencies = [ms for s in students for ms in s.latencies]
    wrong = [w for s in students for w in s.wrong]
    timeouts = sum(s.timeouts for s in students)
    errors = sum(await asyncio.gather(*(exceptions_on(s.page) for s in students)))
    return (f"  Chromium students ({args.browsers}, beside the others, in the same window): mouse-up -> guess on "
            f"screen p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
            f"n {len(latencies)}; errors: {errors} exception box(es), {len(wrong)} wrong, {timeouts} timeout(s); "
            f"Chromium and the Playwright driver used {chromium / elapsed:.2f} cores of this machine")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10, help="Chromium only: browser contexts drawing at once "
                                                                 "(default 10)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long they draw (default 60)")
    parser.add_argument("--think-ms", type=float, default=300.0,
                        help="pause between seeing a guess and clearing for the next drawing (default 300)")
    parser.add_argument("--train", type=int, default=0, metavar="M",
                        help="M students train a model: with --browserless or --mixed, M more browserless sessions; "
                             "else M of the Chromium students")
    parser.add_argument("--query", default="", help="the link the students open, after '?' (e.g. "
                                                      "'digits_tab=Saliency'); default: the page's defaults")
    parser.add_argument("--sessions", type=int, default=0, metavar="S",
                        help="instead: connect S sessions, draw once in each, check for errors")
    parser.add_argument("--play-all", action="store_true",
                        help="with --sessions: then all press Play at once, train --seconds, and pause")
    parser.add_argument("--browserless", type=int, default=0, metavar="N",
                        help="N browserless students drawing on /draw-digit (bench/students.py)")
    parser.add_argument("--playground", type=int, default=0, help="browserless students playing /playground")
    parser.add_argument("--moe", type=int, default=0, help="browserless students playing /moe")
    parser.add_argument("--boosting", type=int, default=0, help="browserless students moving /boosting's sliders")
    parser.add_argument("--mixed", action="store_true",
                        help="the mixed class: 10 drawing, 10 on /playground, 5 on /boosting, 5 on /moe")
    parser.add_argument("--pace", type=float, default=3.0,
                        help="browserless mode: seconds between one student's drawings (±20%%); 0: as fast as "
                             "answered (default 3)")
    parser.add_argument("--browsers", type=int, default=0, metavar="K",
                        help="browserless mode: K Chromium students drawing beside them (the end-to-end figure)")
    parser.add_argument("--arrive", type=float, default=2.0, help="browserless students connecting per second")
    parser.add_argument("--url", help="measure this running server (or balancer) instead of starting one")
    parser.add_argument("--server-pid", type=int, action="append",
                        help="with --url: a server process to meter with its children (repeat); default: the "
                             "process listening on the URL's port")
    parser.add_argument("--class-code", default=os.environ.get("CLASS_CODE", ""),
                        help="browserless mode: the code a class server asks for first (default: $CLASS_CODE)")
    parser.add_argument("--json", help="browserless mode: write the report here as JSON")
    args = parser.parse_args(argv)
    browserless = args.browserless or args.mixed or args.playground or args.moe or args.boosting
    asyncio.run(run_browserless(args) if browserless else run(args))


if __name__ == "__main__":
    main()
