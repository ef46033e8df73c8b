"""The decision-boundary playground page's parts (settings, pictures, views, own data, compare mode)."""
