"""Markdown for job summaries, comments and wikis: text from files kept inert in a table cell."""

from __future__ import annotations

import re

from stagectl.display import printable

_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _one_line(text: str) -> str:
    """One line, control characters and bidi overrides as visible escapes (`\\x1b`, `\\u202e`)."""
    return _BIDI.sub(lambda match: f"\\u{ord(match.group()):04x}", printable(" ".join(text.split())))


def cell(text: str) -> str:
    """Keep a table cell one cell: no pipes, no newlines, no raw HTML, no control characters.

    Safe inside a code span too (backticks become quotes), so a cell can be written as `...`.
    """
    text = _one_line(text)
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


_MERMAID = {
    "#": "#35;",
    ";": "#59;",
    ":": "#58;",
    "%": "#37;",
    "<": "#lt;",
    ">": "#gt;",
    '"': "#quot;",
    "&": "#amp;",
    "`": "#96;",
    "{": "#123;",
    "}": "#125;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID)) + "]")


def mermaid_text(text: str) -> str:
    """Text for a Mermaid label or title: one line, and nothing Mermaid reads as syntax.

    `:` splits a gantt task, `#` and `%%` start comments, `;` ends a statement, `<`/`>` could be
    HTML: each becomes a Mermaid entity code (`#58;`), which Mermaid shows as the character.
    """
    return _MERMAID_SPECIAL.sub(lambda match: _MERMAID[match.group()], _one_line(text))
