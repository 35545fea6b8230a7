"""Presentation: rows for humans, rich tables, CSV / Markdown / JSON export.

Only this package imports rich and pandas, and only inside the functions that need them,
so that profiling stays instant.
"""
