"""Desired vs actual -> the ordered writes that make the registry match git. Pure: no MLflow, no I/O.

Order within a model: the model itself, its versions, metadata, then stages and aliases with every
demotion before any promotion, so no moment has more production versions than git allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Mapping as Lookup
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from stagectl.core.aliases import (
    MLFLOW_STAGES,
    TAG_APPLIED,
    TAG_COMMIT,
    TAG_STAGE,
    AliasMapping,
    is_bookkeeping,
    our_stage,
)
from stagectl.core.stage import Stage
from stagectl.display import short
from stagectl.registry.desired import DesiredModel, DesiredVersion, Tags
from stagectl.registry.state import ActualModel, ActualVersion
from stagectl.registry.writes import (
    Action,
    CreateModel,
    CreateVersion,
    DeleteAlias,
    SetAlias,
    SetStage,
    SetTag,
    UpdateDescription,
)


@dataclass(frozen=True)
class ModelMessage:
    """A refusal (an error: the model gets no writes) or a note, about a model or one version.

    `rule`: the rule id of a change the rules refuse; None for what the registry did or holds.
    """

    model: str
    version: int | None
    message: str
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class ModelPlan:
    model: str
    actions: tuple[Action, ...] = ()
    errors: tuple[ModelMessage, ...] = ()  # non-empty: the model is refused and gets no writes at all
    notes: tuple[ModelMessage, ...] = ()  # worth saying, changes nothing (an unmanaged version, a skipped one)


def plan_model(desired: DesiredModel, actual: ActualModel | None, mapping: AliasMapping) -> ModelPlan:
    """Every write that brings `actual` (None: not registered yet) to `desired`, in a safe order."""
    name = desired.name
    notes = list(_reserved_tags(desired))
    errors = list(_immutable_drift(desired, actual)) if actual else []
    creates, skipped, number_errors = _creatable(desired, actual)
    errors += number_errors
    notes += skipped
    if actual:
        notes += [
            ModelMessage(name, n, f"version {n} is in the registry but not in {desired.path}: stagectl leaves it alone")
            for n in sorted(set(actual.versions) - {v.number for v in desired.versions})
        ]
    if errors:
        return ModelPlan(name, (), tuple(errors), tuple(notes))
    created = {v.number for v in creates}
    present = [v for v in desired.versions if (actual and v.number in actual.versions) or v.number in created]
    actions = [*_model_writes(desired, actual), *(_create_version(name, v) for v in creates)]
    for version in present:
        if actual and version.number in actual.versions:
            actions += _version_metadata(name, version, actual.versions[version.number])
    actions += _stages_and_aliases(desired, actual, present, created, mapping)
    if desired.applied:  # last: recorded only once every other write of the model went through
        actions += _set_tags(name, None, {TAG_APPLIED: desired.applied}, actual.tags if actual else {})
    return ModelPlan(name, tuple(actions), (), tuple(notes))


# -- refusals ---------------------------------------------------------------------------------------


def _immutable_drift(desired: DesiredModel, actual: ActualModel) -> Iterator[ModelMessage]:
    """A registry version whose source or run_id differs from git: reported, never overwritten."""
    for version in desired.versions:
        found = actual.versions.get(version.number)
        if found is None:
            continue
        for key, ours, theirs in (("source", version.source, found.source), ("run_id", version.run_id, found.run_id)):
            if ours != theirs:
                yield ModelMessage(
                    desired.name,
                    version.number,
                    f"version {version.number}'s {key} in the registry is {_show(theirs)} but {desired.path} says "
                    f"{_show(ours)}: stagectl never overwrites a version's {key}, so {desired.name} gets no writes "
                    f"(find out who changed it; correct the registry or register the artifact as a new version)",
                )


def _creatable(
    desired: DesiredModel, actual: ActualModel | None
) -> tuple[list[DesiredVersion], list[ModelMessage], list[ModelMessage]]:
    """Versions to create, archived versions that cannot be and are skipped, and numbering errors.

    MLflow numbers versions itself (one above the highest it ever assigned) and never reuses a
    number, so a version is created only when its number is the one MLflow will assign.
    """
    next_number = actual.next_number() if actual else 1
    creates: list[DesiredVersion] = []
    skipped: list[ModelMessage] = []
    errors: list[ModelMessage] = []
    for version in desired.versions:
        if actual and version.number in actual.versions:
            continue
        if version.number == next_number:
            creates.append(version)
            next_number += 1
            continue
        why = _numbering(desired, version.number, next_number)
        if version.stage == Stage.ARCHIVED:
            skipped.append(ModelMessage(desired.name, version.number, f"{why}; it is archived, so it is skipped"))
        else:
            hint = (
                "archive it in git and register the artifact again as a new version"
                if version.number < next_number
                else f"number it {next_number} in {desired.path}"
            )
            errors.append(ModelMessage(desired.name, version.number, f"{why}: {hint}; {desired.name} gets no writes"))
    return creates, skipped, errors


def _numbering(desired: DesiredModel, number: int, next_number: int) -> str:
    return (
        f"version {number} of {desired.path} is not in the registry and cannot be created there: "
        f"MLflow will number the next version of {desired.name} {next_number}, not {number}"
        + (" (it never reuses the number of a deleted version)" if number < next_number else "")
    )


def _reserved_tags(desired: DesiredModel) -> Iterator[ModelMessage]:
    keys = [(None, k) for k in desired.tags] + [(v.number, k) for v in desired.versions for k in v.tags]
    for number, key in keys:
        if is_bookkeeping(key):
            message = f"tag {key} in {desired.path} is ignored: stagectl. tags are its own"
            yield ModelMessage(desired.name, number, message)


# -- writes -----------------------------------------------------------------------------------------


def _user_tags(tags: Tags) -> dict[str, str]:
    return {k: v for k, v in sorted(tags.items()) if not is_bookkeeping(k)}


def _model_writes(desired: DesiredModel, actual: ActualModel | None) -> Iterator[Action]:
    name = desired.name
    tags = _user_tags(desired.tags)
    if actual is None:
        parts = ["new registered model"]
        if desired.description:
            parts.append(f"description {_show(desired.description)}")
        if tags:
            parts.append("tags " + ", ".join(f"{k}={_short(v)}" for k, v in tags.items()))
        yield CreateModel(name, None, "; ".join(parts), description=desired.description, tags=MappingProxyType(tags))
        return
    if desired.description != actual.description:
        yield UpdateDescription(
            name,
            None,
            f"description {_show(desired.description)} (was {_show(actual.description)})",
            description=desired.description or "",
        )
    yield from _set_tags(name, None, tags, actual.tags)


def _create_version(name: str, version: DesiredVersion) -> CreateVersion:
    tags = {**_user_tags(version.tags), TAG_STAGE: version.stage}
    if version.commit:
        tags[TAG_COMMIT] = version.commit
    detail = f"source {version.source}"
    if version.run_id:
        detail += f", run_id {version.run_id}"
    detail += f", stage {version.stage}"
    return CreateVersion(
        name,
        version.number,
        detail,
        source=version.source,
        run_id=version.run_id,
        tags=MappingProxyType(tags),
        description=version.description,
    )


def _version_metadata(name: str, version: DesiredVersion, found: ActualVersion) -> Iterator[Action]:
    if version.description != found.description:
        yield UpdateDescription(
            name,
            version.number,
            f"version description {_show(version.description)} (was {_show(found.description)})",
            description=version.description or "",
        )
    yield from _set_tags(name, version.number, _user_tags(version.tags), found.tags)


def _set_tags(name: str, number: int | None, wanted: Tags, found: Tags) -> Iterator[SetTag]:
    """Set every tag git names that differs. Tags git does not name are left alone (other tools own them)."""
    for key, value in sorted(wanted.items()):
        if found.get(key) != value:
            show = (lambda v: v[:12]) if key in (TAG_COMMIT, TAG_APPLIED) else _short  # a commit reads best abbreviated
            was = f" (was {show(found[key])})" if key in found else ""
            yield SetTag(name, number, f"{key}={show(value)}{was}", key=key, value=value)


def _stages_and_aliases(
    desired: DesiredModel,
    actual: ActualModel | None,
    present: list[DesiredVersion],
    created: set[int],
    mapping: AliasMapping,
) -> list[Action]:
    """Stage, bookkeeping and alias writes: demotions first, then aliases, then the rest."""
    name = desired.name
    found = actual.versions if actual else {}
    demote: list[Action] = []
    rest: list[Action] = []
    for version in present:
        was = found.get(version.number)
        writes: list[Action] = []
        if mapping.stages:
            current = was.mlflow_stage if was else "None"
            wanted = MLFLOW_STAGES[version.stage]
            if current.lower() != wanted.lower():
                reverts = None
                applied = _applied(desired, was)
                if was and applied and our_stage(current) != applied:
                    reverts = f"stage was {current}, changed outside git"
                detail = f"{wanted} (was {current}" + (", changed outside git)" if reverts else ")")
                writes.append(SetStage(name, version.number, detail, stage=wanted, reverts=reverts))
        if was is not None and version.number not in created:
            if was.tags.get(TAG_STAGE) != version.stage:
                writes += _set_tags(name, version.number, {TAG_STAGE: version.stage}, was.tags)
            if version.commit and was.tags.get(TAG_COMMIT) != version.commit:
                writes += _set_tags(name, version.number, {TAG_COMMIT: version.commit}, was.tags)
        leaving_production = (
            version.stage != Stage.PRODUCTION and was is not None and _in_production(was, actual, mapping)
        )
        (demote if leaving_production else rest).extend(writes)
    return demote + list(_aliases(desired, actual, present, mapping)) + rest


def _in_production(version: ActualVersion, actual: ActualModel | None, mapping: AliasMapping) -> bool:
    aliased = actual is not None and actual.aliases.get(mapping.production_alias) == version.number
    return aliased or version.applied_stage == Stage.PRODUCTION or our_stage(version.mlflow_stage) == Stage.PRODUCTION


def _aliases(
    desired: DesiredModel, actual: ActualModel | None, present: Iterable[DesiredVersion], mapping: AliasMapping
) -> Iterator[Action]:
    """Each managed alias names the highest version git puts in its stage; none when there is none."""
    name = desired.name
    present = list(present)
    current_aliases = actual.aliases if actual else {}
    deletes: list[Action] = []
    sets: list[Action] = []
    targets = mapping.targets((v.number, v.stage) for v in present)
    for alias, stage in mapping.aliases.items():
        target = targets[alias]
        current = current_aliases.get(alias)
        if current == target:
            continue
        reverts = _alias_drift(alias, stage, current, actual, desired.baseline)
        note = ", moved outside git" if reverts else ""
        if target is None:
            detail = f"{alias} (was on version {current}{note})"
            deletes.append(DeleteAlias(name, None, detail, alias=alias, reverts=reverts))
        else:
            was = (
                f" (was {current}{note})" if current is not None else (" (was removed outside git)" if reverts else "")
            )
            sets.append(SetAlias(name, target, f"{alias} → {target}{was}", alias=alias, reverts=reverts))
    yield from deletes
    yield from sets


def _applied(desired: DesiredModel, version: ActualVersion | None) -> str | None:
    """The stage stagectl last applied to a version: from the baseline when known, else its tag."""
    if version is None:
        return None
    if desired.baseline is not None:
        return desired.baseline.get(version.number)
    return version.applied_stage


def _alias_drift(
    alias: str, stage: str, current: int | None, actual: ActualModel | None, baseline: Lookup[int, str] | None
) -> str | None:
    """What someone changed outside git, judged against the stages stagectl last applied completely.

    `baseline`: those stages (from the commit the registry recorded); without one, the versions'
    `stagectl.stage` tags. An apply that stopped half-way leaves tags that no alias ever followed:
    judged against the baseline, what it left undone is not called drift.
    """
    if actual is None:
        return None
    if baseline is None:
        baseline = {n: v.applied_stage for n, v in actual.versions.items() if v.applied_stage}
    baseline = {n: s for n, s in baseline.items() if n in actual.versions}
    if not baseline:
        return None  # never applied by stagectl: nothing to revert, only to adopt
    applied = max((n for n, s in baseline.items() if s == stage), default=None)
    if current == applied:
        return None
    if current is None:
        return f"alias {alias} was removed (it was on version {applied})"
    return f"alias {alias} was on version {current}" + (f", not {applied}" if applied is not None else "")


def _show(value: str | None) -> str:
    return "(none)" if value is None else repr(_short(value))


def _short(value: str) -> str:
    """One line (runs of white space as one space), at most 60 characters, printable."""
    return short(" ".join(value.split()))
