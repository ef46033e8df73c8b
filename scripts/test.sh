#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, browser tests included:
# `bash scripts/test.sh [pytest args]`. Installs Chromium when it is missing:
# Debian's package as root (as in CI), else Playwright's own download.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

have_browser() {
  [ -n "${ML_PLAYGROUND_CHROMIUM:-}" ] && [ -x "${ML_PLAYGROUND_CHROMIUM}" ] && return 0
  [ -x /usr/bin/chromium ] && return 0
  python - <<'PY' 2>/dev/null
import os, sys
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    sys.exit(0 if os.path.exists(p.chromium.executable_path) else 1)
PY
}

if ! have_browser && ! apt_install chromium; then
  echo "==> Installing Playwright's Chromium"
  python -m playwright install chromium
fi

# HAProxy for the school tests (tests/test_school.py, tests/test_deploy.py): Debian's package as root.
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ] && ! apt_install haproxy; then
  echo "==> HAProxy is not installed: the school tests will be skipped (sudo apt-get install haproxy)"
fi

echo "==> Running the test suite"
exec python -m pytest --durations=15 "$@"  # the slowest tests, to keep the suite well inside CI's limit
