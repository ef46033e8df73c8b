"""The gradient-boosting page's sections (settings, views, live build-up), used by ``app_pages/boosting.py``."""
