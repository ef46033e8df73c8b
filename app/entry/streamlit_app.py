"""ML Playground: entry point (``streamlit run app/entry/streamlit_app.py`` from the repository root).

It sits in a folder of its own, away from the top-level ``pages/`` folder: see
``app/paths.py``. The pages are registered in ``app/navigation.py``.
"""

import os

# Before torch or xgboost load: one math thread, no spin-waiting (see engine/runtime.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402

from app.navigation import pages, sidebar  # noqa: E402

st.set_page_config(page_title="ML Playground", page_icon="🧪", layout="wide")
navigation = st.navigation(pages())
sidebar()
navigation.run()
