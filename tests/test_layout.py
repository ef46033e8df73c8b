"""The package layout's promises: the design card's folders, a light ``import engine``, one page per playground."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.paths import ENTRY_SCRIPT, PAGES_DIR

ROOT = Path(__file__).resolve().parents[1]
PLAYGROUNDS = ("digits", "playground", "boosting", "moe", "tabular")
"""One package per playground on each side (``engine/<name>/``, ``app/<name>/``) and one page, ``pages/<name>.py``."""


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


def test_the_design_cards_folders():
    for folder in ("app", "pages", "engine", "tests", "assets"):
        assert (ROOT / folder).is_dir(), f"{folder}/ is missing"
    for file in ("requirements.txt", "README.md"):
        assert (ROOT / file).is_file(), f"{file} is missing"
    assert PAGES_DIR == ROOT / "pages"
    assert not (ROOT / "app_pages").exists(), "the pages moved to pages/"


def test_one_thin_page_file_per_playground():
    files = {path.stem for path in PAGES_DIR.glob("*.py")}
    assert files == {"home", *PLAYGROUNDS}
    for name in PLAYGROUNDS:
        assert (ROOT / "engine" / name / "__init__.py").is_file()
        assert (ROOT / "app" / name / "__init__.py").is_file()
    for path in PAGES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        # Thin: the page lays out sections that live in app/<name>/; no classes, few helpers of its own.
        assert not [n for n in tree.body if isinstance(n, ast.ClassDef)], f"{path.name} defines a class"
        assert len(path.read_text().splitlines()) < 150, f"{path.name} is no longer thin"


def test_no_pages_folder_beside_the_entry_script():
    """A ``pages/`` folder beside the entry script switches Streamlit into legacy multipage mode for a server's
    first run: deep links then open under a "Page not found" dialog. The entry script has a folder of its own."""
    entry = ROOT / ENTRY_SCRIPT
    assert entry.is_file()
    assert not (entry.parent / "pages").exists()
    assert entry.parent != ROOT
    # Streamlit puts the entry script's folder first on sys.path: nothing importable may sit there.
    assert sorted(p.name for p in entry.parent.iterdir() if p.name != "__pycache__") == [entry.name]


def test_the_shell_and_python_name_the_same_entry_script():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    match = re.search(r'^export APP_ENTRY="\$\{APP_ENTRY:-([^}"]+)\}"$', setup, re.MULTILINE)
    assert match, "scripts/setup.sh no longer exports APP_ENTRY"
    assert match.group(1) == ENTRY_SCRIPT
    run_app = (ROOT / "scripts" / "run_app.sh").read_text()
    assert 'streamlit run "$APP_ENTRY"' in run_app
    # Nothing still launches the old entry script at the root (it put pages/ beside it).
    folders = ("app", "pages", "engine", "tests", "bench", "scripts", "deploy", ".ci")
    files = [ROOT / "README.md", *(p for folder in folders for p in (ROOT / folder).rglob("*")
                                   if p.is_file() and p.suffix != ".pyc")]
    old_launch = re.compile(r"""\brun["',\s]+(\./)?streamlit_app\.py""")
    stale = [str(p.relative_to(ROOT)) for p in files if old_launch.search(p.read_text(errors="replace"))]
    assert stale == []


def test_the_entry_script_registers_every_page_from_pages(monkeypatch):
    monkeypatch.delenv("CLASS_CODE", raising=False)  # with a class code, the gate's page comes first
    at = AppTest.from_file(str(ROOT / ENTRY_SCRIPT), default_timeout=60).run()
    assert not at.exception
    registered = {Path(info["script_path"]).resolve() for info in at._registered_pages.values()}
    assert registered == {path.resolve() for path in PAGES_DIR.glob("*.py")}
    urls = {info["url_pathname"] for info in at._registered_pages.values()}
    assert {"draw-digit", "playground", "boosting", "moe", "tabular"} <= urls
