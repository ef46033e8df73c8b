"""ML Playground's engine: models, data and training, with no Streamlit in sight.

Importing this package applies the thread policy that keeps small models fast on a
shared machine (see :mod:`engine.runtime`) before torch or xgboost is loaded.
"""

from __future__ import annotations

from engine.runtime import configure_threads

configure_threads()
