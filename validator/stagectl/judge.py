"""Judge a change: every rule over every changed model file. Pure: no git, no disk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stagectl.model import ModelFile, Parsed, Rejected, Violation
from stagectl.policy import Policy
from stagectl.rules import Change, History, NoHistory, all_rules


@dataclass(frozen=True)
class FileChange:
    """A changed model file: what it was at the base and what the change leaves (None: absent)."""

    path: str
    base: Parsed | None
    head: Parsed | None
    twins: tuple[str, ...] = ()


def judge(
    changes: Iterable[FileChange], policy: Policy, history: History | None = None, standalone: bool = False
) -> list[Violation]:
    """All violations of all files, sorted by file and position.

    `standalone` judges each head file on its own (`check --all`): only the rules that need no base.
    A base that was itself unreadable counts as absent, so its versions are judged as new.
    """
    rules = [rule for rule in all_rules() if rule.standalone or not standalone]
    history = history or NoHistory()
    found: list[Violation] = []
    for file_change in changes:
        if isinstance(file_change.head, Rejected):
            found.extend(file_change.head.violations)
            continue
        base = file_change.base if isinstance(file_change.base, ModelFile) else None
        change = Change(file_change.path, base, file_change.head, file_change.twins)
        for rule in rules:
            found.extend(rule.check(change, policy, history))
    return sorted(found, key=Violation.sort_key)
