#!/usr/bin/env bash
# Serve a school: WORKERS Streamlit processes (default: one per CPU core) behind HAProxy,
# with cookie affinity, websockets, health checks and a supervisor that restarts a dead
# process: `bash scripts/serve_school.sh`. PORT (default 8501) and ADDRESS (default localhost)
# choose where the balancer listens; the processes listen on loopback ports. Installs HAProxy
# when it is missing (Debian's package, as root). Ctrl+C or SIGTERM stops everything.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

have_haproxy() {
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || [ -x /usr/local/sbin/haproxy ]
}

if ! have_haproxy && ! apt_install haproxy; then
  echo "A school needs HAProxy: install it (sudo apt-get install haproxy) and run this again." >&2
  echo "(One process without a balancer: WORKERS=1 bash scripts/run_app.sh)" >&2
  exit 1
fi

export PORT="${PORT:-8501}"
export ADDRESS="${ADDRESS:-localhost}"
# Python handles Ctrl+C and SIGTERM itself: it stops HAProxy and every process before it exits.
exec python scripts/school.py "$@"
