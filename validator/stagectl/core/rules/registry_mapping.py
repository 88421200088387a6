"""registry-mapping: a settings change must not move, add or drop any model's alias in the registry.

Which version an alias names follows from the model's stages through the registry mapping
(`registry.aliases`, `registry.mode`). The base's mapping and the head's are applied to the same
head stages, so only what the settings change itself would do is judged: stage changes are the
other rules' business. The mapping's logic is the registry's own (`AliasMapping.targets`, what `apply`
writes), and importing it pulls in no MLflow.
"""

from __future__ import annotations

from collections.abc import Iterator

from stagectl.core.aliases import AliasMapping, AliasMove, alias_moves
from stagectl.core.model import START, ModelFile, Position
from stagectl.core.policy import POLICY_FILE
from stagectl.core.rules import Finding, SettingsChange, SettingsRule


def describe(model: str, move: AliasMove) -> str:
    alias = f"alias '{move.alias}' of {model}"
    if move.before is None:
        return f"{alias} would be added, on version {move.after} (no version has it now)"
    if move.after is None:
        return f"{alias} would be dropped from version {move.before} (no version would have it)"
    return f"{alias} would move from version {move.before} to version {move.after}"


def check(change: SettingsChange, model: ModelFile) -> Iterator[Finding]:
    before = AliasMapping.from_settings(change.base.registry)
    after = AliasMapping.from_settings(change.head.registry)
    if before == after:
        return
    stages = [(version.number, version.stage) for version in model.by_number().values()]
    for move in alias_moves(stages, stages, before, after):
        line, column = _where(change, move, before, after)
        yield Finding(
            POLICY_FILE,
            line,
            column,
            f"{describe(model.name, move)}: a remap belongs in a pull request of its own, merged on purpose by someone "
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
