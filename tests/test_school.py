"""A school: two Streamlit processes behind HAProxy (scripts/school.py).

The test speaks Streamlit's websocket as a browser does (``/_stcore/stream``, subprotocol
``streamlit``, a ``rerun_script`` BackMsg answered by a ``new_session`` ForwardMsg) and uses the
upload endpoint to find out which process really owns a session: Streamlit accepts an upload
only for a session that lives in the process that answers (else 400, "Invalid session_id").
It skips only where HAProxy is not installed (``bash scripts/test.sh`` installs it as root).
"""

from __future__ import annotations

import secrets
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts import school as school_module
from scripts.school import COOKIE, find_haproxy, haproxy_config, school, slot_shares

HAPROXY = find_haproxy()
needs_haproxy = pytest.mark.skipif(
    HAPROXY is None, reason="HAProxy is not installed (apt-get install haproxy; scripts/test.sh does it as root)"
)
WORKER_HEADER = "X-ML-Playground-Worker"
TIMEOUT_S = 30.0
UPLOADS_PER_CHECK = 4


# --------------------------------------------------------------------------- a student without a browser


@dataclass
class Student:
    """One browser's cookies: the affinity cookie HAProxy gave it (if any) and an XSRF token."""

    affinity: str | None = None
    xsrf: str = ""

    def __post_init__(self) -> None:
        self.xsrf = self.xsrf or secrets.token_hex(16)

    def cookie_header(self) -> str:
        parts = [f"_streamlit_xsrf={self.xsrf}"]
        if self.affinity:
            parts.append(f"{COOKIE}={self.affinity}")
        return "; ".join(parts)

    def take_cookie(self, headers) -> None:
        for value in headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            if name.strip() == COOKIE:
                self.affinity = rest.split(";", 1)[0]


def visit(url: str, student: Student) -> str:
    """GET the health endpoint as the student's browser loads a page: returns the process that answered."""
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": student.cookie_header()})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        student.take_cookie(response.headers)
        return response.headers.get(WORKER_HEADER, "")


def open_session(url: str, student: Student):
    """A websocket to ``/_stcore/stream`` with the student's cookies; returns (socket, session id, worker)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    ws = connect(
        ws_url,
        subprotocols=["streamlit"],
        additional_headers={"Cookie": student.cookie_header()},
        open_timeout=TIMEOUT_S,
        close_timeout=2,
        max_size=None,
    )
    try:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_name = ""
        ws.send(back.SerializeToString())
        session_id = wait_new_session(ws)
    except BaseException:
        ws.close()
        raise
    return ws, session_id, ws.response.headers.get(WORKER_HEADER, "")


def wait_new_session(ws) -> str:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        message = ForwardMsg()
        message.ParseFromString(raw)
        if message.WhichOneof("type") == "new_session":
            return message.new_session.initialize.session_id
    raise AssertionError("no new_session message within the timeout")


def rerun(ws) -> str:
    """Ask an open session to run its script again; returns the session id of the new_session that answers."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    back = BackMsg()
    back.rerun_script.query_string = ""
    back.rerun_script.page_name = ""
    ws.send(back.SerializeToString())
    return wait_new_session(ws)


def closed_soon(ws, timeout: float = TIMEOUT_S) -> bool:
    """Whether the websocket is closed by the far end within ``timeout`` (messages still queued are read first)."""
    from websockets.exceptions import ConnectionClosed

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    except ConnectionClosed:
        return True
    except TimeoutError:
        return False
    return False


def upload(url: str, session_id: str, student: Student) -> int:
    """PUT a tiny file for ``session_id`` as Streamlit's uploader does; the HTTP status (204 = accepted)."""
    boundary = secrets.token_hex(8)
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.txt\"\r\n"
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        f"{url}/_stcore/upload_file/{session_id}/{secrets.token_hex(8)}",
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": student.cookie_header(),
            "X-Xsrftoken": student.xsrf,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --------------------------------------------------------------------------- without processes


def test_slot_shares_split_the_school_total() -> None:
    assert slot_shares(2, total=1) == [1, 1]  # at least one each
    assert slot_shares(2, total=5) == [3, 2]
    assert slot_shares(4, total=8) == [2, 2, 2, 2]
    assert sum(slot_shares(3, total=7)) == 7


def test_class_mode_follows_the_balancers_address() -> None:
    assert school_module.class_mode_for("0.0.0.0", {}) == "1"  # a class: every process in class mode
    assert school_module.class_mode_for("192.168.1.5", {"CLASS_MODE": "auto"}) == "1"
    assert school_module.class_mode_for("localhost", {}) == "0"
    assert school_module.class_mode_for("127.0.0.1", {"CLASS_MODE": "1"}) == "1"
    assert school_module.class_mode_for("0.0.0.0", {"CLASS_MODE": "0"}) == "0"


