"""The actual state of a registered model, as plain data (versions normalised to int). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from stagectl.core.aliases import TAG_COMMIT, TAG_NEXT_VERSION, TAG_STAGE, is_bookkeeping
from stagectl.core.stage import Stage
from stagectl.registry.desired import NO_TAGS, DesiredModel, DesiredVersion, Tags


@dataclass(frozen=True)
class ActualVersion:
    number: int
    source: str
    run_id: str | None = None  # MLflow's "" is None here
    description: str | None = None  # "" is None here
    tags: Tags = field(default_factory=lambda: NO_TAGS)
    mlflow_stage: str = "None"  # current_stage as MLflow spells it
    status: str = "READY"

    @property
    def applied_stage(self) -> str | None:
        """The stage stagectl last applied to this version (its `stagectl.stage` tag)."""
        return self.tags.get(TAG_STAGE)


@dataclass(frozen=True)
class ActualModel:
    name: str
    description: str | None = None
    tags: Tags = field(default_factory=lambda: NO_TAGS)
    aliases: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    versions: Mapping[int, ActualVersion] = field(default_factory=lambda: MappingProxyType({}))

    def next_number(self) -> int:
        """The number MLflow will give the next version: one above the highest it ever assigned.

        Deleted versions are invisible through the API but still hold their numbers; stagectl
        records what it learnt about them in the `stagectl.next_version` tag.
        """
        highest = max(self.versions, default=0) + 1
        recorded = self.tags.get(TAG_NEXT_VERSION, "")
        return max(highest, int(recorded)) if recorded.isdigit() else highest


def text_or_none(value: object) -> str | None:
    """MLflow gives "" or None for an absent description or run id; stagectl says None."""
    return str(value) if value not in (None, "") else None


def as_applied(actual: ActualModel, path: str) -> DesiredModel:
    """What the last apply wrote to a model, read back from its bookkeeping tags.

    For a model whose file has not changed since the commit the registry recorded: its desired
    state is what was applied then, so drift (an alias or stage moved by hand) is found without
    reading the file or its history.
    """
    versions = tuple(
        DesiredVersion(
            number=number,
            stage=Stage(stage),
            source=version.source,
            run_id=version.run_id,
            description=version.description,
            tags=_user_tags(version.tags),
            commit=version.tags.get(TAG_COMMIT),
        )
        for number, version in sorted(actual.versions.items())
        if (stage := version.applied_stage) in Stage.names()
    )
    baseline = {v.number: v.stage for v in versions}
    return DesiredModel(actual.name, path, actual.description, _user_tags(actual.tags), versions, baseline=baseline)


def _user_tags(tags: Tags) -> Tags:
    return MappingProxyType({k: v for k, v in tags.items() if not is_bookkeeping(k)})
