"""ML Playground: entry point (``streamlit run app/entry/streamlit_app.py`` from the repository root).

It sits in a folder of its own, away from the top-level ``pages/`` folder: see
``app/paths.py``. The pages are registered in ``app/navigation.py``; with a class
code set (``CLASS_CODE``), a session sees them only once it has given the code
(``app/class_code.py``).
"""

import os

# Before torch or xgboost load: one math thread, no spin-waiting (see engine/runtime.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Building a trainer's optimizer here must not load torch._dynamo (+70 MB): engine/runtime.keep_dynamo_unloaded.
os.environ.setdefault("ML_PLAYGROUND_NO_DYNAMO", "1")

import streamlit as st  # noqa: E402

from app.class_code import admitted, gate  # noqa: E402
from app.layout import install as install_layout  # noqa: E402
from app.navigation import pages, sidebar  # noqa: E402
from app.warm_up import wanted as warm_up_wanted  # noqa: E402
from app.warm_up import warm_up  # noqa: E402

st.set_page_config(page_title="ML Playground", page_icon="🧪", layout="wide")
if warm_up_wanted():  # a school's process: its first run (the school's own) loads everything, once
    warm_up()
if not admitted():  # CLASS_CODE is set and this session has not given it: the gate's own page, nothing else
    gate()
    st.stop()
navigation = st.navigation(pages())
sidebar()
install_layout()  # the projector switch and link, phone and projector styles: every page
navigation.run()
