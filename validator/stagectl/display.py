"""Show text from a hostile file safely: short, one line, no control characters."""

from __future__ import annotations

import codecs
import io
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """Control characters as escapes (`\\n`, `\\x1b`): nothing from a file can start a line or a colour."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or _escape_code(code)


def short(text: str, limit: int = 60) -> str:
    """At most `limit` characters, printable."""
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = 60) -> str:
    return f"'{short(text, limit)}'"


_LOOK_ALIKES = {"→": "->", "…": "...", "—": "-", "–": "-", "×": "x", "≤": "<=", "≥": ">="}
FALLBACK = "stagectl-fallback"


def _fallback(error: UnicodeError) -> tuple[str, int]:
    """A character the output's encoding lacks: an ASCII look-alike, else an escape (never a crash)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chars = error.object[error.start : error.end]
    return "".join(_LOOK_ALIKES.get(c) or _escape_code(ord(c)) for c in chars), error.end


def _escape_code(code: int) -> str:
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def tolerate_any_encoding(*streams: Any) -> None:
    """A cp1252 or ASCII terminal must not turn an arrow in a message into an error after an edit is made."""
    codecs.register_error(FALLBACK, _fallback)
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=FALLBACK)
