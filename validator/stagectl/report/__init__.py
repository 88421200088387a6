"""Reporters: one per `--format`, all fed the same CheckResult."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from stagectl.core.model import Violation

if TYPE_CHECKING:
    from stagectl.core.moves import ModelMoves


@dataclass(frozen=True)
class CheckResult:
    base: str | None
    head: str  # a commit sha, "INDEX" or "WORKTREE" (gitio.head_label)
    files_checked: int
    violations: tuple[Violation, ...]
    notes: tuple[str, ...] = ()  # for people (stderr, annotations), never in the JSON
    moves: tuple[ModelMoves, ...] = ()  # what merging does, per model (for --format markdown)
    approvals: tuple[str, ...] = ()  # the approval rule's findings, in words (met or not)
    unjudged: tuple[str, ...] = ()  # approvals not judged here, and why (also among the notes)
    policy_file: bool = False  # the base has a stagectl.yaml (else the defaults judged)
    timelines: tuple[tuple[str, str], ...] = ()  # (model, Mermaid gantt) of the models that change stage

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def files_with_errors(self) -> int:
        return len({v.file for v in self.violations})


@dataclass(frozen=True)
class Output:
    out: TextIO
    err: TextIO
    env: Mapping[str, str]
    quiet: bool = False


Reporter = Callable[[CheckResult, Output], None]


def summary_line(result: CheckResult) -> str:
    files = plural(result.files_checked, "model file") + " checked"
    if result.ok:
        return f"stagectl: {files}, no errors"
    return f"stagectl: {files}: {plural(len(result.violations), 'error')} in {plural(result.files_with_errors, 'file')}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# The reporter registry: `--format` name -> the module in report/ whose `report` writes it. A new
# format is one module and one line here; cli.py reads the choices from FORMATS, lazily.
_MODULES = {"text": "text", "json": "jsonout", "github": "annotations", "sarif": "sarif", "markdown": "markdown"}

FORMATS = tuple(_MODULES)
"""The `--format` choices of `check`: one reporter module each, imported only when chosen."""


def reporter(name: str) -> Reporter:
    module = importlib.import_module(f"stagectl.report.{_MODULES[name]}")
    found: Reporter = module.report
    return found


SUMMARY_BYTES = 512 * 1024  # GitHub refuses a step summary over 1 MiB; other steps may append too


def fit_summary(head: list[str], rows: Iterable[str], total: int, not_shown: Callable[[int], str]) -> str:
    """A job summary of `head`, then as many of the `total` `rows` as fit in SUMMARY_BYTES, then a line
    counting the rest. Rows are made lazily: those past the limit are never made."""
    used = sum(len(line.encode()) + 1 for line in head) + 200
    lines = list(head)
    for index, row in enumerate(rows):
        used += len(row.encode()) + 1
        if used > SUMMARY_BYTES:
            lines += ["", not_shown(total - index)]
            break
        lines.append(row)
    return "\n".join(lines).rstrip() + "\n\n"