def test_app_entry_follows_setup_sh(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("APP_ENTRY", raising=False)
    (tmp_path / "scripts").mkdir()
    assert school_module.app_entry(tmp_path) == "streamlit_app.py"  # no setup.sh: the old default
    (tmp_path / "scripts" / "setup.sh").write_text('export APP_ENTRY="${APP_ENTRY:-app/entry/main.py}"\n')
    assert school_module.app_entry(tmp_path) == "app/entry/main.py"
    monkeypatch.setenv("APP_ENTRY", "other.py")
    assert school_module.app_entry(tmp_path) == "other.py"


@needs_haproxy
def test_generated_config_passes_haproxy_check(tmp_path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        haproxy_config([("w1", 18001), ("w2", 18002)], address="0.0.0.0", port=18000, stats_socket=tmp_path / "s")
    )
    result = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = config.read_text()
    assert f"cookie {COOKIE} insert" in text and "server w2 127.0.0.1:18002 cookie w2" in text
    assert "option httpchk GET /_stcore/health" in text and "timeout tunnel" in text


# --------------------------------------------------------------------------- two processes behind HAProxy


@pytest.fixture(scope="module")
def two() -> school_module.School:
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (apt-get install haproxy; scripts/test.sh does it as root)")
    # class mode as behind a classroom's address: the settings a real school's processes get
    with school(workers=2, timeout=120, env={"CLASS_MODE": "1"}) as running:
        yield running


@needs_haproxy
def test_two_processes_behind_the_balancer(two) -> None:
    assert two.status() == {"w1": "UP", "w2": "UP"}
    assert len({b.pid for b in two.backends}) == 2 and all(b.alive() for b in two.backends)
    assert all(school_module.healthy(b.url) for b in two.backends)
    assert school_module.healthy(two.url)
    for backend in two.backends:  # each started through run_app.sh, with its settings and its slots
        argv = Path(f"/proc/{backend.pid}/cmdline").read_bytes().split(b"\0")
        assert b"--client.showErrorDetails" in argv and b"--server.enableXsrfProtection" in argv
        assert argv[argv.index(b"--server.address") + 1] == b"127.0.0.1"
        environ = Path(f"/proc/{backend.pid}/environ").read_bytes().split(b"\0")
        assert f"{school_module.SLOTS_ENV}={backend.slots}".encode() in environ


@needs_haproxy
def test_websocket_through_the_balancer(two) -> None:
    student = Student()
    visit(two.url, student)
    ws, session_id, worker = open_session(two.url, student)
    try:
        assert ws.subprotocol == "streamlit"
        assert session_id and worker in ("w1", "w2")
        assert rerun(ws) == session_id  # the same session answers a second run
        owner = two.backends[0] if worker == "w1" else two.backends[1]
        assert upload(owner.url, session_id, Student()) == 204  # the session lives in that process
    finally:
        ws.close()


@needs_haproxy
def test_sessions_are_pinned_to_their_process(two) -> None:
    """Two students on two processes; each one's uploads always reach the process that owns its session."""
    students, sockets = [], []
    try:
        for _ in range(2):
            # the page's first request gets the cookie; leastconn sends the second student to the idle process
            student = Student()
            visit(two.url, student)
            ws, session_id, worker = open_session(two.url, student)
            sockets.append(ws)
            students.append((student, session_id, worker))
        workers = [worker for _, _, worker in students]
        assert sorted(workers) == ["w1", "w2"], f"both students landed on {workers}"
        for student, session_id, worker in students:
            statuses = [upload(two.url, session_id, student) for _ in range(UPLOADS_PER_CHECK)]
            assert statuses == [204] * UPLOADS_PER_CHECK, f"uploads for {worker}'s session through the balancer"
            own, other = (two.backends[0], two.backends[1]) if worker == "w1" else (two.backends[1], two.backends[0])
            assert upload(own.url, session_id, student) == 204
            assert upload(other.url, session_id, student) == 400  # unknown there: affinity is what makes it work
            assert student.affinity == worker, "HAProxy set no affinity cookie naming the session's process"
    finally:
        for ws in sockets:
            ws.close()


@needs_haproxy
def test_killed_process_session_reconnects_elsewhere(two) -> None:
    """Kill w1: w2's student notices nothing, w1's student reconnects to w2; the supervisor brings w1 back."""
    s1, s2 = Student(affinity="w1"), Student(affinity="w2")
    ws1, _, worker1 = open_session(two.url, s1)
    ws2, session2, worker2 = open_session(two.url, s2)
    assert (worker1, worker2) == ("w1", "w2")
    old_pid = two.kill(0, restart=False)
    try:
        # the killed process's student sees the websocket close (the browser's reconnect message)
        assert closed_soon(ws1)
        # the other student's open session keeps working
        assert rerun(ws2) == session2
        # the killed process's student (still carrying cookie w1) gets a fresh session on w2
        ws1b, session1b, worker1b = open_session(two.url, s1)
        try:
            assert worker1b == "w2"
            assert upload(two.backends[1].url, session1b, Student()) == 204  # an open session lives there
        finally:
            ws1b.close()
        two.wait_status("w1", "DOWN", timeout=TIMEOUT_S)  # the health checks noticed
        assert two.status()["w2"] == "UP"
    finally:
        two.resume(0)
        ws1.close()
        ws2.close()
    # the supervisor restarts w1 on its port; HAProxy marks it up again and its cookie leads there
    two.wait_status("w1", "UP", timeout=90)
    assert two.backends[0].pid != old_pid and two.backends[0].restarts >= 1
    # it came back warm: its first run (the supervisor's) loaded the model before HAProxy let students in
    assert two.backends[0].warm_seconds is not None
    assert b"libtorch" in Path(f"/proc/{two.backends[0].pid}/maps").read_bytes()
    ws_back, _, worker_back = open_session(two.url, Student(affinity="w1"))
    ws_back.close()
    assert worker_back == "w1"
