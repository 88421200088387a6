"""Show text from a hostile file safely, in each place stagectl writes to: one function per target.

- `printable` (terminals, logs, error messages): control characters, C1 codes and bidi controls
  as escapes (`\\x1b`, `\\u202e`), so nothing from a file can start a line, a colour or a
  right-to-left run.
- `annotation_data` / `annotation_property`: the text of a GitHub workflow command.
- `markdown`: inline text or a table cell of a job summary or comment, with no HTML or markdown
  from a file interpreted.
- `json_text`: a JSON document, with those same characters written as `\\uXXXX`.
"""

from __future__ import annotations

import codecs
import datetime
import io
import json
import re
from typing import Any

# C0, DEL, C1, the Unicode line separators, and the bidi marks, embeddings, overrides and isolates.
_INVISIBLE = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """Control characters as escapes (`\\n`, `\\x1b`, `\\u202e`): nothing from a file can start a line or a colour."""
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


_CONTROL_BUT_NEWLINES = re.compile(f"[\x00-\x09\x0b\x0c\x0e-\x1f{_INVISIBLE}]")


def annotation_data(text: str) -> str:
    """A workflow command's message (`::error ...::HERE`), escaped as @actions/core does (newlines: `%0A`).

    Other control characters are shown as escapes: the runner would copy them into the log raw.
    """
    text = _CONTROL_BUT_NEWLINES.sub(_escape, text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation_property(text: str) -> str:
    """A workflow command's property value (file=, title=), escaped as @actions/core does."""
    return annotation_data(text).replace(":", "%3A").replace(",", "%2C")


# What markdown or HTML could act on inside a line: HTML and entities, code spans, emphasis and
# strikethrough, links and images, math, mentions, the table's pipes, and the escape character
# itself. An underscore inside a word (run_id) emphasizes nothing and is left readable.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>|&~$@]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def markdown(text: str) -> str:
    """Text for a markdown table cell or a line of a job summary: shown as written, never interpreted.

    One line (no table row can end early), no HTML (`<script>`, `</details>`), no emphasis, links,
    code spans or mentions: each character that could start one is a character reference, which
    GitHub shows as the character itself.
    """
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", printable(text))


def markdown_code(text: str) -> str:
    """A code span (`` `models/fraud.yaml` ``) of `text`: one line, its pipes kept inside the table cell.

    Inside a code span nothing is interpreted, so only the fence must outlast any backticks in it.
    """
    text = printable(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


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
    return _MERMAID_SPECIAL.sub(lambda match: _MERMAID[match.group()], printable(" ".join(text.split())))


_JSON_UNSAFE = re.compile(f"[{_INVISIBLE}]")  # json.dumps escapes C0 itself


def json_text(document: Any, indent: int | None = 2) -> str:
    """`document` as JSON, readable (non-ASCII kept) but with no raw control or bidi character."""
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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


def describe_value(value: Any) -> str:
    """A short, safe rendering of a YAML value, with a hint where YAML surprised the author."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        word = "true" if value else "false"
        return f"the boolean {word} (YAML reads yes/no/on/off/true/false as booleans: quote it if you mean text)"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"the date {value.isoformat()} (quote it if you mean text)"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (int, float)):
        return short(repr(value))
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
