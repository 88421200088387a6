"""Show text from a hostile file safely: short, one line, no control characters."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """Control characters as escapes (`\\n`, `\\x1b`): nothing from a file can start a line or a colour."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")


def short(text: str, limit: int = 60) -> str:
    """At most `limit` characters, printable."""
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = 60) -> str:
    return f"'{short(text, limit)}'"
