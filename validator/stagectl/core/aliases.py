"""How stagectl's four stages appear in MLflow: aliases, bookkeeping tags, and (optionally) stages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stagectl.core.policy import RegistrySettings
from stagectl.core.stage import Stage

TAG_PREFIX = "stagectl."
TAG_STAGE = "stagectl.stage"  # the stage git gave the version when stagectl last applied it
TAG_COMMIT = "stagectl.commit"  # the commit that set that stage
TAG_APPLIED = "stagectl.applied"  # on a model: the commit it was last applied from (written last)
TAG_NEXT_VERSION = "stagectl.next_version"  # on a model: the number MLflow will assign next, when it is not max+1
TAG_LOCK = "stagectl.lock"  # on a model: "<token> <expiry>", held by the apply creating its versions

# stagectl stage -> MLflow's (deprecated) model stage, and back.
MLFLOW_STAGES: dict[Stage, str] = {stage: stage.value.capitalize() for stage in Stage}
FROM_MLFLOW_STAGES = {value.lower(): key for key, value in MLFLOW_STAGES.items()}


@dataclass(frozen=True)
class AliasMove:
    """An alias that names another version after a change (None: no version has it on that side)."""

    alias: str
    before: int | None
    after: int | None

    def words(self) -> str:
        if self.before is None:
            return f"{self.alias} set to {self.after}"
        if self.after is None:
            return f"{self.alias} removed (was {self.before})"
        return f"{self.alias} {self.before} → {self.after}"


@dataclass(frozen=True)
class AliasMapping:
    """The registry side of a stage: which alias names, and whether MLflow stages are set too."""

    production_alias: str = "production"
    staging_alias: str = "staging"
    stages: bool = False  # registry.mode: stages

    @classmethod
    def from_settings(cls, settings: RegistrySettings) -> AliasMapping:
        return cls(settings.production_alias, settings.staging_alias, settings.mode == "stages")

    @property
    def aliases(self) -> dict[str, str]:
        """alias name -> the stage whose highest version it names."""
        return {self.production_alias: Stage.PRODUCTION, self.staging_alias: Stage.STAGING}

    def targets(self, stages: Iterable[tuple[int, str]]) -> dict[str, int | None]:
        """alias -> the version it names, given (version, stage) pairs: the highest in its stage.

        None: no version is in that stage, so the model has no such alias. Pure, so `check` can ask
        what a change to the mapping would do without importing MLflow.
        """
        pairs = list(stages)
        return {
            alias: max((number for number, at in pairs if at == stage), default=None)
            for alias, stage in self.aliases.items()
        }


def our_stage(mlflow_stage: str | None) -> Stage:
    """MLflow's current_stage ('Production', 'None', None) as one of stagectl's four stages."""
    return FROM_MLFLOW_STAGES.get((mlflow_stage or "none").lower(), Stage.NONE)


def is_bookkeeping(key: str) -> bool:
    return key.startswith(TAG_PREFIX)


def alias_moves(
    before: Iterable[tuple[int, str]],
    after: Iterable[tuple[int, str]],
    mapping: AliasMapping,
    remapped: AliasMapping | None = None,
) -> tuple[AliasMove, ...]:
    """Every alias that names another version after the change: the versions' stages moved (`before` ->
    `after`, (version, stage) pairs) and/or the mapping changed (`mapping` -> `remapped`)."""
    was, will = mapping.targets(before), (remapped or mapping).targets(after)
    return tuple(
        AliasMove(alias, was.get(alias), will.get(alias))
        for alias in dict.fromkeys([*was, *will])
        if was.get(alias) != will.get(alias)
    )
