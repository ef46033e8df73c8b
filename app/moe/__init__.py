"""The mixture-of-experts page's sections: settings, live views, figures and keys.

The page (``app_pages/moe.py``) reads the settings into a :class:`engine.moe.MoEConfig`,
hands Play / Pause / Step / Reset to :mod:`app.live`, and draws every update with
:func:`app.moe.views.show_run`.
"""
