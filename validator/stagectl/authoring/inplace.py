"""Edit a model file in place, changing only the lines an edit must touch.

Comments, key order, quoting, blank lines, line endings and a byte-order mark all survive: the
loader's spans say exactly where each value sits, and an edit rewrites only those characters
(a stage) or inserts only the new entry's lines (a version), in the style of its neighbours.
Every edit is verified by parsing the result: if the data is not exactly what was intended, the
edit is refused rather than written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stagectl.authoring.yamltext import double_quoted, scalar
from stagectl.core.model import Document, Span
from stagectl.load import yamlsafe

_LINE_BREAK = re.compile(r"\r\n|\r|\n|\x85|\u2028|\u2029")
_BOM = "\ufeff"


class EditError(Exception):
    """The file cannot be edited safely in place (the message says why and what to do)."""


@dataclass
class _Text:
    """A file's text as lines (without their endings), its endings, and its byte-order mark."""

    lines: list[str]
    endings: list[str]
    bom: bool
    newline: str  # the file's own line ending, for inserted lines

    @classmethod
    def decode(cls, content: bytes) -> _Text:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise EditError("only UTF-8 files can be edited in place") from None
        bom = text.startswith(_BOM)
        if bom:
            text = text[1:]
        lines, endings, at = [], [], 0
        for match in _LINE_BREAK.finditer(text):
            lines.append(text[at : match.start()])
            endings.append(match.group())
            at = match.end()
        lines.append(text[at:])
        endings.append("")
        newline = max(("\r\n", "\n", "\r"), key=endings.count) if any(endings) else "\n"
        return cls(lines, endings, bom, newline)

    def encode(self) -> bytes:
        body = "".join(line + end for line, end in zip(self.lines, self.endings, strict=True))
        return ((_BOM if self.bom else "") + body).encode("utf-8")

    def insert_after(self, index: int, new_lines: list[str]) -> None:
        """Insert whole lines after line `index` (0-based), giving the line before an ending if it had none."""
        if not self.endings[index]:
            self.endings[index] = self.newline
            endings = [self.newline] * (len(new_lines) - 1) + [""]
        else:
            endings = [self.newline] * len(new_lines)
        self.lines[index + 1 : index + 1] = new_lines
        self.endings[index + 1 : index + 1] = endings


def set_stages(content: bytes, document: Document, stages: Mapping[int, str]) -> bytes:
    """Rewrite the `stage:` values of the entries at these list indexes, keeping their quoting."""
    text = _Text.decode(content)
    # Right to left on each line, so earlier columns stay valid.
    edits = sorted(stages.items(), key=lambda item: _span(document, ("versions", item[0], "stage")).start.column)
    for index, stage in reversed(edits):
        span = _span(document, ("versions", index, "stage"))
        if span.start.line != span.end.line or span.style in ("|", ">"):
            raise EditError(f"the stage on line {span.start.line} spans several lines: write it on one line to edit it")
        line = text.lines[span.start.line - 1]
        token = _quoted(stage, span.style)
        text.lines[span.start.line - 1] = line[: span.start.column - 1] + token + line[span.end.column - 1 :]
    result = text.encode()
    expected = copy.deepcopy(document.data)
    for index, stage in stages.items():
        expected["versions"][index]["stage"] = stage
    _verify(result, expected)
    return result


def append_version(content: bytes, document: Document, entry: Mapping[str, Any]) -> bytes:
    """Add a version entry after the last one, in the style of the entries already there."""
    text = _Text.decode(content)
    versions = document.data["versions"]
    span = _span(document, ("versions",))
    if not versions:
        _append_first(text, document, span, entry)
    elif span.flow:
        _append_flow_list(text, document, span, entry)
    else:
        _append_block_list(text, document, entry)
    result = text.encode()
    expected = copy.deepcopy(document.data)
    expected["versions"].append(dict(entry))
    _verify(result, expected)
    return result


def _append_block_list(text: _Text, document: Document, entry: Mapping[str, Any]) -> None:
    last = len(document.data["versions"]) - 1
    item = _span(document, ("versions", last))
    dash_line = text.lines[item.start.line - 1]
    prefix = dash_line[: item.start.column - 1]  # e.g. "  - "
    if prefix.strip() != "-":
        raise EditError(
            f"the last version entry (line {item.start.line}) does not start its line: add the version by hand"
        )
    order = _key_order(document.data["versions"][last], entry)
    styles = {key: _style(document, ("versions", last, key)) for key in order}
    if item.flow:
        body = ", ".join(f"{key}: {_scalar(entry[key], styles[key], flow=True)}" for key in order)
        new_lines = [f"{prefix}{{{body}}}"]
    else:
        indent = " " * len(prefix)
        new_lines = [
            f"{prefix if n == 0 else indent}{key}: {_scalar(entry[key], styles[key], flow=False)}"
            for n, key in enumerate(order)
        ]
    after = _last_content_line(document, ("versions", last))
    while after > item.start.line - 1 and not text.lines[after].strip():
        after -= 1  # a block scalar's trailing blank lines stay after the new entry
    text.insert_after(after, new_lines)


