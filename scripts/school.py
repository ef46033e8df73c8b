"""A school: several Streamlit processes behind HAProxy, with a supervisor that restarts a dead one.

One Streamlit process uses about one core at most (every session shares its GIL), so a
school runs ``WORKERS`` of them on loopback ports and puts HAProxy in front:

- **Session affinity by cookie.** HAProxy inserts a cookie (``ML_PLAYGROUND_WORKER``) naming the
  process that served a browser's first request; the page's websocket, its uploads and its media
  requests carry it and reach the process that owns the session (Streamlit keeps uploads and
  media in the process's memory).
- **Websockets** (``/_stcore/stream``) pass through HAProxy's HTTP mode; ``timeout tunnel``
  keeps an idle class connected.
- **Health checks** on ``/_stcore/health`` every second: a process is marked down after two
  failures and up after two answers. ``option redispatch`` sends a request whose process is gone
  (or not yet marked down) to another one, and the cookie is rewritten: the student's browser
  shows Streamlit's reconnect message and gets a fresh session there; the page comes back from
  its URL.
- **A supervisor** (this module) restarts a process that exits, on the same port, with a back-off
  when it keeps dying. The restarted process stays in HAProxy's maintenance state until its first
  session, the supervisor's own, has run (``ML_PLAYGROUND_WARM_UP``: that run loads every page's
  imports and the model, see ``app/warm_up.py``); then HAProxy puts it back once it answers its
  health check. The others keep serving meanwhile, and no student waits for a cold process.

Each process is started through ``scripts/run_app.sh`` on 127.0.0.1, so it gets the settings one
server would (class mode when the balancer's ADDRESS is not loopback, the upload cap, the class
code), and its share of the training slots (``ML_PLAYGROUND_TRAINING_SLOTS``: the school's total,
default cores − 1, divided between the processes, at least one each).

Command line (``bash scripts/serve_school.sh`` runs this with the project's set-up)::

    python scripts/school.py [--workers N] [--port 8501] [--address localhost] [--app PATH]

It prints ``READY <url>`` on a line of its own once every process answers through the
balancer (a benchmark can wait for that line) and stops everything on Ctrl+C or SIGTERM.

From Python (a benchmark, a test)::

    from scripts.school import school
    with school(workers=2) as s:      # free ports on 127.0.0.1; s.url, str(s) == s.url
        ...                          # s.backends, s.kill(0), s.status(), s.wait_status(...)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_APP = "streamlit_app.py"
COOKIE = "ML_PLAYGROUND_WORKER"
"""The affinity cookie HAProxy inserts: the name of the process that owns the browser's session."""
BACKEND = "streamlit"
"""HAProxy's backend name (its servers are ``w1`` … ``wN``)."""
HEALTH_PATH = "/_stcore/health"
SLOTS_ENV = "ML_PLAYGROUND_TRAINING_SLOTS"
START_TIMEOUT_S = 90.0
SUPERVISE_INTERVAL_S = 0.5
MAX_BACKOFF_S = 30.0
STOP_GRACE_S = 10.0
WARM_UP_ENV = "ML_PLAYGROUND_WARM_UP"
WARM_UP_TIMEOUT_S = 120.0


class SchoolError(RuntimeError):
    """HAProxy is missing, or a process did not start; the message says which and why."""


# --------------------------------------------------------------------------- settings


def app_entry(root: Path = ROOT) -> str:
    """The entry script: ``$APP_ENTRY``, else the one ``scripts/setup.sh`` defines, else streamlit_app.py."""
    from_env = os.environ.get("APP_ENTRY", "").strip()
    if from_env:
        return from_env
    setup = root / "scripts" / "setup.sh"
    text = setup.read_text() if setup.exists() else ""
    match = re.search(r"^\s*(?:export\s+)?APP_ENTRY=(\S+)", text, flags=re.MULTILINE)
    if match:
        value = match.group(1).strip("\"'")
        default = re.fullmatch(r"\$\{APP_ENTRY:-(.+)\}", value)  # APP_ENTRY="${APP_ENTRY:-app/main.py}"
        value = default.group(1).strip("\"'") if default else value
        if value and "$" not in value:
            return value
    return DEFAULT_APP


