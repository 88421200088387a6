"""Reporters: one per `--format`, all fed the same CheckResult."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TextIO

from stagectl.model import Violation


@dataclass(frozen=True)
class CheckResult:
    base: str | None
    head: str  # a commit sha, "INDEX" or "WORKTREE"
    files_checked: int
    violations: tuple[Violation, ...]

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
    from stagectl.report import github, jsonout, text

    return {"text": text.report, "json": jsonout.report, "github": github.report}


FORMATS = ("text", "json", "github")


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
