"""Shared test set-up: the repository root on sys.path and small helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# AppTest page tests train in the test's own process, one tick per fragment run (a fragment's run_every never
# fires there); the end-to-end servers train in worker processes (tests/e2e/harness.py) and so do the pool's tests.
os.environ.setdefault("ML_PLAYGROUND_TRAINING_WORKERS", "0")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