def _append_flow_list(text: _Text, document: Document, span: Span, entry: Mapping[str, Any]) -> None:
    last = len(document.data["versions"]) - 1
    item = _span(document, ("versions", last))
    order = _key_order(document.data["versions"][last], entry)
    styles = {key: _style(document, ("versions", last, key)) for key in order}
    body = ", ".join(f"{key}: {_scalar(entry[key], styles[key], flow=True)}" for key in order)
    line_index = item.end.line - 1
    line = text.lines[line_index]
    cut = item.end.column - 1
    if item.start.line > span.start.line:  # one entry per line: the new one on its own line
        indent = text.lines[item.start.line - 1][: item.start.column - 1]
        rest = line[cut:]
        if rest.lstrip(" ").startswith("]"):  # the list closes on this line: it closes after the new entry
            text.lines[line_index] = line[:cut] + ","
            text.insert_after(line_index, [f"{indent}{{{body}}}{rest.lstrip(' ')}"])
        elif rest.lstrip(" ").startswith(","):  # a trailing comma: the new entry gets one too
            text.insert_after(line_index, [f"{indent}{{{body}}},"])
        else:  # spaces and a comment stay with the entry they follow
            text.lines[line_index] = line[:cut] + "," + rest
            text.insert_after(line_index, [f"{indent}{{{body}}}"])
    else:
        text.lines[line_index] = f"{line[:cut]}, {{{body}}}{line[cut:]}"


def _append_first(text: _Text, document: Document, span: Span, entry: Mapping[str, Any]) -> None:
    """`versions: []` becomes a block list holding the first entry."""
    if not span.flow or span.start.line != span.end.line:
        raise EditError("the empty versions list is not written as '[]': add the version by hand")
    line = text.lines[span.start.line - 1]
    key_position = document.positions[("versions",)]
    indent = " " * (key_position.column - 1 + _indent_step(text))
    text.lines[span.start.line - 1] = (line[: span.start.column - 1].rstrip() + line[span.end.column - 1 :]).rstrip()
    order = list(entry)
    new_lines = [
        f"{indent}{'- ' if n == 0 else '  '}{key}: {_scalar(entry[key], None, flow=False)}"
        for n, key in enumerate(order)
    ]
    text.insert_after(span.start.line - 1, new_lines)


def _indent_step(text: _Text) -> int:
    """The file's indentation step (2 when nothing says otherwise)."""
    steps = [len(line) - len(line.lstrip(" ")) for line in text.lines if line.startswith(" ") and line.strip()]
    return min(steps) if steps else 2


def _key_order(last: Mapping[str, Any], entry: Mapping[str, Any]) -> list[str]:
    """The new entry's keys in the order the last entry wrote them, new keys after."""
    ordered = [key for key in last if key in entry]
    return ordered + [key for key in entry if key not in ordered]


def _last_content_line(document: Document, path: tuple[Any, ...]) -> int:
    """0-based index of the last line holding any value inside `path` (comments after it excluded)."""
    last = 0
    for where, span in document.spans.items():
        if where[: len(path)] == path and span.kind != "block":  # a block collection ends at the next token
            end_line = span.end.line if span.end.column > 1 else span.end.line - 1
            last = max(last, end_line)
    return last - 1


def _span(document: Document, path: tuple[Any, ...]) -> Span:
    span = document.spans.get(path)
    if span is None:
        raise EditError(f"cannot find {'.'.join(map(str, path))} in the file")
    return span


def _style(document: Document, path: tuple[Any, ...]) -> str | None:
    span = document.spans.get(path)
    return span.style if span is not None and span.style in ("'", '"') else None


def _quoted(value: str, style: str | None) -> str:
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return double_quoted(value)
    return value


def _scalar(value: Any, style: str | None, flow: bool) -> str:
    """`value` as YAML: in the neighbours' quoting where they quote, plain where that reads back the same.

    A mapping (metrics) is written inline, `{auc: 0.93}`, which reads back the same in any context.
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k, None, True)}: {_scalar(v, None, True)}" for k, v in value.items()) + "}"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise EditError(f"cannot write {value!r}")
    if isinstance(value, (int, float)):
        return repr(value)
    if style in ("'", '"'):
        return _quoted(value, style)
    written = scalar(value)
    return double_quoted(value) if flow and "," in written and written == value else written  # `,` ends a flow item


def _verify(result: bytes, expected: Any) -> None:
    loaded = yamlsafe.load(result)
    if loaded.document is None or loaded.document.data != expected:
        raise EditError("the file's layout is too unusual to edit safely in place: make this change by hand")
