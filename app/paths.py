"""Where the app's own files are: the entry script and the pages folder.

The entry script sits in a folder of its own (``app/entry/``) so that no ``pages/``
folder is beside it: Streamlit treats a ``pages/`` folder next to the entry script
as a legacy multipage app until the first ``st.navigation`` call, and a fresh
server's first deep link then opened under a "Page not found" dialog. Streamlit
also puts the entry script's folder first on ``sys.path``; a folder holding only
the entry script can shadow no import.

``ENTRY_SCRIPT`` is the one name of the entry script on the Python side; the
shell side is ``APP_ENTRY`` in ``scripts/setup.sh`` (``tests/test_layout.py``
checks that the two agree).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: run the app from here (Streamlit reads ``.streamlit/config.toml`` from the working folder)."""
ENTRY_SCRIPT = "app/entry/streamlit_app.py"
"""The entry script, relative to :data:`ROOT` (``streamlit run app/entry/streamlit_app.py``)."""
PAGES_DIR = ROOT / "pages"
"""One thin script per page."""


def page_file(name: str) -> str:
    """The absolute path of ``pages/<name>.py``, as ``st.Page`` and ``st.page_link`` take it."""
    return str(PAGES_DIR / f"{name}.py")
