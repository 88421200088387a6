"""What to do about a YAML syntax error: libyaml's words ("mapping values are not allowed in this
context") say what the parser met, not how to fix the file. Pure: the file's bytes and the marks in.

Both parsers (libyaml and PyYAML's own) get the same hint, from the same marks, so the advice does
not depend on which one a machine has.
"""

from __future__ import annotations

from dataclasses import dataclass

_INDENTATION_PROBLEMS = (
    "mapping values are not allowed",  # libyaml: "... in this context"; PyYAML: "... here"
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
)


@dataclass(frozen=True)
class Hint:
    text: str  # what to do, to follow the parser's reason
    line: int | None = None  # 1-based: where to point instead of the parser's mark (a tab)
    column: int | None = None


def hint(content: bytes, problem: str, line: int, column: int) -> Hint | None:
    """Advice for the syntax error `problem` found at 1-based (line, column), or None."""
    lines = content.decode("utf-8", "replace").splitlines()
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    tab = _tab_column(text, column)
    if tab is not None:
        return Hint(f"YAML indents with spaces, not tabs: replace the tab at line {line}", line, tab)
    if not any(known in problem for known in _INDENTATION_PROBLEMS):
        return None
    if "mapping values" in problem and ": " in text[: max(column - 1, 0)]:
        return Hint(f"a value containing ': ' must be quoted: put quotes around the value on line {line}")
    stripped = text.lstrip(" ")
    if not stripped:
        return None
    target = _line_up_with(lines[: line - 1], len(text) - len(stripped) + 1, stripped.startswith("- "))
    if target is None:
        return None
    return Hint(f"check the indentation of line {line}: it should line up with line {target}")


def _tab_column(text: str, column: int) -> int | None:
    """The 1-based column of a tab in the line's indentation or at the parser's mark."""
    indent = len(text) - len(text.lstrip(" \t"))
    if "\t" in text[:indent]:
        return text.index("\t") + 1
    if 1 <= column <= len(text) and text[column - 1] == "\t":
        return column
    return None


def _line_up_with(above: list[str], column: int, is_item: bool) -> int | None:
    """The line above whose key (or `-`, for a list item) sits nearest the misplaced line's column.

    Only lines that are still open there count: the previous line and, going up, each line indented
    no deeper than everything below it (its siblings and parents). The latest of equals wins.
    """
    best: tuple[int, int] | None = None  # (distance, -line)
    shallowest: int | None = None
    for number in range(len(above), 0, -1):
        text = above[number - 1]
        stripped = text.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(text) - len(stripped) + 1
        if shallowest is not None and indent > shallowest:
            continue
        shallowest = indent
        candidate = indent if is_item else _key_column(text)
        if candidate is None or (is_item and not stripped.startswith("- ")):
            continue
        distance = abs(candidate - column)
        if distance and (best is None or (distance, -number) < best):
            best = (distance, -number)
    return -best[1] if best else None


def _key_column(text: str) -> int | None:
    """The 1-based column where the line's key (or scalar) starts, past any `- ` list markers."""
    position = len(text) - len(text.lstrip(" "))
    while text.startswith("- ", position) or text[position:] == "-":
        position += 2
        while position < len(text) and text[position] == " ":
            position += 1
    return position + 1 if position < len(text) else None
