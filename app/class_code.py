"""The class code: with ``CLASS_CODE`` set, every session is asked for it before anything else.

The entry script calls :func:`admitted` on every run and, until the session has
given the right code, :func:`gate` instead of the app's navigation. The gate
registers its own page only, so nothing the browser receives names a page of
the app: no navigation, no page title, no page content. A deep link is kept:
the gate answers at the path the student asked for (an echo of their own URL,
whether or not such a page exists), with the URL's query string untouched, so
the right code opens that page with its settings.

Whether a session is in is a flag in ``st.session_state`` and nowhere else: a new
session (a reload, a new tab) asks again. Codes are compared with
:func:`hmac.compare_digest`, ignoring case and spaces (the instructor writes the
code on the board). After :data:`FREE_TRIES` wrong codes a session waits before
each next try, twice as long each time (up to :data:`MAX_WAIT_S`); the server
log records every wrong code (never the code typed) and every admission.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
import re
import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

CODE_ENV = "CLASS_CODE"
"""The environment variable holding the class code; empty or unset: no code is asked."""
ADMITTED = "class_code_admitted"
WANTED_PAGE = "class_code_wanted_page"
WRONG = "class_code_wrong"
WAIT_UNTIL = "class_code_wait_until"
FORM = "class_code_form"
FIELD = "class_code_field"
FREE_TRIES = 3
"""Wrong codes a session may give before it has to wait between tries."""
FIRST_WAIT_S = 2.0
MAX_WAIT_S = 60.0
TITLE = "Class code"
"""The title of the gate's page (the only page a session without the code is told about)."""
GATE_DEFAULT_URL = "home"
"""The gate's default page hashes like the app's home page, so the right code at the root opens Home."""
WRONG_MESSAGE = "That is not the class code. Check it with your instructor."

_PAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_LOG = logging.getLogger(__name__)


def class_code() -> str:
    """The code in effect (``CLASS_CODE``, trimmed), or ``""`` when none is asked."""
    return os.environ.get(CODE_ENV, "").strip()


def _normalised(code: str) -> bytes:
    return "".join(code.split()).casefold().encode("utf-8")


def code_matches(given: str, expected: str) -> bool:
    """Whether ``given`` is the class code, in constant time; case and spaces do not matter."""
    return bool(expected.strip()) and hmac.compare_digest(_normalised(given), _normalised(expected))


def admitted() -> bool:
    """True when no code is set or this session has given it."""
    return not class_code() or st.session_state.get(ADMITTED) is True


def wait_seconds(wrong: int) -> float:
    """How long a session waits before its next try after ``wrong`` wrong codes."""
    if wrong < FREE_TRIES:
        return 0.0
    return min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (wrong - FREE_TRIES))


def _requested_page() -> str:
    """The URL path this session first asked for (``draw-digit`` for ``/draw-digit?...``), or ``""``."""
    if WANTED_PAGE not in st.session_state:
        ctx = get_script_run_ctx()
        name = (ctx.pages_manager.intended_page_name or "") if ctx is not None else ""
        st.session_state[WANTED_PAGE] = name if _PAGE_NAME.fullmatch(name) else ""
    return st.session_state[WANTED_PAGE]


def gate() -> None:
    """Ask for the class code instead of running the app (call ``st.navigation`` nothing else this run)."""
    wanted = _requested_page()
    pages = [st.Page(_ask, title=TITLE, icon="🔒", url_path=GATE_DEFAULT_URL, default=True)]
    if wanted and wanted != GATE_DEFAULT_URL:
        # Answer at the student's own path, so the browser keeps the URL (and its query string) for later.
        pages.append(st.Page(_ask, title=TITLE, icon="🔒", url_path=wanted))
    st.navigation(pages, position="hidden").run()


def _ask() -> None:
    st.title("🧪 ML Playground")
    st.write("Enter the class code your instructor gave you.")
    with st.form(FORM, enter_to_submit=True):
        given = st.text_input("Class code", type="password", key=FIELD, max_chars=200, autocomplete="off")
        submitted = st.form_submit_button("Enter", type="primary")
    if not submitted:
        return
    now = time.monotonic()
    wait = st.session_state.get(WAIT_UNTIL, 0.0) - now
    if wait > 0:
        st.error(f"Too many wrong codes: try again in {math.ceil(wait)} s.")
        return
    if code_matches(given, class_code()):
        st.session_state[ADMITTED] = True
        st.session_state.pop(WRONG, None)
        st.session_state.pop(WAIT_UNTIL, None)
        _LOG.info("Class code accepted (session %s).", _session_id())
        st.rerun()
    wrong = st.session_state.get(WRONG, 0) + 1
    st.session_state[WRONG] = wrong
    st.session_state[WAIT_UNTIL] = now + wait_seconds(wrong)
    _LOG.warning("Wrong class code (session %s, %d wrong so far).", _session_id(), wrong)
    st.error(WRONG_MESSAGE)


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "?"
