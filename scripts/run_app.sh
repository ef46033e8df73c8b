#!/usr/bin/env bash
# Set up (first time) and start ML Playground: `bash scripts/run_app.sh`.
# PORT (default 8501) and ADDRESS (default localhost) choose where it listens.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

PORT="${PORT:-8501}"
ADDRESS="${ADDRESS:-localhost}"
echo "==> ML Playground: open http://${ADDRESS}:${PORT} in your browser (Ctrl+C stops it)"
exec python -m streamlit run "$APP_ENTRY" --server.port "$PORT" --server.address "$ADDRESS" \
  --server.headless true --browser.gatherUsageStats false
