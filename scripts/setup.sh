#!/usr/bin/env bash
# Shared set-up for the two README commands: a virtual environment with the pinned
# requirements in .venv and the project's own packages (app, engine) installed into it
# in editable mode, so imports do not depend on the working directory (re-installed only
# when requirements.txt or pyproject.toml changes). Exports APP_ENTRY, the entry script.
# Source it: `source scripts/setup.sh`. Honours PYTHON=/path/to/python3.11+.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# The entry script, relative to the repository root: the one name of it on the shell side
# (app/paths.py's ENTRY_SCRIPT on the Python side; tests/test_layout.py checks they agree).
# Run it from the repository root: Streamlit reads .streamlit/config.toml from there.
# (Set APP_ENTRY to serve another script with the same settings, as the class-mode tests do.)
export APP_ENTRY="${APP_ENTRY:-app/entry/streamlit_app.py}"

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "ML Playground needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  PY="$(pick_python)"
  echo "==> Creating the virtual environment in .venv with $PY"
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv "$VENV"
    else
      echo "Could not create a virtual environment: install python3-venv." >&2
      exit 1
    fi
  fi
fi

STAMP="$VENV/.requirements.sha256"
WANT="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "==> Installing Python packages (first time: a few minutes)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"
  # The project itself (pyproject.toml: packages app and engine), editable: the checkout's files.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
  echo "$WANT" >"$STAMP"
fi

# apt_install PACKAGE: install a Debian package as root (CI, a fresh server); fails (status 1) where that is
# not possible, so the caller can say what to do instead.
apt_install() {
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing $1 from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else
    return 1
  fi
}

# Java for Spark (engine/tabular/spark.py: PySpark 4 runs on a JRE 17+): Debian's default-jre-headless as root or
# with password-less sudo; otherwise say what to install (the Spark backend then explains itself on the page).
if ! command -v java >/dev/null 2>&1 && [ ! -x "${JAVA_HOME:-/nonexistent}/bin/java" ] &&
  ! apt_install default-jre-headless; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "==> Installing default-jre-headless with sudo"
    sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
  else
    echo "==> Java is missing: Spark training (and its tests) needs a JRE 17+ (sudo apt-get install default-jre-headless, or set JAVA_HOME)" >&2
  fi
fi

export PATH="$VENV/bin:$PATH"
# One math thread and no OpenMP spin-waiting: far faster for small models on shared CPUs.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
cd "$ROOT"
