"""The rules: pure functions from a file's base and head state to violations, keyed by rule id.

A rule never reads git or the disk. What it needs from history comes through `History`, which
the caller answers lazily (only a rollback asks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from stagectl.core.model import Document, ModelFile, Path, Version, Violation
from stagectl.core.policy import Policy, Settings
from stagectl.errors import SHALLOW_NOTE


@dataclass(frozen=True)
class Change:
    """One model file as a change leaves it (`head`), beside what it was at the base."""

    path: str
    base: ModelFile | None
    head: ModelFile | None
    twins: tuple[str, ...] = ()  # other files in the models folder for the same model name
    moved_to: str | None = None  # the head's models folder, when the change moves the folder

    def versions(self) -> Iterator[tuple[Version | None, Version]]:
        """Each version at the head beside the same version at the base (None: new in this change)."""
        if self.head is None:
            return
        before = self.base.by_number() if self.base is not None else {}
        for number, version in self.head.by_number().items():
            yield before.get(number), version


@dataclass(frozen=True)
class SettingsChange:
    """`stagectl.yaml` as a change leaves it, beside the base's, and the model files it would govern."""

    base: Settings
    head: Settings
    document: Document | None  # the head's stagectl.yaml, for positions (None: absent, or only comments)
    models: Iterable[ModelFile]  # every valid model file in the head's models folder: read once, lazily


class History(Protocol):
    """What the base's history says, and what time it is (for soak times)."""

    @property
    def now(self) -> datetime: ...

    def was_in_production(self, path: str, version: int) -> bool:
        """Whether `version` was in production in `path` at some commit of the base's history."""

    def staging_since(self, path: str, version: int) -> datetime | None:
        """When the base branch put `version` into the staging it is in (None: it is not in staging)."""

    def is_shallow(self) -> bool:
        """Whether older commits are missing from the clone, so "never" or "only since" may be wrong."""


@dataclass(frozen=True)
class NoHistory:
    """For judging a file on its own: nothing was ever in production or staging."""

    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def was_in_production(self, path: str, version: int) -> bool:
        return False

    def staging_since(self, path: str, version: int) -> datetime | None:
        return None

    def is_shallow(self) -> bool:
        return False


@dataclass(frozen=True)
class Finding:
    """What a rule found, before the engine names the rule: a rule never writes its own id."""

    file: str
    line: int
    column: int
    message: str
    model: str | None = None
    version: int | None = None

    def as_violation(self, rule: str) -> Violation:
        return Violation(self.file, self.line, self.column, rule, self.message, self.model, self.version)


Check = Callable[[Change, Policy, History], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    check: Check
    standalone: bool  # also judged by `check --all`, where each file stands alone


SettingsCheck = Callable[[SettingsChange, ModelFile], Iterable[Finding]]


@dataclass(frozen=True)
class SettingsRule:
    """A rule over what the settings a change leaves do to each model file at the head."""

    id: str
    check: SettingsCheck


def shallow_note(history: History) -> str:
    """What to add to a history-based refusal when the clone's history is cut short."""
    return f" ({SHALLOW_NOTE})" if history.is_shallow() else ""


def finding(file: ModelFile, path: Path, message: str, version: int | None = None) -> Finding:
    """A finding at `path` in `file` (or its nearest ancestor that has a position)."""
    position = file.position(path)
    return Finding(file.path, position.line, position.column, message, file.name, version)


def all_rules() -> tuple[Rule, ...]:
    from stagectl.core.rules import gates, immutable, names, production, removal, soak, transitions, versions

    return (
        names.RULE,
        versions.DUPLICATE,
        versions.NUMBER,
        versions.REMOVED,
        immutable.RULE,
        transitions.RULE,
        soak.RULE,
        gates.RULE,
        production.RULE,
        removal.RULE,
    )


def settings_rules() -> tuple[SettingsRule, ...]:
    from stagectl.core.rules import registry_mapping

    return (registry_mapping.RULE,)
