"""ML Playground's engine: models, data and training, with no Streamlit in sight.

One subpackage per playground (``engine.digits``, ...) plus what they share:
:mod:`engine.runtime` (threads, device), :mod:`engine.live` (the trainer
protocol) and :mod:`engine.scheduler` (server-wide training slots).

Importing this package is light: it imports neither torch nor xgboost. It only
sets the OpenMP environment, which must happen before either loads its OpenMP
runtime; each playground's package applies the rest of the thread policy when
it is imported.
"""

from __future__ import annotations

from engine.runtime import configure_environment

configure_environment()
