"""Registry -> model file text, for onboarding an existing registry. Pure.

The stages are read the way apply writes them, so that applying the imported files moves nothing:
with managed aliases, the aliases say which versions are in production and staging; without any (a
registry that used MLflow's stages, or `registry.mode: stages`), MLflow's stages do.
"""

from __future__ import annotations

from dataclasses import dataclass

from stagectl.authoring.yamltext import scalar
from stagectl.core.aliases import AliasMapping, is_bookkeeping, our_stage
from stagectl.core.stage import Stage
from stagectl.registry.desired import Tags
from stagectl.registry.state import ActualModel


@dataclass(frozen=True)
class Imported:
    name: str
    text: str
    stages: dict[int, Stage]
    notes: tuple[str, ...] = ()


def import_model(model: ActualModel, mapping: AliasMapping, schema_ref: str | None = None) -> Imported:
    stages, notes = infer_stages(model, mapping)
    return Imported(model.name, model_yaml(model, stages, schema_ref), stages, tuple(notes))


def infer_stages(model: ActualModel, mapping: AliasMapping) -> tuple[dict[int, Stage], list[str]]:
    """Each version's stage, and what the user should know about how it was decided."""
    aliases = {a: model.aliases[a] for a in mapping.aliases if a in model.aliases}
    notes: list[str] = []
    if mapping.stages or not aliases:
        stages = {n: our_stage(v.mlflow_stage) for n, v in model.versions.items()}
        targets = {
            a: max((n for n, s in stages.items() if s == stage), default=None) for a, stage in mapping.aliases.items()
        }
        moved = [
            f"alias {a} → {target}" if target is not None else f"no alias {a}"
            for a, target in targets.items()
            if model.aliases.get(a) != target
        ]
        if moved:
            notes.append(
                f"{model.name}: stages taken from MLflow's stages; the first apply will set {', '.join(moved)} "
                "to match them"
            )
    else:
        production = aliases.get(mapping.production_alias)
        staging = aliases.get(mapping.staging_alias)
        stages = {}
        for number, version in model.versions.items():
            applied = version.applied_stage
            if number == production:
                stages[number] = Stage.PRODUCTION
            elif number == staging:
                stages[number] = Stage.STAGING
            elif applied == Stage.STAGING and staging is not None and number < staging:
                stages[number] = Stage.STAGING  # an older staging version: the alias names only the highest
            elif applied in (Stage.NONE, Stage.ARCHIVED):
                stages[number] = Stage(applied)
            else:
                stages[number] = Stage.ARCHIVED if our_stage(version.mlflow_stage) == Stage.ARCHIVED else Stage.NONE
        if production is not None and production == staging:
            notes.append(
                f"{model.name}: aliases {mapping.production_alias} and {mapping.staging_alias} are both on "
                f"version {production}: written as production, so the first apply removes {mapping.staging_alias}"
            )
    production_count = sum(1 for s in stages.values() if s == Stage.PRODUCTION)
    if production_count > 1:
        notes.append(
            f"{model.name}: {production_count} versions are in production in the registry; archive all but one "
            "before `stagectl check` will accept the file"
        )
    return dict(sorted(stages.items())), notes


def model_yaml(model: ActualModel, stages: dict[int, Stage], schema_ref: str | None = None) -> str:
    """The model file, in the style of the examples: plain scalars where YAML reads them back as text."""
    lines = [f"# yaml-language-server: $schema={schema_ref}"] if schema_ref else []
    lines.append(f"name: {scalar(model.name)}")
    if model.description:
        lines.append(f"description: {scalar(model.description)}")
    lines += _tags(model.tags, indent="")
    if not model.versions:
        lines.append("versions: []")
    else:
        lines.append("versions:")
    for number, version in model.versions.items():
        lines.append(f"  - version: {number}")
        lines.append(f"    stage: {stages.get(number, 'none')}")
        lines.append(f"    source: {scalar(version.source)}")
        if version.run_id:
            lines.append(f"    run_id: {scalar(version.run_id)}")
        if version.description:
            lines.append(f"    description: {scalar(version.description)}")
        lines += _tags(version.tags, indent="    ")
    return "\n".join(lines) + "\n"


def _tags(tags: Tags, indent: str) -> list[str]:
    items = sorted((k, v) for k, v in tags.items() if not is_bookkeeping(k))
    if not items:
        return []
    return [f"{indent}tags:"] + [f"{indent}  {scalar(k)}: {scalar(v)}" for k, v in items]
