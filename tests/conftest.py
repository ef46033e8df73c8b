"""Shared test set-up: the repository root on sys.path and small helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
