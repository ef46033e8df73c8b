"""Browserless students: Streamlit's websocket protocol, spoken the way the browser speaks it, driven by Locust.

    python bench/students.py --url http://127.0.0.1:8501 --draw 30 --pace 3 --train 5 --seconds 60
    python bench/students.py --url URL --mixed --seconds 60 --json out.json [--server-pid PID ...]

Each student is a Locust ``User`` that holds one Streamlit session over one websocket, as one
browser tab does (``Session``):

- it loads the page and ``/_stcore/health`` over HTTP first (the XSRF cookie, and a balancer's
  affinity cookie, come from there), then opens ``/_stcore/stream`` with
  ``Sec-WebSocket-Protocol: streamlit, <XSRF token>`` and the cookies, as the browser does
  (``getSessionTokens`` in Streamlit 1.67's frontend);
- the first ``rerun_script`` carries the page name and the query string; later ones carry the
  page's ``page_script_hash`` (from ``navigation``), every widget value set so far (the browser
  resends its whole widget state each time), and the hashes of the cacheable messages it holds
  (the server then answers with ``ref_hash``; the client resolves them from its cache);
- widgets are found by key in the element protos (``$$ID-<hash>-<key>``); a widget's value goes
  in a rerun whose ``fragment_id`` is the fragment the widget was drawn in (the canvas), a button
  press is ``trigger_value`` sent once;
- live fragments: after ``auto_rerun{interval, fragment_id}`` it sends
  ``rerun_script(fragment_id, is_auto_rerun=true)`` every interval, answered or not, until a full
  run starts (``new_session`` without fragment ids) or ``stop_auto_rerun`` names the fragment:
  the browser's ``setInterval``.

What a student does:

- ``Drawer`` (/draw-digit): draws a 1 or a 0 (the canvas' stroke message, ``{"strokes": {...}}``
  as ``json_value``), waits for the "First guess" metric, looks for ``--think-ms``, presses the
  canvas' Clear (an empty stroke list) and waits for that run to end; one drawing every
  ``--pace`` seconds (±20 %), or as fast as answered with ``--pace 0``. Latency: from sending
  the strokes to receiving the delta that shows "First guess" with a value; a wrong digit is an
  error.
- ``Trainer`` (/draw-digit, "Train your own"), ``PlaygroundPlayer`` (/playground),
  ``MoEPlayer`` (/moe): press Play, keep the live fragments going, press Play again when a run
  ends. Counted: the live view's updates *delivered*: deltas received whose progress figure
  ("Batches trained", "Epoch", "Step n of m") differs from the last one received.
- ``BoostingSlider`` (/boosting): moves the "Trees summed" slider every ``--pace`` seconds and,
  every fourth move, the learning rate (a refit). Latency: from sending to the run's
  ``script_finished``.

Errors: exception elements, wrong guesses, answers missing after ``TIMEOUT_S``, disconnects,
"page not found". A student whose websocket closes reconnects after 1 s, as the browser does, with
the cookies it holds (a balancer's affinity cookie too) and gets a fresh session from the URL.

Behind a school (``scripts/school.py``) each session knows its process: the
``X-ML-Playground-Worker`` header of the websocket's handshake, else the affinity cookie
``ML_PLAYGROUND_WORKER``. The report then splits the guesses and errors by process
(``by_backend``), and its JSON keeps every student's timeline (``student_logs``: sessions opened,
drawings, errors, each with its ``time.monotonic()`` and process), which ``bench/school_scale.py``
reads to tell a killed process's students from the others.

Everything is counted inside one window that opens when every student has connected and done one
warm-up interaction. With ``--server-pid`` (or, without it, the process
listening on the URL's port), the server's CPU (its child processes included) and RSS are read
from ``/proc``; this process's own CPU is reported too.

Runs in-process on ``locust.env.Environment`` with the local runner (no web UI). Importing
Locust monkey-patches the process with gevent, so tests and ``bench/classroom.py`` run this
file as a subprocess; the protocol helpers above the ``Locust`` section import no gevent.
"""

from __future__ import annotations

if __name__ == "__main__":  # Locust needs gevent's monkey-patching before anything opens a socket
    from gevent import monkey

    monkey.patch_all()

import argparse
import json
import math
import os
import random
import re
import sys
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# ---------------------------------------------------------------------------------------------------------------
# Protocol helpers (no I/O, no gevent)
# ---------------------------------------------------------------------------------------------------------------

TIMEOUT_S = 30.0
"""An answer (a guess, a run's end) missing after this long counts as a timeout."""
SETUP_TIMEOUT_S = 300.0
"""How long the whole class may take to connect and warm up before the window opens anyway."""
GIVE_UP_ERRORS_PER_STUDENT = 3
"""Failures per student, while the class connects, after which the run gives up and reports."""
CACHE_ENTRIES = 300
"""Cacheable messages a session keeps (the browser keeps them for a few runs)."""

DIGIT_PAGE = "draw-digit"
CANVAS_KEY = "digits_canvas"
TRAIN_TAB_QUERY = "digits_tab=Train+your+own"
PEN_WIDTH = 18
CLASS_CODE_FIELD, CLASS_CODE_FORM = "class_code_field", "class_code_form"
"""The class code's text field and form (app/class_code.py)."""
AFFINITY_COOKIE, WORKER_HEADER = "ML_PLAYGROUND_WORKER", "X-ML-Playground-Worker"
"""A school's affinity cookie and the header naming the process that answered (scripts/school.py)."""


