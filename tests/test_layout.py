"""The package layout's promises: a light ``import engine``, one package per playground."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_engine_and_the_shared_app_helpers_do_not_load_torch():
    code = ("import sys, os; import engine, engine.live, engine.scheduler, app.live, app.navigation, app.figures; "
            "assert 'torch' not in sys.modules, 'torch was imported'; "
            "assert os.environ['OMP_WAIT_POLICY'] == 'PASSIVE'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_engine_code_never_imports_streamlit():
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "engine").rglob("*.py")
                 if "import streamlit" in path.read_text() or "from streamlit" in path.read_text()]
    assert offenders == []


def test_no_pages_folder_beside_the_entry_point():
    """A ``pages/`` folder switches Streamlit into legacy multipage mode for a server's first run: deep links
    then open under a "Page not found" dialog. Pages live in ``app_pages/``."""
    assert not (ROOT / "pages").exists()
    assert (ROOT / "app_pages" / "digits.py").is_file()
