"""The one entry point that renders a Document: to the terminal (rich, fitted to a Screen), Markdown or HTML."""

from __future__ import annotations

from .document import Document, Screen
from .html import to_html
from .markdown import to_markdown
from .terminal import to_terminal


def render(document: Document, fmt: str, screen: Screen = Screen()) -> str:
    """The document as text in fmt: 'table' (the terminal), 'md' or 'html'."""
    if fmt == "md":
        return to_markdown(document)
    if fmt == "html":
        return to_html(document)
    return to_terminal(document, screen)
