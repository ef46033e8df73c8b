"""Start the app and a browser outside pytest too (the browser benchmark uses this).

``app_server()`` runs ``streamlit run`` of the entry script (``app.paths.ENTRY_SCRIPT``,
from the repository root) on a free loopback port
and yields once ``/_stcore/health`` answers ``ok``; ``launch_chromium()`` uses the
system Chromium when there is one (with the flags this network needs), else
Playwright's own browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.paths import ENTRY_SCRIPT
from engine.workers import WORKERS_ENV

REPO = Path(__file__).resolve().parents[2]
SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ENV = "ML_PLAYGROUND_CHROMIUM"
"""Environment variable that overrides the Chromium executable."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HEALTH_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 100


class ServerError(RuntimeError):
    """The server exited or never became healthy; the message holds its log tail."""


@dataclass
class AppServer:
    """A running ``streamlit run`` process and where to reach it."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def app_server(extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None,
               *, run_app: bool = False) -> Iterator[AppServer]:
    """Run the app headless on a free loopback port until the block ends.

    ``run_app``: start it the way an instructor does, through ``scripts/run_app.sh`` with ``PORT`` and
    ``ADDRESS=127.0.0.1`` (``extra_env`` adds ``CLASS_MODE``, ``CLASS_CODE``, ``APP_ENTRY``...).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_fd, log_name = tempfile.mkstemp(prefix="ml-playground-e2e-", suffix=".log")
    log_file = os.fdopen(log_fd, "w")
    if run_app:
        command = ["bash", str(REPO / "scripts" / "run_app.sh"), *(extra_args or [])]
    else:
        command = [
            sys.executable, "-m", "streamlit", "run", ENTRY_SCRIPT,
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            *(extra_args or []),
        ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    if run_app:
        env.update(PORT=str(port), ADDRESS="127.0.0.1")
    # The page tests train in their own process (tests/conftest.py); a real server trains in worker processes,
    # one per spare core, unless the caller's extra_env says otherwise.
    env.pop(WORKERS_ENV, None)
    env.update(extra_env or {})
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = AppServer(url=url, process=process, log_path=Path(log_name))
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
                raise ServerError(f"Streamlit server {state} before it was healthy. Log tail:\n{server.log_tail()}")
            time.sleep(0.25)  # polling interval for the health endpoint
        yield server
    finally:
        _stop(process)
        log_file.close()
        server.log_path.unlink(missing_ok=True)


def chromium_path() -> str | None:
    """The Chromium to launch: the override, else the system one, else Playwright's own (None)."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override
    if Path(SYSTEM_CHROMIUM).exists():
        return SYSTEM_CHROMIUM
    return shutil.which("chromium")


def launch_chromium(playwright):
    """A headless Chromium: the system one with our flags, or Playwright's own."""
    executable = chromium_path()
    if executable:
        return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    return playwright.chromium.launch()