def _line(a, b, step: float = 6.0) -> list[list[float]]:
    n = max(1, int(math.dist(a, b) // step))
    return [[round(a[0] + (b[0] - a[0]) * i / n, 1), round(a[1] + (b[1] - a[1]) * i / n, 1)] for i in range(n + 1)]


def _polyline(points, step: float = 6.0) -> list[list[float]]:
    out: list[list[float]] = []
    for a, b in zip(points, points[1:], strict=False):
        out.extend(_line(a, b, step)[(1 if out else 0):])
    return out


DIGIT_STROKES = {
    "1": [_line((140, 50), (140, 230))],
    "0": [_polyline([(140 + 55 * math.cos(2 * math.pi * i / 24), 140 + 85 * math.sin(2 * math.pi * i / 24))
                     for i in range(25)])],
}
"""The strokes of ``tests/e2e/test_digits.py`` (a 1 and a 0) in canvas pixels, with a point every ~6 px, as
pointer moves would give them."""


def canvas_value(strokes: list[list[list[float]]], version: int, width: int = PEN_WIDTH) -> str:
    """What ``app/digits/components/draw_canvas.js`` sends when a stroke ends (or on Clear, with no strokes):
    the component's whole state, ``{"strokes": {"strokes": [{width, points}], "version": n}}``, as JSON."""
    return json.dumps({"strokes": {"strokes": [{"width": width, "points": s} for s in strokes], "version": version}},
                      separators=(",", ":"))


def widget_key(widget_id: str) -> str | None:
    """The user key of a widget id ``$$ID-<hash>-<key>`` (None for a widget without a key)."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "$$ID" else None


def element_widget(element) -> tuple[str, str, object] | None:
    """``(kind, id, proto)`` of an element that carries a widget id, else None."""
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    proto = getattr(element, kind)
    if "id" not in proto.DESCRIPTOR.fields_by_name or not proto.id:
        return None
    return kind, proto.id, proto


PROGRESS_METRICS = ("Batches trained", "Epoch")
"""Metric labels whose value is a live page's progress (a label may carry a prefix: "A Epoch")."""
STEP_TEXT = re.compile(r"\b(?:Step|Round) ([\d,]+) of\b")  # MoE's "Step n of m", the XGBoost page's "Round n of"


def progress_of(element) -> str | None:
    """The progress figure a live view shows in this element ("Batches trained", "Epoch", "Step n of m"), or None."""
    kind = element.WhichOneof("type")
    if kind == "metric":
        label = element.metric.label
        if any(label == name or label.endswith(" " + name) for name in PROGRESS_METRICS):
            return f"{label}={element.metric.body}"
    elif kind == "progress":
        match = STEP_TEXT.search(element.progress.text)
        if match:
            return f"Step={match.group(1)}"
    return None


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- /proc: CPU and memory of a process tree ---------------------------------------------------------------------

CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(roots: list[int]) -> list[int]:
    """The roots and all their descendants (Linux ``/proc``)."""
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children[int(_stat(int(entry.name))[1])].append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    seen, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo.extend(children.get(pid, []))
    return seen


@dataclass
class TreeMeter:
    """CPU seconds and RSS of a process tree, children that ended included (their CPU stays in ``cutime``)."""

    roots: list[int]
    _last: dict[int, float] = field(default_factory=dict)
    _gone: float = 0.0

    def cpu_seconds(self) -> float:
        """CPU used so far by the tree: live members' own time, plus what members that ended had used."""
        now: dict[int, float] = {}
        for pid in process_tree(self.roots):
            try:
                fields = _stat(pid)
            except (OSError, IndexError):
                continue
            now[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICK
        # A member that ended took its time with it, unless its parent reaped it (then it is in cutime; the
        # roots' cutime counts what ended below them). Keep what we last saw of those that vanished.
        self._gone += sum(cpu for pid, cpu in self._last.items() if pid not in now)
        self._last = now
        return sum(now.values()) + self._gone

    def rss_mb(self) -> float:
        total = 0
        for pid in process_tree(self.roots):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024


def listening_pids(port: int) -> list[int]:
    """Processes with a listening TCP socket on ``port`` (Linux ``/proc/net``; empty when none is ours to read)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    pids.append(int(entry.name))
                    break
        except OSError:
            continue
    return pids


def own_cpu_seconds() -> float:
    fields = _stat(os.getpid())
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


# ---------------------------------------------------------------------------------------------------------------
# What the class measured
# ---------------------------------------------------------------------------------------------------------------


class Results:
    """Everything the students measured, counted only inside the window."""

    def __init__(self) -> None:
        self.window_start: float | None = None
        self.window_end: float | None = None
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_examples: list[str] = []
        self.live: dict[str, list[dict]] = defaultdict(list)  # page -> one entry per playing session
        self.ready = 0
        self.sessions = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.logs: list[dict] = []  # one timeline per student (new_log)
        self.backend_latencies: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.backend_errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def new_log(self, student: str) -> dict:
        """A student's timeline: sessions ``[asked, ready, process]``, drawings ``[sent, ms, process]``,
        errors ``[t, kind, process]`` (``time.monotonic()``, the same clock in every process of this machine)."""
        log = {"student": student, "sessions": [], "drawings": [], "errors": []}
        self.logs.append(log)
        return log

    def in_window(self, t: float) -> bool:
        return self.window_start is not None and t >= self.window_start and (
            self.window_end is None or t <= self.window_end)

    def latency(self, name: str, started: float, ms: float, session: Session | None = None) -> None:
        backend = session.backend if session is not None else ""
        if session is not None and session.log is not None and name == "mouse-up -> guess":
            session.log["drawings"].append([started, round(ms, 1), backend])
        if self.in_window(started):
            self.latencies[name].append(ms)
            if backend:
                self.backend_latencies[backend][name].append(ms)
            _fire(name, ms)

    def count(self, name: str, t: float, n: int = 1) -> None:
        if self.in_window(t):
            self.counts[name] += n

    def error(self, kind: str, detail: str, t: float | None = None, session: Session | None = None,
              log: dict | None = None) -> None:
        backend = session.backend if session is not None else ""
        log = log if log is not None else (session.log if session is not None else None)
        if log is not None:
            log["errors"].append([time.monotonic() if t is None else t, kind, backend])
        if backend and self.in_window(time.monotonic() if t is None else t):
            self.backend_errors[backend][kind] += 1
        if t is None or self.in_window(t) or self.window_start is None:
            # before the window: still an error (a class that cannot connect is broken), counted apart
            key = kind if self.window_start is not None else f"{kind} (before the window)"
            if not self.errors[key]:
                print(f"first {key}: {detail[:300]}", file=sys.stderr, flush=True)
            self.errors[key] += 1
            if len(self.error_examples) < 20:
                self.error_examples.append(f"{key}: {detail[:300]}")
            _fire(kind, 0.0, detail)


RESULTS = Results()


def _fire(name: str, ms: float, error: str | None = None) -> None:
    """Tell Locust's statistics too (when running under Locust)."""
    env = _ENV.get("env")
    if env is not None:
        env.events.request.fire(request_type="WS", name=name, response_time=ms, response_length=0,
                                exception=RuntimeError(error) if error else None, context={})


_ENV: dict = {}

# ---------------------------------------------------------------------------------------------------------------
# One session over one websocket (gevent: imported with Locust)
# ---------------------------------------------------------------------------------------------------------------


class SessionClosed(Exception):
    """The websocket closed while a student waited on it."""


class Session:
    """One browser tab's Streamlit session: page load, websocket, reruns, auto-reruns, the elements it holds.

    A reader greenlet receives every ForwardMsg and stamps what matters on arrival (``time.monotonic()``);
    the student's greenlet waits on ``changed``. ``on_element(element, fragment_id, t)`` sees every element.
    """

    def __init__(self, base_url: str, page: str, query: str = "", on_element=None, class_code: str = "",
                 jar=None, log: dict | None = None) -> None:
        import gevent.event

        self.base_url = base_url.rstrip("/")
        self.page, self.query = page, query
        self.on_element = on_element
        self.class_code = class_code
        self.changed = gevent.event.Event()
        self.ws = None
        self.closed = False
        self.closing = False
        self.page_hash = ""
        self.widgets: dict[str, tuple[str, str, object, str]] = {}  # key -> (kind, id, proto, fragment_id)
        self.submit_buttons: dict[str, str] = {}  # form id -> the id of its submit button
        self.states: dict[str, object] = {}  # widget id -> WidgetState proto (values the browser holds)
        self.cache: OrderedDict[str, bytes] = OrderedDict()
        self.runs: dict[str, dict] = {}  # script_run_id -> {"started", "fragments", "finished", "status"}
        self.run_order: list[str] = []
        self.exceptions: list[str] = []
        self.timers: dict[str, tuple[float, object]] = {}  # fragment id -> (interval, greenlet)
        self.auto_reruns_sent = 0
        self.not_found = 0
        self._reader = None
        self.jar = jar
        """The browser's cookies (kept across reconnects: a balancer's affinity cookie); None: a fresh jar."""
        self.log = log
        """The student's timeline (``Results.new_log``), or None."""
        self.backend = ""
        """The school's process that owns this session (empty: a single server)."""

    # --- connecting ---------------------------------------------------------------------------------------------

    def open(self, timeout: float = SETUP_TIMEOUT_S) -> None:
        """Load the page as the browser does, open the websocket, request the first run and wait for its end."""
        import http.cookiejar
        import urllib.request

        import gevent
        import websocket

        opened = time.monotonic()
        jar = self.jar if self.jar is not None else http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        path = f"/{self.page}" + (f"?{self.query}" if self.query else "")
        for part in (path, "/_stcore/health", "/_stcore/host-config"):
            with opener.open(self.base_url + part, timeout=timeout) as response:
                response.read()
        cookies = {c.name: c.value for c in jar}
        token = cookies.get("_streamlit_xsrf") or "PLACEHOLDER_AUTH_TOKEN"
        ws_url = self.base_url.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        self.ws = websocket.create_connection(
            ws_url, timeout=timeout, subprotocols=["streamlit", token], origin=self.base_url,
            cookie="; ".join(f"{k}={v}" for k, v in cookies.items()), enable_multithread=True,
            skip_utf8_validation=True)
        self.ws.settimeout(None)
        headers = {k.lower(): v for k, v in (self.ws.getheaders() or {}).items()}
        self.backend = headers.get(WORKER_HEADER.lower()) or cookies.get(AFFINITY_COOKIE, "")
        self._reader = gevent.spawn(self._read)
        sent = self.rerun(first=True)
        if not self.wait_run_end(sent, timeout=timeout):
            raise TimeoutError(f"/{self.page}: the first run did not end within {timeout:.0f} s")
        if CLASS_CODE_FIELD in self.widgets:
            self._enter_class_code(timeout)
        if self.log is not None:
            self.log["sessions"].append([opened, time.monotonic(), self.backend])

    def _enter_class_code(self, timeout: float) -> None:
        """A class server asks for its code first (app/class_code.py): type it and press Enter, as a student does."""
        if not self.class_code:
            raise RuntimeError(f"/{self.page}: the server asks for a class code; give --class-code")
        field_id = self.widgets[CLASS_CODE_FIELD][1]
        self.set_state(CLASS_CODE_FIELD, string_value=self.class_code)
        submit = self.submit_buttons.get(CLASS_CODE_FORM)
        self.widgets.clear()
        sent = self.rerun(triggers=(submit,) if submit else ())

        def in_app() -> bool:  # a run after the submit (the gate reruns on the right code) that drew no gate
            return any(run["status"] == ForwardMsg.FINISHED_SUCCESSFULLY for run in
                       (self.runs[r] for r in self.run_order[sent[1]:])) and CLASS_CODE_FIELD not in self.widgets

        if not self.wait(in_app, timeout):
            raise RuntimeError(f"/{self.page}: the class code was not accepted")
        self.states.pop(field_id, None)

    def close(self) -> None:
        self.closing = True
        self._stop_timers()
        if self.ws is not None:
            try:
                self.ws.close(timeout=1)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        if self._reader is not None:
            self._reader.kill(block=False)
        self.closed = True
        self.changed.set()

    # --- sending ------------------------------------------------------------------------------------------------

    def rerun(self, fragment_id: str = "", triggers: tuple[str, ...] = (), auto: bool = False,
              first: bool = False) -> tuple[float, int]:
        """Send one ``rerun_script``; returns ``(send time, index of the next run)`` for :meth:`wait_run_end`."""
        if self.closed:
            raise SessionClosed(self.page)
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query
        if first:
            rs.page_name = self.page
        else:
            rs.page_script_hash = self.page_hash
        if fragment_id:
            rs.fragment_id = fragment_id
        rs.is_auto_rerun = auto
        for state in self.states.values():
            rs.widget_states.widgets.add().CopyFrom(state)
        for widget_id in triggers:
            trigger = rs.widget_states.widgets.add()
            trigger.id, trigger.trigger_value = widget_id, True
        rs.cached_message_hashes.extend(self.cache.keys())
        info = rs.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")
        info.color_scheme = "light"
        index, t = len(self.run_order), time.monotonic()
        self.ws.send_binary(msg.SerializeToString())
        return t, index

    def set_state(self, key: str, **value) -> str:
        """Hold a widget value (as the browser's widget manager does); returns the widget's fragment id."""
        kind, widget_id, _proto, fragment_id = self.widgets[key]
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=widget_id)
        for name, v in value.items():
            if name.endswith("_array_value"):
                getattr(state, name).data.extend(v)
            else:
                setattr(state, name, v)
        self.states[widget_id] = state
        return fragment_id

    def press(self, key: str) -> tuple[float, int]:
        """Press a button: ``trigger_value`` once, in a rerun of the button's fragment (none: the whole page)."""
        _kind, widget_id, _proto, fragment_id = self.widgets[key]
        return self.rerun(fragment_id=fragment_id, triggers=(widget_id,))

    # --- waiting ------------------------------------------------------------------------------------------------

    def wait(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate()`` holds (checked after every message); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if self.closed:
                raise SessionClosed(self.page)
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            if predicate():
                return True
            self.changed.wait(left)

    def run_after(self, index: int, fragment_id: str = "") -> dict | None:
        """The first run that started after the request (runs index and later) for this fragment (or a full run)."""
        for run_id in self.run_order[index:]:
            run = self.runs[run_id]
            if run["fragments"] == ([fragment_id] if fragment_id else []):
                return run
        return None

    def wait_run_end(self, sent: tuple[float, int], fragment_id: str = "", timeout: float = TIMEOUT_S) -> bool:
        """Wait for the end of the run that answers a request (sent by :meth:`rerun`)."""
        def done() -> bool:
            run = self.run_after(sent[1], fragment_id)
            return run is not None and run["finished"] is not None
        return self.wait(done, timeout)

    # --- receiving ----------------------------------------------------------------------------------------------

    def _read(self) -> None:
        import websocket

        reason = None
        try:
            while True:
                data = self.ws.recv()
                t = time.monotonic()
                if not isinstance(data, bytes):  # "" once the socket closed; the protocol is binary only
                    reason = f"a text frame: {data[:80]!r}" if data else "closed by the server"
                    break
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg, data, t)
                self.changed.set()
        except (websocket.WebSocketException, OSError) as err:
            reason = repr(err)
        finally:
            self.closed = True
            if reason and not self.closing:
                RESULTS.error("disconnect", f"/{self.page}: {reason}", time.monotonic(), self)
            self._stop_timers()
            self.changed.set()

    def _handle(self, msg: ForwardMsg, data: bytes, t: float) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                RESULTS.error("protocol", f"/{self.page}: ref_hash {msg.ref_hash} not in the cache", t, self)
                return
            self.cache.move_to_end(msg.ref_hash)
            full = ForwardMsg()
            full.ParseFromString(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = data
            while len(self.cache) > CACHE_ENTRIES:
                self.cache.popitem(last=False)
        if kind == "delta":
            delta = msg.delta
            which = delta.WhichOneof("type")
            if which == "new_element":
                element = delta.new_element
                widget = element_widget(element)
                if widget is not None:
                    key = widget_key(widget[1])
                    if key:
                        self.widgets[key] = (*widget, delta.fragment_id)
                    if widget[0] == "button" and widget[2].is_form_submitter:
                        self.submit_buttons[widget[2].form_id] = widget[1]
                if element.WhichOneof("type") == "exception":
                    self.exceptions.append(element.exception.message)
                    RESULTS.error("exception", f"/{self.page}: {element.exception.type}: "
                                  f"{element.exception.message}", t, self)
                if self.on_element is not None:
                    self.on_element(element, delta.fragment_id, t)
        elif kind == "new_session":
            run_id = msg.metadata.run.script_run_id
            fragments = list(msg.metadata.run.fragment_ids)
            self.runs[run_id] = {"started": t, "fragments": fragments, "finished": None, "status": None}
            self.run_order.append(run_id)
            if not fragments:  # a full run: the browser clears every auto-rerun timer
                self._stop_timers()
        elif kind == "script_finished":
            run = self.runs.get(msg.metadata.run.script_run_id)
            if run is not None:
                run["finished"], run["status"] = t, msg.script_finished
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment_id)
        elif kind == "page_not_found":
            self.not_found += 1
            RESULTS.error("page not found", f"/{self.page}: {msg.page_not_found.page_name}", t, self)

    # --- the browser's setInterval per live fragment ------------------------------------------------------------

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        import gevent

        if not fragment_id:
            return
        current = self.timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return
        self._stop_timer(fragment_id)

        def tick() -> None:
            due = time.monotonic() + interval
            while not self.closed:
                gevent.sleep(max(0.0, due - time.monotonic()))
                due += interval
                if time.monotonic() > due:  # fell behind (a busy client): skip, as a throttled timer does
                    due = time.monotonic() + interval
                try:
                    self.rerun(fragment_id=fragment_id, auto=True)
                    self.auto_reruns_sent += 1
                except Exception:  # noqa: BLE001 - the reader notices the closed socket
                    return

        self.timers[fragment_id] = (interval, gevent.spawn(tick))

    def _stop_timer(self, fragment_id: str) -> None:
        timer = self.timers.pop(fragment_id, None)
        if timer is not None:
            timer[1].kill(block=False)

    def _stop_timers(self) -> None:
        for fragment_id in list(self.timers):
            self._stop_timer(fragment_id)


# ---------------------------------------------------------------------------------------------------------------
# What each student does (plain functions on a Session; the Locust users below call them)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Settings:
    pace: float = 3.0
    think_s: float = 0.3
    class_code: str = ""


SETTINGS = Settings()


class Drawing:
    """A student at the canvas: draw, wait for the guess, look, Clear."""

    def __init__(self, session_factory, number: int) -> None:
        self.digit = "1" if number % 2 == 0 else "0"
        self.version = 0
        self.guess: tuple[float, str] | None = None
        self.watch_from: float | None = None
        self.session: Session = session_factory(DIGIT_PAGE, "", self._on_element)

    def _on_element(self, element, fragment_id: str, t: float) -> None:
        if (self.watch_from is not None and self.guess is None and element.WhichOneof("type") == "metric"
                and element.metric.label == "First guess" and element.metric.body):
            self.guess = (t, element.metric.body)

    def _send_strokes(self, strokes) -> tuple[float, int, str]:
        self.version += 1
        fragment = self.session.set_state(CANVAS_KEY, json_value=canvas_value(strokes, self.version))
        t, index = self.session.rerun(fragment_id=fragment)
        return t, index, fragment

    def cycle(self) -> None:
        """One drawing and its Clear; records the latency, a wrong guess or a timeout."""
        s = self.session
        self.guess, self.watch_from = None, time.monotonic()
        t0, index, fragment = self._send_strokes(DIGIT_STROKES[self.digit])
        self.watch_from = t0
        if s.wait(lambda: self.guess is not None, TIMEOUT_S):
            t, value = self.guess
            RESULTS.latency("mouse-up -> guess", t0, 1000 * (t - t0), s)
            if value != self.digit:
                RESULTS.error("wrong guess", f"drew {self.digit}, the page guessed {value}", t0, s)
            RESULTS.count("drawings", t0)
        else:
            RESULTS.error("timeout", f"no guess {TIMEOUT_S:.0f} s after drawing a {self.digit}", t0, s)
        s.wait_run_end((t0, index), fragment, TIMEOUT_S)
        self.watch_from = None
        _sleep(SETTINGS.think_s)
        t1, index, fragment = self._send_strokes([])
        if not s.wait_run_end((t1, index), fragment, TIMEOUT_S):
            RESULTS.error("timeout", f"Clear: its run did not end within {TIMEOUT_S:.0f} s", t1, s)
        self.digit = "0" if self.digit == "1" else "1"


class Playing:
    """A student who presses Play on a live page, keeps its fragments going and presses Play again when a run ends."""

    def __init__(self, session_factory, page: str, query: str, play_key: str) -> None:
        self.page, self.play_key = page, play_key
        self.last: str | None = None
        self.updates: list[float] = []  # arrival times of delivered updates (distinct progress values)
        self.runs = 0
        self.pressed_at = 0.0
        self.session: Session = session_factory(page, query, self._on_element)

    def _on_element(self, element, fragment_id: str, t: float) -> None:
        value = progress_of(element)
        if value is not None and value != self.last:
            self.last = value
            self.updates.append(t)

    def play_enabled(self) -> bool:
        widget = self.session.widgets.get(self.play_key)
        return widget is not None and not widget[2].disabled

    def press_play(self) -> None:
        s = self.session
        if not s.wait(lambda: self.play_key in s.widgets, TIMEOUT_S):
            raise RuntimeError(f"/{self.page}: no '{self.play_key}' button")
        sent = s.press(self.play_key)
        self.pressed_at = sent[0]
        self.runs += 1
        RESULTS.count(f"{self.page} Play pressed", sent[0])
        if not s.wait_run_end(sent, s.widgets[self.play_key][3], TIMEOUT_S):
            RESULTS.error("timeout", f"/{self.page}: Play's run did not end within {TIMEOUT_S:.0f} s", sent[0])

    def warm_up(self) -> None:
        self.press_play()
        n = len(self.updates)
        self.session.wait(lambda: len(self.updates) > n, 120.0)

    def keep_playing(self, seconds: float) -> None:
        """Let the fragments run; press Play again when a run has ended (the button is enabled again)."""
        s = self.session
        if s.wait(self.play_enabled, seconds) and time.monotonic() - self.pressed_at > 1.0:
            self.press_play()


class Sliding:
    """A student scrubbing the boosting page's "Trees summed" slider, and now and then the learning rate."""

    STAGE, RATE = "boosting_stage", "boosting_learning_rate"

    def __init__(self, session_factory) -> None:
        self.moves = 0
        self.session: Session = session_factory("boosting", "", None)

    def move(self) -> None:
        s = self.session
        key = self.RATE if self.moves % 4 == 3 and self.RATE in s.widgets else self.STAGE
        _kind, _id, proto, _fragment = s.widgets[key]
        if key == self.STAGE:
            value = float(random.randint(int(proto.min), int(proto.max)))
            name = "boosting: move 'Trees summed'"
        else:
            steps = round((proto.max - proto.min) / proto.step)
            value = round(proto.min + proto.step * random.randint(0, steps), 4)
            name = "boosting: move the learning rate (refit)"
        fragment = s.set_state(key, double_array_value=[value])
        sent = s.rerun(fragment_id=fragment)
        self.moves += 1
        if s.wait_run_end(sent, fragment, TIMEOUT_S):
            run = s.run_after(sent[1], fragment)
            RESULTS.latency(name, sent[0], 1000 * (run["finished"] - sent[0]))
            RESULTS.count("slider moves", sent[0])
        else:
            RESULTS.error("timeout", f"boosting: the run after a slider move did not end within {TIMEOUT_S:.0f} s",
                          sent[0])


def _sleep(seconds: float) -> None:
    import gevent

    gevent.sleep(seconds)


# ---------------------------------------------------------------------------------------------------------------
# Locust
# ---------------------------------------------------------------------------------------------------------------

PLAYERS = {
    "train": (DIGIT_PAGE, TRAIN_TAB_QUERY, "digits_train_play"),
    "playground": ("playground", "", "playground_play"),
    "moe": ("moe", "", "moe_play"),
    # a learning rate of 0.02 makes a Bank Marketing run last (about 500 rounds) instead of stopping in 4 s
    "tabular": ("tabular", "tabular_learning_rate=0.02", "tabular_play"),
}
"""Live pages: (page, query, key of the Play button)."""


def user_classes(counts: dict[str, int]):
    """Locust user classes with ``fixed_count`` set: drawers, trainers, players and slider students."""
    from locust import User, constant, task

    class Student(User):
        abstract = True
        wait_time = constant(0)
        number = 0

        def _session(self, page: str, query: str, on_element) -> Session:
            return Session(self.host, page, query, on_element, SETTINGS.class_code, jar=self.jar, log=self.log)

        def on_start(self) -> None:
            import http.cookiejar

            type(self).number += 1
            self.jar = http.cookiejar.CookieJar()  # the browser's cookies, kept when it reconnects
            self.log = RESULTS.new_log(f"{type(self).__name__} {type(self).number}")
            self.me = None
            self.warmed = False
            RESULTS.sessions += 1

        def _connect(self) -> None:
            raise NotImplementedError

        def _act(self) -> None:
            raise NotImplementedError

        @task
        def act(self) -> None:
            """Connect (again, after a disconnect: the browser reconnects), then one interaction."""
            try:
                if self.me is None or self.me.session.closed:
                    if self.me is not None:
                        self.me.session.close()
                        _sleep(1.0)  # the browser shows "Connecting" and tries again
                    self.me = None
                    try:
                        self._connect()
                    except BaseException:
                        if self.me is not None:
                            self.me.session.close()
                            self.me = None
                        raise
                self._act()
                if not self.warmed:
                    self.warmed = True
                    RESULTS.ready += 1
            except SessionClosed:
                return
            except Exception as err:  # noqa: BLE001 - a student's failure is a measured error, not a crash
                RESULTS.error("client", f"{type(self).__name__}: {err!r}", time.monotonic(), log=self.log)
                _sleep(2.0)

        def on_stop(self) -> None:
            if self.me is not None:
                self.me.session.close()

    class Drawer(Student):
        fixed_count = counts.get("draw", 0)

        def _connect(self) -> None:
            self.me = Drawing(self._session, type(self).number)
            self.me.session.open()

        def _act(self) -> None:
            started = time.monotonic()
            self.me.cycle()
            if SETTINGS.pace > 0:
                _sleep(max(0.0, SETTINGS.pace * random.uniform(0.8, 1.2) - (time.monotonic() - started)))

    def player(kind: str):
        page, query, play_key = PLAYERS[kind]

        class Player(Student):
            fixed_count = counts.get(kind, 0)

            def _connect(self) -> None:
                self.me = Playing(self._session, page, query, play_key)
                self.me.session.open()
                self.me.warm_up()
                LIVE.append(self.me)

            def _act(self) -> None:
                self.me.keep_playing(1.0)

        Player.__name__ = f"{kind.capitalize()}Player"
        return Player

    class Slider(Student):
        fixed_count = counts.get("boosting", 0)

        def _connect(self) -> None:
            self.me = Sliding(self._session)
            self.me.session.open()

        def _act(self) -> None:
            started = time.monotonic()
            self.me.move()
            _sleep(max(0.0, max(SETTINGS.pace, 1.0) * random.uniform(0.8, 1.2) - (time.monotonic() - started)))

    classes = [Drawer, player("train"), player("playground"), player("moe"), player("tabular"), Slider]
    return [c for c in classes if c.fixed_count > 0]


LIVE: list[Playing] = []


def run_class(url: str, counts: dict[str, int], seconds: float, server_pids: list[int] | None = None,
              arrive_per_s: float = 2.0, announce=print) -> dict:
    """Connect the class, warm it up, measure for ``seconds``, and return the report (a dict)."""
    import gevent
    from locust.env import Environment

    total = sum(counts.values())
    classes = user_classes(counts)
    env = Environment(user_classes=classes, host=url.rstrip("/"))
    _ENV["env"] = env
    runner = env.create_local_runner()
    if server_pids is None:
        port = int(url.rstrip("/").rsplit(":", 1)[1]) if url.count(":") == 2 else 80
        server_pids = listening_pids(port)
    server = TreeMeter(server_pids) if server_pids else None
    connect_started = time.monotonic()
    runner.start(total, spawn_rate=arrive_per_s)
    deadline = connect_started + SETUP_TIMEOUT_S
    while RESULTS.ready < total and time.monotonic() < deadline:
        gevent.sleep(0.2)
        if RESULTS.errors.get("client (before the window)", 0) >= GIVE_UP_ERRORS_PER_STUDENT * total:
            break  # the students cannot get in (a class code missing, a page that fails): report it now
    connected_s = time.monotonic() - connect_started
    if RESULTS.ready < total:
        RESULTS.error("setup", f"only {RESULTS.ready} of {total} students were ready after {connected_s:.0f} s")
    load_start = os.getloadavg()
    rss = [server.rss_mb()] if server else []
    cpu0 = server.cpu_seconds() if server else 0.0
    own0 = own_cpu_seconds()
    ticks0 = {id(p): p.session.auto_reruns_sent for p in LIVE}
    RESULTS.window_start = time.monotonic()
    announce(f"WINDOW START {time.time():.3f}", flush=True)
    end = RESULTS.window_start + seconds
    while time.monotonic() < end:
        gevent.sleep(min(1.0, end - time.monotonic()))
        if server:
            rss.append(server.rss_mb())
            server.cpu_seconds()  # notice children that come and go
    RESULTS.window_end = time.monotonic()
    elapsed = RESULTS.window_end - RESULTS.window_start
    cpu = (server.cpu_seconds() - cpu0) if server else float("nan")
    own = own_cpu_seconds() - own0
    announce(f"WINDOW END {time.time():.3f}", flush=True)
    load_end = os.getloadavg()
    for p in LIVE:
        inside = [t for t in p.updates if RESULTS.window_start <= t <= RESULTS.window_end]
        RESULTS.live[p.page + (" (train your own)" if p.play_key == "digits_train_play" else "")].append({
            "updates": len(inside), "per_s": len(inside) / elapsed, "runs": p.runs,
            "auto_reruns_sent": p.session.auto_reruns_sent - ticks0.get(id(p), 0)})
    runner.quit()
    _ENV.pop("env", None)
    return report(counts, elapsed, connected_s, cpu, own, rss, load_start, load_end, server_pids)


def report(counts, elapsed, connected_s, cpu, own, rss, load_start, load_end, server_pids) -> dict:
    interactions = {name: {"n": len(v), "p50_ms": percentile(v, 0.5), "p95_ms": percentile(v, 0.95),
                           "max_ms": max(v)} for name, v in RESULTS.latencies.items() if v}
    live = {page: {"sessions": len(v), "updates_per_s_mean": sum(e["per_s"] for e in v) / len(v),
                   "updates_per_s_min": min(e["per_s"] for e in v), "updates_per_s_max": max(e["per_s"] for e in v),
                   "updates": sum(e["updates"] for e in v),
                   "auto_reruns_sent": sum(e["auto_reruns_sent"] for e in v),
                   "runs_started": sum(e["runs"] for e in v)} for page, v in RESULTS.live.items()}
    by_backend = {b: {"interactions": {name: {"n": len(v), "p50_ms": percentile(v, 0.5), "p95_ms": percentile(v, 0.95)}
                                       for name, v in RESULTS.backend_latencies.get(b, {}).items() if v},
                      "errors": dict(RESULTS.backend_errors.get(b, {}))}
                  for b in sorted(set(RESULTS.backend_latencies) | set(RESULTS.backend_errors))}
    n_interactions = sum(len(v) for v in RESULTS.latencies.values())
    n_updates = sum(e["updates"] for v in RESULTS.live.values() for e in v)
    n_ticks = sum(e["auto_reruns_sent"] for v in RESULTS.live.values() for e in v)
    return {
        "students": counts, "window_s": elapsed, "connected_s": connected_s, "pace_s": SETTINGS.pace,
        "load_avg_start": load_start, "load_avg_end": load_end,
        "interactions": interactions, "live": live, "counts": dict(RESULTS.counts),
        "errors": dict(RESULTS.errors), "error_examples": RESULTS.error_examples,
        "by_backend": by_backend, "window_monotonic": [RESULTS.window_start, RESULTS.window_end],
        "student_logs": RESULTS.logs,
        "server": {"pids": server_pids, "cpu_s": cpu, "cores": cpu / elapsed,
                   "cpu_ms_per_interaction": 1000 * cpu / n_interactions if n_interactions else None,
                   "cpu_ms_per_interaction_or_update": (1000 * cpu / (n_interactions + n_updates)
                                                        if n_interactions + n_updates else None),
                   "cpu_ms_per_auto_rerun_request": 1000 * cpu / n_ticks if n_ticks and not n_interactions
                   else None,
                   "rss_mb_start": rss[0] if rss else None, "rss_mb_end": rss[-1] if rss else None,
                   "rss_mb_max": max(rss) if rss else None},
        "client": {"cpu_s": own, "cores": own / elapsed, "sessions": sum(counts.values())},
    }


def format_report(r: dict) -> str:
    """The report as a few lines of text."""
    lines = [f"{sum(r['students'].values())} sessions {r['students']}, pace {r['pace_s']:g} s, window "
             f"{r['window_s']:.0f} s (connected and warmed up in {r['connected_s']:.0f} s); load average "
             f"{r['load_avg_start'][0]:.1f} at the start, {r['load_avg_end'][0]:.1f} at the end"]
    for name, v in r["interactions"].items():
        lines.append(f"  {name}: n {v['n']}, p50 {v['p50_ms']:.0f} ms, p95 {v['p95_ms']:.0f} ms, "
                     f"max {v['max_ms']:.0f} ms")
    for page, v in r["live"].items():
        lines.append(f"  /{page}: {v['sessions']} playing, updates delivered per second to each: mean "
                     f"{v['updates_per_s_mean']:.2f} (min {v['updates_per_s_min']:.2f}, max "
                     f"{v['updates_per_s_max']:.2f}); {v['updates']} delivered of {v['auto_reruns_sent']} "
                     f"auto-rerun requests sent; {v['runs_started']} Play press(es)")
    for backend, v in r.get("by_backend", {}).items():
        lines.append(f"  process {backend}: " + "; ".join(
            f"{name}: n {i['n']}, p50 {i['p50_ms']:.0f} ms, p95 {i['p95_ms']:.0f} ms"
            for name, i in v["interactions"].items()) + f"; errors {v['errors'] or 'none'}")
    s = r["server"]
    if s["pids"]:
        per = s["cpu_ms_per_interaction"]
        lines.append(f"  server (pids {s['pids']} and children): {s['cpu_s']:.1f} s CPU = {s['cores']:.2f} cores; "
                     + (f"{per:.0f} ms per interaction; " if per else "")
                     + (f"{s['cpu_ms_per_interaction_or_update']:.0f} ms per interaction or live update delivered; "
                        if s["cpu_ms_per_interaction_or_update"] else "")
                     + (f"{s['cpu_ms_per_auto_rerun_request']:.0f} ms per auto-rerun request; "
                        if s["cpu_ms_per_auto_rerun_request"] else "")
                     + f"RSS {s['rss_mb_start']:.0f} MB at the start, max {s['rss_mb_max']:.0f} MB, "
                     f"{s['rss_mb_end']:.0f} MB at the end")
    lines.append(f"  errors: {r['errors'] or 'none'}" + "".join(f"\n    {e}" for e in r["error_examples"][:8]))
    c = r["client"]
    lines.append(f"  this client: {c['cpu_s']:.1f} s CPU for {c['sessions']} sessions = {c['cores']:.3f} cores")
    return "\n".join(lines)


MIXED = {"draw": 10, "playground": 10, "boosting": 5, "moe": 5}
"""The mixed class of issue 13: 10 drawing, 10 on the decision-boundary page, 5 on boosting, 5 on MoE."""


def parse_counts(args) -> dict[str, int]:
    if args.mixed:
        return {**MIXED, **({"train": args.train} if args.train else {})}
    counts = {"draw": args.draw, "train": args.train, "playground": args.playground, "moe": args.moe,
              "boosting": args.boosting, "tabular": args.tabular}
    return {k: v for k, v in counts.items() if v}


def add_class_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--draw", type=int, default=0, help="students drawing on /draw-digit")
    parser.add_argument("--train", type=int, default=0, help="students training on /draw-digit's Train your own")
    parser.add_argument("--playground", type=int, default=0, help="students playing /playground (Play)")
    parser.add_argument("--moe", type=int, default=0, help="students playing /moe (Play)")
    parser.add_argument("--boosting", type=int, default=0, help="students moving /boosting's sliders")
    parser.add_argument("--tabular", type=int, default=0, help="students playing /tabular (Play, Bank Marketing)")
    parser.add_argument("--mixed", action="store_true", help=f"the mixed class: {MIXED}")
    parser.add_argument("--pace", type=float, default=3.0,
                        help="seconds between one student's drawings or slider moves (±20%%); 0: as fast as answered")
    parser.add_argument("--think-ms", type=float, default=300.0, help="look at a guess this long before Clear")
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window (default 60)")
    parser.add_argument("--arrive", type=float, default=2.0, help="students connecting per second (default 2)")
    parser.add_argument("--class-code", default=os.environ.get("CLASS_CODE", ""),
                        help="the code a class server asks for first (default: $CLASS_CODE)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server (or balancer), e.g. http://127.0.0.1:8501")
    add_class_arguments(parser)
    parser.add_argument("--server-pid", type=int, action="append",
                        help="a server process to meter with its children (repeat); default: the port's listener")
    parser.add_argument("--json", help="also write the report here as JSON")
    args = parser.parse_args(argv)
    counts = parse_counts(args)
    if not counts:
        parser.error("no students: give --draw, --train, --playground, --moe, --boosting, --tabular or --mixed")
    SETTINGS.pace, SETTINGS.think_s, SETTINGS.class_code = args.pace, args.think_ms / 1000, args.class_code
    import locust  # noqa: F401 - monkey-patches with gevent before anything opens a socket

    result = run_class(args.url, counts, args.seconds, args.server_pid, args.arrive)
    print(format_report(result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
