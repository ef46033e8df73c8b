#!/usr/bin/env bash
# Set up (first time) and start ML Playground: `bash scripts/run_app.sh`.
#   PORT        where it listens (default 8501)
#   ADDRESS     which address it listens on (default localhost; 0.0.0.0 to serve a class)
#   CLASS_MODE  auto (default: on unless ADDRESS is a loopback address), 1 or 0. Class mode hides
#               error details from students (the server log keeps the traceback) and caps the
#               websocket message size; see the README's "Serving a class".
#   CLASS_CODE  when set, every session is asked for this code before anything else.
#   MAX_UPLOAD_MB  the largest file a student may upload (default: 200 on your own machine, the
#               XGBoost page's CSV limit; 10 in class mode, where every student's upload sits in memory).
#   PRINT_COMMAND=1  print the command instead of running it.
#   WORKERS     1 (default): one process. More: a school, WORKERS processes behind HAProxy on
#               PORT and ADDRESS, each with these settings (scripts/serve_school.sh).
set -euo pipefail
if [ "${WORKERS:-1}" != 1 ] && [ "${PRINT_COMMAND:-0}" != 1 ]; then
  exec bash "$(dirname "${BASH_SOURCE[0]}")/serve_school.sh"
fi
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

PORT="${PORT:-8501}"
ADDRESS="${ADDRESS:-localhost}"
CLASS_MODE="${CLASS_MODE:-auto}"
MAX_MESSAGE_MB=16  # class mode: the largest page message measured is about 0.14 MB
if [ "$CLASS_MODE" = auto ]; then
  case "$ADDRESS" in
    localhost | 127.* | ::1 | "[::1]") CLASS_MODE=0 ;;
    *) CLASS_MODE=1 ;;
  esac
fi
case "$CLASS_MODE" in 0 | 1) ;; *) echo "CLASS_MODE must be auto, 1 or 0 (got '$CLASS_MODE')." >&2; exit 2 ;; esac
if [ "$CLASS_MODE" = 1 ]; then MAX_UPLOAD_MB="${MAX_UPLOAD_MB:-10}"; else MAX_UPLOAD_MB="${MAX_UPLOAD_MB:-200}"; fi

# Command-line flags win over config files and STREAMLIT_* variables: XSRF protection and CORS stay on.
FLAGS=(--server.port "$PORT" --server.address "$ADDRESS" --server.headless true
  --browser.gatherUsageStats false --server.enableXsrfProtection true --server.enableCORS true
  --server.maxUploadSize "$MAX_UPLOAD_MB")
if [ "$CLASS_MODE" = 1 ]; then
  FLAGS+=(--client.showErrorDetails none --server.maxMessageSize "$MAX_MESSAGE_MB"
    --client.toolbarMode minimal --global.developmentMode false --server.runOnSave false)
fi
export CLASS_CODE="${CLASS_CODE:-}"
# glibc gives each thread that allocates its own heap arena (up to 8 per core), and Streamlit runs every
# rerun in a thread: the web process grew 592 -> 810 MB in 6 minutes of a 35-student class, and stayed at
# 563-641 MB with two arenas (README, "Memory"). Read at process start, so it is set here, for the workers too.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

if [ "${PRINT_COMMAND:-0}" = 1 ]; then
  echo python -m streamlit run "$APP_ENTRY" "${FLAGS[@]}"
  exit 0
fi

SHOWN="$ADDRESS"
if [ "$ADDRESS" = 0.0.0.0 ] || [ "$ADDRESS" = "::" ]; then  # every interface: say where students can reach it
  SHOWN="$(hostname -I 2>/dev/null | awk '{print $1}')"
  SHOWN="${SHOWN:-$(hostname)}"
fi
echo "==> ML Playground: open http://${SHOWN}:${PORT} in your browser (Ctrl+C stops it)"
if [ "$CLASS_MODE" = 1 ]; then
  echo "==> Class mode: error details stay in this log, uploads up to ${MAX_UPLOAD_MB} MB" \
    "$([ -n "$CLASS_CODE" ] && echo "and a class code is asked" || echo "and no class code (set CLASS_CODE to ask one)")"
fi
exec python -m streamlit run "$APP_ENTRY" "${FLAGS[@]}"
