"""The desired state: what the model files at HEAD say the registry should hold. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from stagectl.core.model import ModelFile
from stagectl.core.stage import Stage

Tags = Mapping[str, str]
NO_TAGS: Tags = MappingProxyType({})


@dataclass(frozen=True)
class DesiredVersion:
    number: int
    stage: Stage
    source: str
    run_id: str | None = None
    description: str | None = None
    tags: Tags = field(default_factory=lambda: NO_TAGS)  # the file's own tags; bookkeeping tags are added by the plan
    commit: str | None = None  # the commit that last set this version's stage


@dataclass(frozen=True)
class DesiredModel:
    name: str
    path: str  # the model file, for messages
    description: str | None = None
    tags: Tags = field(default_factory=lambda: NO_TAGS)
    versions: tuple[DesiredVersion, ...] = ()
    applied: str | None = None  # the commit these files are from, recorded as `stagectl.applied` after the writes
    # The stages the registry took at its last complete apply, what drift is judged against ({}: none
    # yet, so nothing is drift; None: unknown, judged against the versions' `stagectl.stage` tags).
    baseline: Mapping[int, str] | None = None

    def version(self, number: int) -> DesiredVersion | None:
        for version in self.versions:
            if version.number == number:
                return version
        return None


def desired_model(
    model: ModelFile,
    commits: Mapping[int, str],
    applied: str | None = None,
    baseline: Mapping[int, str] | None = None,
) -> DesiredModel:
    data = model.document.data
    versions = tuple(
        DesiredVersion(
            number=v.number,
            stage=v.stage,
            source=v.fields["source"],
            run_id=v.fields.get("run_id"),
            description=v.fields.get("description"),
            tags=MappingProxyType(dict(v.fields.get("tags") or {})),
            commit=commits.get(v.number),
        )
        for v in sorted(model.by_number().values(), key=lambda v: v.number)
    )
    return DesiredModel(
        name=model.name,
        path=model.path,
        description=data.get("description"),
        tags=MappingProxyType(dict(data.get("tags") or {})),
        versions=versions,
        applied=applied,
        baseline=baseline,
    )
