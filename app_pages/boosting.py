"""Placeholder while the page is built (replaced by the page itself)."""

import streamlit as st

st.title("Coming soon")
st.info("This playground is being built.")
