"""Streamlit side of ML Playground: navigation, shared widgets, figure builders, keys."""
