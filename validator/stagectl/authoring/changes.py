"""What an editing command changes, decided from plain data (the file, the policy, the history).

Each function returns the intended change or raises `Refusal` with what to do instead; nothing
here reads or writes files. Whether the policy accepts the result is judged afterwards, by the
same rules `check` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stagectl.authoring.yamltext import scalar
from stagectl.core.events import StageEvent
from stagectl.core.model import ModelFile, Version
from stagectl.core.policy import Policy
from stagectl.core.stage import Stage


class Refusal(Exception):
    """The edit cannot be made (exit 1, the file left alone); the message says why."""


class NoEarlierProduction(Refusal):
    """A rollback found no earlier production version in the history it was given."""


class BadRequest(Exception):
    """What was asked means nothing for this file (no such version, a malformed metric): the command
    cannot run (exit 2), which is the caller's to say; this module only says why."""


@dataclass(frozen=True)
class StageChange:
    version: int
    index: int  # position in the file's versions list
    from_stage: Stage
    to_stage: Stage


@dataclass(frozen=True)
class Edit:
    """Stage changes to make in one file, or a version entry to append."""

    stages: tuple[StageChange, ...] = ()
    new_entry: dict[str, Any] = field(default_factory=dict)
    already: str = ""  # nothing to change, and why: the file already says what was asked (exit 0)

    @classmethod
    def nothing(cls, why: str) -> Edit:
        return cls(already=why)

    def describe(self) -> list[str]:
        lines = [f"version {c.version}: {c.from_stage} → {c.to_stage}" for c in self.stages]
        if self.new_entry:
            entry = self.new_entry
            lines.append(f"version {entry['version']}: registered in {entry['stage']} ({entry['source']})")
        return lines


def _version(model: ModelFile, number: int) -> Version:
    found = model.by_number().get(number)
    if found is None:
        known = ", ".join(str(n) for n in sorted(model.by_number())) or "none yet"
        raise BadRequest(f"{model.name} has no version {number} (versions: {known})")
    return found


def _move(version: Version, to_stage: Stage) -> StageChange:
    return StageChange(version.number, version.index, version.stage, to_stage)


def promote(model: ModelFile, number: int, to_stage: Stage | None, policy: Policy) -> Edit:
    """Move a version to `to_stage` (default: the next stage); into production, archive what it displaces."""
    version = _version(model, number)
    target = to_stage or version.stage.next
    if target is None:
        raise BadRequest(
            f"version {number} of {model.name} is {version.stage}: say where it goes with --to staging|production"
        )
    if target == version.stage:
        return Edit.nothing(f"version {number} of {model.name} is already in {target}")
    changes = [_move(version, target)]
    if target == Stage.PRODUCTION and policy.max_production is not None:
        others = sorted(
            (v for v in model.by_number().values() if v.stage == Stage.PRODUCTION and v.number != number),
            key=lambda v: v.number,
        )
        excess = len(others) + 1 - policy.max_production
        changes += [_move(v, Stage.ARCHIVED) for v in others[: max(0, excess)]]
    return Edit(stages=tuple(changes))


def archive(model: ModelFile, number: int) -> Edit:
    version = _version(model, number)
    if version.stage == Stage.ARCHIVED:
        return Edit.nothing(f"version {number} of {model.name} is already archived")
    return Edit(stages=(_move(version, Stage.ARCHIVED),))


def rollback(model: ModelFile, events: Sequence[StageEvent]) -> Edit:
    """Production goes back to the version that was there before the current one; the current is archived.

    "Before" is read from the file's history (HEAD's first parents): the latest version other than
    the current one that was put into production before the current one was.
    """
    live = sorted((v for v in model.by_number().values() if v.stage == Stage.PRODUCTION), key=lambda v: v.number)
    if not live:
        raise Refusal(f"{model.name} has no version in production: there is nothing to roll back")
    current = live[-1]
    entered = [i for i, e in enumerate(events) if e.version == current.number and e.to_stage == Stage.PRODUCTION]
    before = events[: entered[-1]] if entered else events
    previous = next(
        (e.version for e in reversed(before) if e.to_stage == Stage.PRODUCTION and e.version != current.number), None
    )
    target = model.by_number().get(previous) if previous is not None else None
    if target is None:
        raise NoEarlierProduction(
            f"no version of {model.name} was in production before version {current.number}: nothing to roll back to"
        )
    return Edit(stages=(_move(current, Stage.ARCHIVED), _move(target, Stage.PRODUCTION)))


def register(model: ModelFile, source: str, run_id: str | None, stage: Stage, metrics: Sequence[str] = ()) -> Edit:
    """A new version numbered one above the highest in the file; `metrics` as NAME=NUMBER."""
    if not stage.is_start:
        raise BadRequest(f"a new version starts in none or staging, not {stage}")
    number = max(model.by_number(), default=0) + 1
    entry: dict[str, Any] = {"version": number, "stage": stage.value, "source": source}
    if run_id:
        entry["run_id"] = run_id
    if metrics:
        entry["metrics"] = dict(_metric(text) for text in metrics)
    return Edit(new_entry=entry)


def _metric(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"--metric {text!r} is not NAME=NUMBER (e.g. auc=0.93)") from None
    if not name.strip() or number != number or number in (float("inf"), float("-inf")):
        raise BadRequest(f"--metric {text!r} is not NAME=NUMBER (e.g. auc=0.93)")
    return name.strip(), int(number) if number.is_integer() and "." not in value else number


def new_model_text(name: str, schema_path: str | None) -> str:
    """A valid, empty model file."""
    header = f"# yaml-language-server: $schema={schema_path}\n" if schema_path else ""
    return f"{header}name: {scalar(name)}\nversions: []\n"