def default_workers() -> int:
    """``$WORKERS`` if set, else one process per CPU core."""
    raw = os.environ.get("WORKERS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError as exc:
            raise SchoolError(f"WORKERS must be a whole number, not {raw!r}") from exc
    return os.cpu_count() or 1


def slot_shares(workers: int, total: int | None = None) -> list[int]:
    """Split the school's training slots between its processes, at least one each.

    ``total`` defaults to ``ML_PLAYGROUND_TRAINING_SLOTS`` when set, else cores − 1 (at least 1),
    the same default one server uses alone: the machine's cores are what is being shared.
    """
    if total is None:
        raw = os.environ.get(SLOTS_ENV, "").strip()
        try:
            total = int(raw) if raw else (os.cpu_count() or 2) - 1
        except ValueError:
            total = (os.cpu_count() or 2) - 1
    total = max(1, total)
    base, extra = divmod(total, workers)
    return [max(1, base + (1 if i < extra else 0)) for i in range(workers)]


def is_loopback(address: str) -> bool:
    return address in ("localhost", "::1", "[::1]") or address.startswith("127.")


def class_mode_for(address: str, env: Mapping[str, str] | None = None) -> str:
    """``CLASS_MODE`` for every process of a school that listens on ``address`` (run_app.sh's meaning).

    The processes themselves listen on 127.0.0.1, where run_app.sh's ``auto`` would turn class mode
    off; what matters is where the balancer listens. ``CLASS_MODE=1`` or ``0`` in the environment wins.
    """
    chosen = (os.environ if env is None else env).get("CLASS_MODE", "auto").strip() or "auto"
    if chosen in ("0", "1"):
        return chosen
    return "0" if is_loopback(address) else "1"


def find_haproxy() -> str | None:
    """The haproxy executable (PATH, then /usr/sbin where Debian puts it), or None."""
    return shutil.which("haproxy") or next(
        (path for path in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(path, os.X_OK)), None
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def healthy(url: str, timeout: float = 2.0, headers: Mapping[str, str] | None = None) -> bool:
    request = urllib.request.Request(f"{url}{HEALTH_PATH}", headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


# --------------------------------------------------------------------------- HAProxy config


def warm(url: str, timeout: float = WARM_UP_TIMEOUT_S, stopping: threading.Event | None = None) -> float | None:
    """Open one session on the process at ``url`` and wait for its first run to end (see app/warm_up.py).

    Returns the seconds from its health answer to the end of that run, or None when it did not answer
    or the run did not end within ``timeout``.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    deadline = time.monotonic() + timeout
    while not healthy(url, timeout=1.0):
        if time.monotonic() > deadline or (stopping is not None and stopping.is_set()):
            return None
        time.sleep(0.25)
    started = time.monotonic()
    token = os.urandom(16).hex()
    try:
        with connect(url.replace("http://", "ws://", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                     additional_headers={"Cookie": f"_streamlit_xsrf={token}"}, open_timeout=10,
                     close_timeout=2, max_size=None) as ws:
            first = BackMsg()
            first.rerun_script.query_string = ""
            first.rerun_script.page_name = ""
            ws.send(first.SerializeToString())
            while True:
                message = ForwardMsg()
                message.ParseFromString(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                if message.WhichOneof("type") == "script_finished":
                    return time.monotonic() - started
    except Exception:  # noqa: BLE001 - any failure: not warmed, put it back in the rotation anyway
        return None


def haproxy_config(
    backends: list[tuple[str, int]],
    *,
    address: str,
    port: int,
    stats_socket: Path | None = None,
) -> str:
    """HAProxy's configuration for a school: ``backends`` are (name, loopback port) pairs."""
    bind_host = "" if address in ("", "0.0.0.0", "*") else ("127.0.0.1" if address == "localhost" else address)
    bind = f"[{bind_host}]:{port}" if ":" in bind_host else f"{bind_host}:{port}"
    stats = f"    stats socket {stats_socket} mode 600 level admin\n" if stats_socket else ""
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} cookie {name}" for name, p in backends)
    return f"""\
# Generated by scripts/school.py: {len(backends)} Streamlit process(es) behind one address.
global
    maxconn 4096
{stats}
defaults
    mode http
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    # a websocket (Streamlit's /_stcore/stream) may sit idle while a student thinks
    timeout tunnel 1h
    timeout http-request 15s
    timeout queue 10s
    # a request whose process is down (or gone but not yet marked down) goes to another one
    option redispatch 1
    retries 2
    option forwardfor

frontend school
    bind {bind}
    default_backend {BACKEND}

backend {BACKEND}
    # sessions are long-lived websockets: send a new student to the least busy process
    balance leastconn
    # affinity: the page, its websocket, uploads and media reach the process that owns the session
    cookie {COOKIE} insert indirect nocache httponly attr "SameSite=Lax"
    option httpchk GET {HEALTH_PATH}
    http-check expect string ok
    default-server check inter 1s fastinter 500ms downinter 1s fall 2 rise 2
    http-response set-header X-ML-Playground-Worker %[srv_name]
{servers}
"""


# --------------------------------------------------------------------------- processes


@dataclass
class Backend:
    """One Streamlit process of the school."""

    name: str
    port: int
    slots: int
    log_path: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    hold: bool = False
    """While true the supervisor leaves this process dead (a test or an experiment killed it)."""
    next_start: float | None = None
    """When the supervisor may restart it (set when it is found dead)."""
    backoff: float = 1.0
    started_at: float = 0.0
    warm_seconds: float | None = None
    """How long its last warm-up took (after a restart), None if it did not warm."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # the process and anything it started (training workers)


def _stop(process: subprocess.Popen | None, grace: float = STOP_GRACE_S) -> None:
    if process is None:
        return
    if process.poll() is None:
        _kill_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(process, signal.SIGKILL)  # leftovers of the group, even when the leader is gone
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


class School:
    """N Streamlit processes, HAProxy in front, and a supervisor; use :func:`school` to run one."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        port: int | None = None,
        address: str = "127.0.0.1",
        app: str | None = None,
        run_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        quiet: bool = True,
    ) -> None:
        self.workers = workers or default_workers()
        self.address = address
        self.port = port or free_port()
        self.app = app or app_entry()
        self.env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"), **(env or {})}
        self.class_mode = class_mode_for(address, self.env)
        self.quiet = quiet
        self._own_dir = run_dir is None
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="ml-playground-school-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.stats_socket = self.run_dir / "haproxy.sock"
        self.config_path = self.run_dir / "haproxy.cfg"
        self.haproxy_log = self.run_dir / "haproxy.log"
        self.haproxy: subprocess.Popen | None = None
        shares = slot_shares(self.workers)
        self.backends = [
            Backend(name=f"w{i + 1}", port=free_port(), slots=shares[i], log_path=self.run_dir / f"w{i + 1}.log")
            for i in range(self.workers)
        ]
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- addresses

    @property
    def url(self) -> str:
        """Where students go (through the balancer)."""
        host = self.address
        if host in ("", "0.0.0.0", "*", "::"):
            host = "localhost"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url

    def _say(self, message: str) -> None:
        if not self.quiet:
            print(message, flush=True)

    # ---- start and stop

    def start(self, timeout: float = START_TIMEOUT_S) -> School:
        haproxy = find_haproxy()
        if haproxy is None:
            raise SchoolError(
                "HAProxy is not installed: `apt-get install haproxy` (as root), or run "
                "`bash scripts/serve_school.sh`, which installs it when it can."
            )
        app_path = ROOT / self.app
        if not app_path.exists():
            raise SchoolError(f"The entry script {app_path} does not exist (APP_ENTRY={self.app!r}).")
        self.config_path.write_text(
            haproxy_config(
                [(b.name, b.port) for b in self.backends],
                address=self.address,
                port=self.port,
                stats_socket=self.stats_socket,
            )
        )
        check = subprocess.run([haproxy, "-c", "-q", "-f", str(self.config_path)], capture_output=True, text=True)
        if check.returncode != 0:
            raise SchoolError(f"HAProxy rejected its configuration:\n{check.stdout}{check.stderr}")
        # The environment's set-up once, before N run_app.sh would each find it stale and install at once.
        setup = subprocess.run(["bash", "-c", "source scripts/setup.sh"], cwd=ROOT, env=self.env,
                               stdin=subprocess.DEVNULL, capture_output=self.quiet, text=True)
        if setup.returncode != 0:
            raise SchoolError(f"scripts/setup.sh failed:\n{setup.stdout or ''}{setup.stderr or ''}")
        try:
            for backend in self.backends:
                self._start_backend(backend)
            self._start_haproxy(haproxy)
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._supervise, name="school-supervisor", daemon=True)
        self._thread.start()
        return self

    def _start_backend(self, backend: Backend) -> None:
        # Through the start command, so every process gets the same settings as one server would
        # (class mode, upload cap, XSRF and CORS on the command line, the class code): see run_app.sh.
        command = ["bash", str(ROOT / "scripts" / "run_app.sh")]
        env = {
            **self.env,
            "APP_ENTRY": self.app,
            "PORT": str(backend.port),
            "ADDRESS": "127.0.0.1",
            "CLASS_MODE": self.class_mode,
            "WORKERS": "1",  # one process: run_app.sh would otherwise start a school of its own
            SLOTS_ENV: str(backend.slots),
            "ML_PLAYGROUND_WORKER": backend.name,
            WARM_UP_ENV: "1",  # its first run loads every page's imports and the model (app/warm_up.py)
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",  # no file watching in production
        }
        env.pop("PRINT_COMMAND", None)
        log = open(backend.log_path, "ab")  # noqa: SIM115 - the child keeps it; closed below
        try:
            backend.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: Ctrl+C reaches the supervisor, which stops it
            )
        finally:
            log.close()
        backend.started_at = time.monotonic()

    def _start_haproxy(self, haproxy: str) -> None:
        log = open(self.haproxy_log, "ab")  # noqa: SIM115
        try:
            self.haproxy = subprocess.Popen(
                [haproxy, "-db", "-f", str(self.config_path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        finally:
            log.close()
        self._haproxy_path = haproxy

    def _wait_ready(self, timeout: float) -> None:
        """Every process answers its health check, and HAProxy has marked every one UP."""
        deadline = time.monotonic() + timeout
        while True:
            for backend in self.backends:
                if not backend.alive():
                    raise SchoolError(f"Streamlit process {backend.name} exited. Log tail:\n{self.log_tail(backend)}")
            if self.haproxy is not None and self.haproxy.poll() is not None:
                raise SchoolError(f"HAProxy exited. Log:\n{self._tail(self.haproxy_log)}")
            states = self.status()
            if states and all(states.get(b.name) == "UP" for b in self.backends) and healthy(self.url):
                return
            if time.monotonic() > deadline:
                raise SchoolError(f"The school was not ready after {timeout:.0f} s; HAProxy says {states}.")
            time.sleep(0.25)

    def stop(self) -> None:
        """Stop the supervisor, HAProxy and every process (their process groups)."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._lock:
            _stop(self.haproxy, grace=3)
            for backend in self.backends:
                if backend.process is not None and backend.process.poll() is None:
                    _kill_group(backend.process, signal.SIGTERM)
            for backend in self.backends:
                _stop(backend.process)

    def cleanup(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # ---- supervision

    def _supervise(self) -> None:
        while not self._stopping.wait(SUPERVISE_INTERVAL_S):
            self.supervise_once()

    def supervise_once(self) -> None:
        """Restart whatever died: a Streamlit process on its own port, or HAProxy."""
        with self._lock:
            if self._stopping.is_set():
                return
            now = time.monotonic()
            for backend in self.backends:
                if backend.alive() or backend.hold:
                    continue
                if backend.next_start is None:  # just found dead
                    # one that dies within 30 s of its start waits longer each time (1, 2, 4 … 30 s)
                    quick = now - backend.started_at < 30
                    backend.next_start = now + (backend.backoff if quick else 0.0)
                    backend.backoff = min(MAX_BACKOFF_S, backend.backoff * 2) if quick else 1.0
                    code = backend.process.poll() if backend.process else None
                    self._say(f"==> {backend.name} exited ({code}); restarting it")
                if now < backend.next_start:
                    continue
                if backend.process is not None:
                    _kill_group(backend.process, signal.SIGKILL)  # orphans of the dead one
                backend.restarts += 1
                backend.next_start = None
                # Out of the rotation until warm: HAProxy would send students to it as soon as it answers its
                # health check (about 1 s), and they would wait for its imports and model (about 6 s).
                self._set_state(backend, "maint")
                self._start_backend(backend)
                threading.Thread(target=self._warm_then_ready, args=(backend, backend.restarts),
                                 name=f"school-warm-{backend.name}", daemon=True).start()
            if self.haproxy is not None and self.haproxy.poll() is not None:
                self._say(f"==> HAProxy exited ({self.haproxy.returncode}); restarting it")
                self._start_haproxy(self._haproxy_path)

    def _set_state(self, backend: Backend, state: str) -> None:
        """HAProxy's administrative state of a process: ``maint`` (no student reaches it) or ``ready``."""
        try:
            self.command(f"set server {BACKEND}/{backend.name} state {state}")
        except OSError:
            pass  # HAProxy is not running (it is restarted separately); its health checks decide alone

    def _warm_then_ready(self, backend: Backend, generation: int) -> None:
        """Run a restarted process's first session (which warms it), then put it back in the rotation."""
        seconds = warm(backend.url, timeout=WARM_UP_TIMEOUT_S, stopping=self._stopping)
        with self._lock:
            if backend.restarts != generation or self._stopping.is_set():
                return  # it died again meanwhile: the next restart warms its successor
            backend.warm_seconds = seconds
            self._set_state(backend, "ready")
        self._say(f"==> {backend.name} is back" + (f", warmed in {seconds:.1f} s" if seconds is not None else
                                                  " (it did not warm up; students may wait for its first page)"))

    def kill(self, index: int, *, restart: bool = True, sig: int = signal.SIGKILL) -> int:
        """Kill process ``index`` (0-based) as a crash would; the supervisor restarts it unless ``restart`` is False.

        Returns the killed pid.
        """
        with self._lock:
            backend = self.backends[index]
            backend.hold = not restart
            assert backend.process is not None
            pid = backend.process.pid
            _kill_group(backend.process, sig)
            backend.process.wait(timeout=10)
            return pid

    def resume(self, index: int) -> None:
        """Let the supervisor restart a process killed with ``restart=False``."""
        with self._lock:
            self.backends[index].hold = False

    # ---- HAProxy's view

    def command(self, line: str) -> str:
        """One command on HAProxy's runtime API (its stats socket), e.g. ``show stat``."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def status(self) -> dict[str, str]:
        """HAProxy's state of each process: ``{"w1": "UP", "w2": "DOWN", ...}`` (empty if it cannot be asked)."""
        try:
            text = self.command("show stat")
        except OSError:
            return {}
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines or not lines[0].startswith("#"):
            return {}
        header = lines[0].lstrip("# ").split(",")
        states: dict[str, str] = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == BACKEND and row.get("svname") not in ("FRONTEND", "BACKEND"):
                states[row["svname"]] = row.get("status", "").split(" ")[0]  # "UP", "DOWN", "UP 1/2" -> "UP"
        return states

    def wait_status(self, name: str, want: str, timeout: float = START_TIMEOUT_S) -> float:
        """Wait until HAProxy reports ``want`` ("UP"/"DOWN") for process ``name``; returns the seconds waited."""
        start = time.monotonic()
        while True:
            if self.status().get(name) == want:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise SchoolError(f"{name} was not {want} after {timeout:.0f} s: HAProxy says {self.status()}")
            time.sleep(0.2)

    # ---- logs

    @staticmethod
    def _tail(path: Path, lines: int = 60) -> str:
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_tail(self, backend: Backend, lines: int = 60) -> str:
        return self._tail(backend.log_path, lines)


@contextlib.contextmanager
def school(
    workers: int | None = None,
    *,
    port: int | None = None,
    address: str = "127.0.0.1",
    app: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_S,
    quiet: bool = True,
) -> Iterator[School]:
    """Run a school until the block ends: ``with school(workers=2) as s: ... s.url ...``."""
    running = School(
        workers, port=port, address=address, app=app, env=env, quiet=quiet
    )
    try:
        running.start(timeout=timeout)
        yield running
    finally:
        running.stop()
        running.cleanup()


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="Streamlit processes (default: $WORKERS, else cores)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")), help="the balancer's port")
    parser.add_argument("--address", default=os.environ.get("ADDRESS", "localhost"), help="the balancer's address")
    parser.add_argument("--app", default=None, help="entry script (default: $APP_ENTRY from scripts/setup.sh)")
    parser.add_argument("--run-dir", type=Path, default=None, help="where the config and logs go (default: a temp dir)")
    args = parser.parse_args(argv)

    running = School(args.workers, port=args.port, address=args.address, app=args.app, run_dir=args.run_dir,
                     quiet=False)

    def on_signal(signum: int, _frame) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starts a background job with Ctrl+C ignored, and a supervisor must still stop on it
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    print(
        f"==> ML Playground school: {running.workers} Streamlit process(es) behind HAProxy on "
        f"{running.address}:{running.port}; logs in {running.run_dir}",
        flush=True,
    )
    try:
        running.start()
        for b in running.backends:
            print(f"    {b.name}: 127.0.0.1:{b.port}, {b.slots} training slot(s), pid {b.pid}", flush=True)
        if running.class_mode == "1":
            print("==> Class mode in every process (error details stay in the logs); CLASS_CODE "
                  + ("is asked" if running.env.get("CLASS_CODE") else "not set"), flush=True)
        shown = running.url
        if running.address in ("", "0.0.0.0", "*", "::"):  # every interface: say where students can reach it
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                first = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
                shown = f"http://{first[0]}:{running.port}" if first else shown
        print(f"==> Open {shown} in your browser (Ctrl+C stops every process)", flush=True)
        print(f"READY {running.url}", flush=True)
        while True:  # the supervisor thread does the work; the main thread waits for a signal
            time.sleep(3600)
    except KeyboardInterrupt:
        print("==> Stopping the school", flush=True)
        return 0
    except SchoolError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        running.stop()
        if args.run_dir is None:
            running.cleanup()


if __name__ == "__main__":
    sys.exit(main())
