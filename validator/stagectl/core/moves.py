"""What merging a change does, in a reviewer's words: per model, which alias moves from which version
to which, what is archived, what is registered. Pure: the base and head model files and the registry
mapping are enough (an alias names the highest version in its stage, as `apply` sets it), so no
registry and no MLflow are needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stagectl.core.aliases import AliasMapping, AliasMove, alias_moves
from stagectl.core.judge import FileChange
from stagectl.core.model import ModelFile
from stagectl.core.policy import RegistrySettings
from stagectl.core.stage import Stage


@dataclass(frozen=True)
class StageMove:
    version: int
    before: str | None  # None: a version the change registers
    after: str


@dataclass(frozen=True)
class ModelMoves:
    """One model's part of a change."""

    model: str
    path: str  # the model file at the head (at the base for a deleted model)
    added: bool  # a new model file
    deleted: bool  # the model file is gone
    aliases: tuple[AliasMove, ...]
    stages: tuple[StageMove, ...]

    @property
    def archived(self) -> tuple[int, ...]:
        return tuple(m.version for m in self.stages if m.after == Stage.ARCHIVED and m.before is not None)

    @property
    def registered(self) -> tuple[StageMove, ...]:
        return tuple(m for m in self.stages if m.before is None)

    def words(self) -> str:
        """`production 3 → 4, version 3 archived, staging removed (was 4)`: the first-read alias first."""
        first, rest = self.aliases[:1], self.aliases[1:]
        parts = ["new model"] if self.added else ["model file deleted"] if self.deleted else []
        parts += [move.words() for move in first]
        parts += [f"version {number} archived" for number in self.archived]
        parts += [f"version {m.version} registered ({m.after})" for m in self.registered]
        parts += [move.words() for move in rest]
        aliased = {move.after for move in self.aliases}  # "production 3 → 4" already says where 4 went
        parts += [
            f"version {m.version} {m.before} → {m.after}"
            for m in self.stages
            if m.before is not None and m.after != Stage.ARCHIVED and m.version not in aliased
        ]
        return ", ".join(parts) or "no stage or alias changes"


def summarise(changes: Iterable[FileChange], registry: RegistrySettings) -> tuple[ModelMoves, ...]:
    """One ModelMoves per model the change touches, sorted by name. Models are matched by name, so a
    file moved to another folder is one model; a file that could not be read is left to the rules."""
    by_name: dict[str, tuple[ModelFile | None, ModelFile | None]] = {}
    for change in changes:
        base = change.base if isinstance(change.base, ModelFile) else None
        head = change.head if isinstance(change.head, ModelFile) else None
        if change.head is not None and head is None:
            continue  # unreadable at the head: the verdict says why
        for side, file in ((0, base), (1, head)):
            if file is not None:
                pair = list(by_name.get(file.name, (None, None)))
                pair[side] = file
                by_name[file.name] = (pair[0], pair[1])
    mapping = AliasMapping.from_settings(registry)
    return tuple(_moves(name, base, head, mapping) for name, (base, head) in sorted(by_name.items()))


def _moves(name: str, base: ModelFile | None, head: ModelFile | None, mapping: AliasMapping) -> ModelMoves:
    before = {number: v.stage for number, v in base.by_number().items()} if base else {}
    after = {number: v.stage for number, v in head.by_number().items()} if head else {}
    aliases = alias_moves(before.items(), after.items(), mapping)
    stage_moves = tuple(
        StageMove(number, before.get(number), stage)
        for number, stage in sorted(after.items())
        if before.get(number) != stage
    )
    file = head or base
    path = file.path if file else ""
    return ModelMoves(name, path, base is None, head is None, aliases, stage_moves)
