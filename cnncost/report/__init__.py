"""Presentation: a Document per command (document.py) and one renderer per format: the terminal (terminal.py, rich),
Markdown (markdown.py), HTML (html.py); CSV and JSON of the raw numbers (export.py).

Only this package (and the command line) imports rich and pandas, and only inside the functions that need them, so
that profiling stays instant.
"""

from . import export  # noqa: F401  (provides Profile's exports: results.PROVIDED)
