"""Write a string as a YAML scalar that reads back as exactly that string: the one writer for every
file stagectl writes (`new`, `import`, `register`), so a name like `true`, `No`, `007` or `1.5`
stays text in YAML 1.1 and 1.2 alike."""

from __future__ import annotations

import re

_PLAIN = re.compile(r"(?:[^\W\d]|/)[\w./:@+=%,()' -]*")  # letters of any script; block context
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def scalar(text: str) -> str:
    """`text` plain where YAML reads it back as this same string, else double-quoted."""
    plain = _PLAIN.fullmatch(text) and not text.endswith((":", " ")) and ": " not in text and " #" not in text
    if plain and text.lower() not in _YAML11_WORDS:
        return text
    return double_quoted(text)


def double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar; what is not printable is an escape."""
    return '"' + "".join(_escape(c) for c in text) + '"'


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
