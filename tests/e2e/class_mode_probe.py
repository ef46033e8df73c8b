"""A stand-in app for tests/e2e/test_class_mode.py, served by scripts/run_app.sh in class mode
(``APP_ENTRY=tests/e2e/class_mode_probe.py``): it shows the settings in effect, takes an upload and
raises on demand, so the tests see what class mode does to any page."""

import json

import streamlit as st

OPTIONS = ("client.showErrorDetails", "server.maxUploadSize", "server.maxMessageSize",
           "server.enableXsrfProtection", "server.enableCORS")
SECRET = "secret-detail-4711"
"""The message of the exception the probe raises: it must reach the server log and never the browser."""

st.code(json.dumps({option: st.get_option(option) for option in OPTIONS}), language="json")
st.file_uploader("Any file", key="probe_upload")
if st.button("Raise"):
    raise RuntimeError(SECRET)
