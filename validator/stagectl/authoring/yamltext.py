"""Write a string as a YAML scalar that reads back as exactly that string: the one writer for every
file stagectl writes (`new`, `import`, `register`), so a name like `true`, `No`, `007` or `1.5`
stays text in YAML 1.1 and 1.2 alike."""

from __future__ import annotations

import re

import yaml
from yaml.nodes import ScalarNode

_PLAIN = re.compile(r"(?:\w|/)[\w./:@+=%,()' -]*")  # letters and digits of any script; block context
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
# What YAML 1.2's core schema reads as a number where YAML 1.1 reads text (1e5, 0o7, .inf).
_YAML12_NUMBER = re.compile(
    r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF))"
    r"|\.(?:nan|NaN|NAN)"
)
_STR_TAG = "tag:yaml.org,2002:str"


def scalar(text: str) -> str:
    """`text` plain where YAML (1.1 and 1.2) reads it back as this same string, else double-quoted.

    A run id such as `8f2c1e0a` stays plain; `007`, `1e5`, `1:30` and `true` are quoted.
    """
    plain = _PLAIN.fullmatch(text) and not text.endswith((":", " ")) and ": " not in text and " #" not in text
    if plain and text.lower() not in _YAML11_WORDS and not _YAML12_NUMBER.fullmatch(text) and _reads_as_text(text):
        return text
    return double_quoted(text)


def _reads_as_text(text: str) -> bool:
    """YAML 1.1's own answer (PyYAML's resolver): ints, floats, sexagesimals, booleans, dates."""
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)


_RESOLVER = yaml.resolver.Resolver()


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
