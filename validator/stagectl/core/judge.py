"""Judge a change: every rule over every changed model file. Pure: no git, no disk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from stagectl.core.model import ModelFile, Parsed, Rejected, Violation
from stagectl.core.policy import Policy
from stagectl.core.rules import Change, History, NoHistory, SettingsChange, all_rules, settings_rules


@dataclass(frozen=True)
class FileChange:
    """A changed model file: what it was at the base and what the change leaves (None: absent)."""

    path: str  # the head's path (the base's, for a deleted file)
    base: Parsed | None
    head: Parsed | None
    twins: tuple[str, ...] = ()
    base_path: str | None = None  # where the base's file was, when the change moved it (models_dir)
    moved_to: str | None = None  # the head's models folder, when the change moved it


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
        change = Change(file_change.path, base, file_change.head, file_change.twins, file_change.moved_to)
        asked = history
        if file_change.base_path not in (None, file_change.path):
            asked = _Moved(history, {file_change.path: file_change.base_path})
        for rule in rules:
            found.extend(each.as_violation(rule.id) for each in rule.check(change, policy, asked))
    return sorted(found, key=Violation.sort_key)


def judge_settings(change: SettingsChange | None) -> list[Violation]:
    """What a change to `stagectl.yaml` would do beyond its own policy: every settings rule."""
    if change is None:
        return []
    rules = settings_rules()
    found = [
        each.as_violation(rule.id) for model in change.models for rule in rules for each in rule.check(change, model)
    ]
    return sorted(found, key=Violation.sort_key)


@dataclass(frozen=True)
class _Moved:
    """The base's history of a moved model file, asked by the file's new path: it lives at the old one."""

    history: History
    paths: Mapping[str, str]  # head path -> base path

    @property
    def now(self) -> datetime:
        return self.history.now

    def was_in_production(self, path: str, version: int) -> bool:
        return self.history.was_in_production(self.paths.get(path, path), version)

    def staging_since(self, path: str, version: int) -> datetime | None:
        return self.history.staging_since(self.paths.get(path, path), version)

    def is_shallow(self) -> bool:
        return self.history.is_shallow()
