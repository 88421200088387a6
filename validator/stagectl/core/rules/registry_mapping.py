"""registry-mapping: a settings change must not move, add or drop any model's alias in the registry.

Which version an alias names follows from the model's stages through the registry mapping
(`registry.aliases`, `registry.mode`). The base's mapping and the head's are applied to the same
head stages, so only what the settings change itself would do is judged: stage changes are the
other rules' business. The mapping's logic is the registry's own (`AliasMapping.targets`, what `apply`
writes), and importing it pulls in no MLflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stagectl.core.aliases import AliasMapping
from stagectl.core.model import START, ModelFile, Position
from stagectl.core.policy import POLICY_FILE
from stagectl.core.rules import Finding, SettingsChange, SettingsRule


@dataclass(frozen=True)
class AliasMove:
    """An alias of a model that would name another version (None: no version) after the change."""

    model: str
    alias: str
    before: int | None
    after: int | None

    def describe(self) -> str:
        alias = f"alias '{self.alias}' of {self.model}"
        if self.before is None:
            return f"{alias} would be added, on version {self.after} (no version has it now)"
        if self.after is None:
            return f"{alias} would be dropped from version {self.before} (no version would have it)"
        return f"{alias} would move from version {self.before} to version {self.after}"


def alias_moves(model: ModelFile, before: AliasMapping, after: AliasMapping) -> list[AliasMove]:
    """Every alias of `model` that names another version under `after` than under `before`."""
    if before == after:
        return []
    stages = [(version.number, version.stage) for version in model.by_number().values()]
    was, will = before.targets(stages), after.targets(stages)
    return [
        AliasMove(model.name, alias, was.get(alias), will.get(alias))
        for alias in dict.fromkeys([*was, *will])
        if was.get(alias) != will.get(alias)
    ]


def check(change: SettingsChange, model: ModelFile) -> Iterator[Finding]:
    before = AliasMapping.from_settings(change.base.registry)
    after = AliasMapping.from_settings(change.head.registry)
    for move in alias_moves(model, before, after):
        line, column = _where(change, move, before, after)
        yield Finding(
            POLICY_FILE,
            line,
            column,
            f"{move.describe()}: a remap belongs in a pull request of its own, merged on purpose by someone "
            "allowed to bypass this check",
            model.name,
            move.after if move.after is not None else move.before,
        )


def _where(change: SettingsChange, move: AliasMove, before: AliasMapping, after: AliasMapping) -> Position:
    """The key of the head's stagectl.yaml that names the alias (or the nearest key that is there)."""
    if change.document is None:
        return START
    stage = after.aliases.get(move.alias) or before.aliases.get(move.alias)
    if before.aliases == after.aliases:
        return change.document.position(("registry", "mode"))
    return change.document.position(("registry", "aliases", stage or ""))


RULE = SettingsRule("registry-mapping", check)
