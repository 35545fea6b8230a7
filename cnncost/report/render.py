"""The one entry point that renders a Document: to the terminal (rich, fitted to a Screen), Markdown or HTML."""

from __future__ import annotations

import dataclasses
import re

from .document import Chart, Document, Facts, Heading, Screen, Table, Text
from .html import to_html
from .markdown import to_markdown
from .terminal import to_terminal


def render(document: Document, fmt: str, screen: Screen = Screen()) -> str:
    """The document as text in fmt: 'table' (the terminal), 'md' or 'html'; control characters in its text (a name
    from a file) escaped, so that none reaches a terminal."""
    document = printable(document)
    if fmt == "md":
        return to_markdown(document)
    if fmt == "html":
        return to_html(document)
    return to_terminal(document, screen)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # every control character but tab and newline


def escaped(text: str) -> str:
    """text with each control character written as its escape: '\\x1b[2J' for ESC [2J."""
    return CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def one_line(text: str) -> str:
    """text on one line with every character a terminal would not print as itself escaped (a control character, a
    newline, a tab): for an error line that quotes a name from a file."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def printable(document: Document) -> Document:
    """The document with every string in it escaped (escaped)."""

    def block(b):
        if isinstance(b, Heading):
            return dataclasses.replace(b, text=escaped(b.text))
        if isinstance(b, Text):
            return Text(escaped(b.text), tuple(escaped(t) for t in b.bullets), escaped(b.brief))
        if isinstance(b, Facts):
            return Facts(tuple((escaped(k), escaped(v)) for k, v in b.items))
        if isinstance(b, Table):
            return dataclasses.replace(
                b,
                headers=tuple(escaped(h) for h in b.headers),
                rows=tuple(tuple(escaped(cell) for cell in row) for row in b.rows),
                footer=None if b.footer is None else tuple(escaped(cell) for cell in b.footer),
                title=escaped(b.title),
                caption=escaped(b.caption),
            )
        if isinstance(b, Chart):
            return dataclasses.replace(b, title=escaped(b.title), labels=tuple(escaped(x) for x in b.labels))
        return b

    return Document(escaped(document.title), tuple(block(b) for b in document.blocks))
