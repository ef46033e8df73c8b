"""The XGBoost-on-real-data page's sections and figures (the page itself is ``pages/tabular.py``)."""
