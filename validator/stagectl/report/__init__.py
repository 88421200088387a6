"""Reporters: one per `--format`, all fed the same CheckResult."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from stagectl.model import Violation

if TYPE_CHECKING:
    from stagectl.moves import ModelMoves


@dataclass(frozen=True)
class CheckResult:
    base: str | None
    head: str  # a commit sha, "INDEX" or "WORKTREE"
    files_checked: int
    violations: tuple[Violation, ...]
    notes: tuple[str, ...] = ()  # for people (stderr, annotations), never in the JSON
    moves: tuple[ModelMoves, ...] = ()  # what merging does, per model (for --format markdown)
    approvals: tuple[str, ...] = ()  # the approval rule's findings, in words (met or not)
    unjudged: tuple[str, ...] = ()  # approvals not judged here, and why (also among the notes)
    policy_file: bool = False  # the base has a stagectl.yaml (else the defaults judged)

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


def reporters() -> dict[str, Reporter]:
    """Format name -> reporter; also the `--format` choices."""
    from stagectl.report import github, jsonout, markdown, text

    return {"text": text.report, "json": jsonout.report, "github": github.report, "markdown": markdown.report}


FORMATS = ("text", "json", "github", "markdown")
