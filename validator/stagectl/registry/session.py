"""What plan / apply / diff / import share: read git, find and open the registry, run, report.

The commands call `execute` (or `import_models`); everything here is wiring between the pure core
(desired, plan, importer) and the edges (source: git; client: MLflow; report: the terminal).
"""

from __future__ import annotations

import os
from collections.abc import Mapping as EnvMapping
from collections.abc import Sequence
from typing import TextIO

from stagectl import ghactions
from stagectl.display import json_text, printable
from stagectl.errors import FatalError
from stagectl.model import ModelFile
from stagectl.parse import MODEL_SUFFIXES, NAME_PATTERN, check_name, parse_model
from stagectl.registry import location
from stagectl.registry.apply import apply_models, plan_models
from stagectl.registry.client import Registry, redact, shown
from stagectl.registry.importer import import_model
from stagectl.registry.mapping import Mapping
from stagectl.registry.plan import Problem
from stagectl.registry.report import RegistryReport, markdown, write_json, write_text
from stagectl.registry.source import Source, load, worktree_settings
from stagectl.registry.state import ActualModel
from stagectl.report import plural

STAGES_NOTICE = (
    "registry.mode: stages also sets MLflow's model stages, which MLflow deprecated in 2.9 in favour of "
    "aliases (stagectl sets the aliases as well)"
)


class EmptyRegistry:
    """A sqlite registry file that does not exist yet: plan and diff read it as empty, creating nothing."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.writes = 0

    def read(self, name: str) -> ActualModel | None:
        return None

    def model_names(self) -> list[str]:
        return []


def connect(uri: str, create: bool) -> Registry | EmptyRegistry:
    """The registry at `uri`, checked to answer; for a missing (or empty) sqlite file, EmptyRegistry
    unless `create`. A sqlite path that cannot be a registry is refused before MLflow opens it."""
    path = location.sqlite_file(uri)
    if path is not None and not location.sqlite_exists(uri, path) and not create:
        return EmptyRegistry(uri)
    registry = Registry(uri)
    registry.probe()
    return registry


def execute(
    command: str,
    registry_flag: str | None,
    names: Sequence[str],
    fmt: str,
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """plan, apply or diff: the model files at HEAD against the registry. Returns the exit status."""
    for name in names:
        check_name(name)  # before git is read: `--model ..` is a bad argument, not a missing file
    source = load(cwd, names)
    if source.violations:
        return _refuse(command, source, fmt, out, err)
    settings = source.settings.registry
    mapping = Mapping.from_settings(settings)
    if mapping.production_alias == mapping.staging_alias:
        raise FatalError(
            f"registry.aliases in stagectl.yaml gives production and staging the same alias "
            f"{mapping.production_alias!r}: give them different names"
        )
    uri = location.resolve(registry_flag, env, settings, source.root)
    registry = connect(uri, create=command == "apply")
    notices = (STAGES_NOTICE,) if mapping.stages else ()
    for notice in notices:
        err.write(f"stagectl: note: {notice}\n")
    workers = location.workers_for(uri)
    managed = {m.name for m in source.models}
    # One listing spares a read of each model that is not registered yet (most of a first apply).
    registered = set(registry.model_names()) if len(managed) > 1 or command == "diff" else set(managed)
    absent = managed - registered
    if command == "apply":
        assert isinstance(registry, Registry)
        results = apply_models(registry, source.models, mapping, workers, absent)
    else:
        results = plan_models(registry, source.models, mapping, workers, absent)
    unmanaged: tuple[str, ...] = ()
    if command == "diff" and not names:
        unmanaged = tuple(sorted(registered - managed))
    report = RegistryReport(
        command,
        redact(uri),
        source.head,
        results,
        unmanaged=unmanaged,
        writes=registry.writes if command == "apply" else None,
    )
    (write_json if fmt == "json" else write_text)(report, out)
    _step_summary(env, markdown(report))
    return report.exit_code()


def _refuse(command: str, source: Source, fmt: str, out: TextIO, err: TextIO) -> int:
    """The files at HEAD do not validate: nothing is read from the registry, nothing written."""
    lines = [f"{printable(v.file)}:{v.line}:{v.column}: {v.rule}: {printable(v.message)}" for v in source.violations]
    if fmt == "json":
        errors = [
            Problem(v.model or "", v.version, line).to_json() for v, line in zip(source.violations, lines, strict=True)
        ]
        write = {"registry": None, "head": source.head, "actions": [], "errors": errors, "notes": []}
        out.write(json_text(write) + "\n")
    else:
        out.write("".join(f"{line}\n" for line in lines))
    err.write(
        f"stagectl: the model files at HEAD ({source.head[:12]}) do not validate, so there is nothing to {command}: "
        "fix them (`stagectl check --all` shows the same errors)\n"
    )
    return 1


def _step_summary(env: EnvMapping[str, str], text: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if not (ghactions.in_actions(env) and path):
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise FatalError(f"cannot write the step summary {path}: {error.strerror}") from None


def import_models(
    registry_flag: str | None,
    names: Sequence[str],
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """Write a model file for each registered model (or those named) that has none yet."""
    for name in names:
        check_name(name)  # a name asked for that cannot be a file name is a bad argument, as for `new`
    root, settings = worktree_settings(cwd)
    uri = location.resolve(registry_flag, env, settings.registry, root)
    registry = connect(uri, create=False)
    if isinstance(registry, EmptyRegistry):
        raise FatalError(f"there is no registry at {shown(uri)}: pass --registry or set MLFLOW_TRACKING_URI")
    registered = [] if names else registry.model_names()
    mapping = Mapping.from_settings(settings.registry)
    models_dir = os.path.join(root, settings.models_dir)
    schema = os.path.join(root, "schemas", "model.schema.json")
    schema_ref = os.path.relpath(schema, models_dir).replace(os.sep, "/") if os.path.exists(schema) else None
    failed = 0
    written = 0
    for name in names or registered:
        rel = f"{settings.models_dir}/{name}.yaml"
        if not NAME_PATTERN.fullmatch(name) or ".." in name:
            err.write(f"stagectl: {name!r} cannot be a model file name (letters, digits, . _ -): not imported\n")
            failed += 1
            continue
        existing = [
            f"{settings.models_dir}/{name}{s}"
            for s in MODEL_SUFFIXES
            if os.path.exists(os.path.join(models_dir, name + s))
        ]
        if existing:
            out.write(f"{existing[0]} exists: left as it is (delete it to import {name} again)\n")
            continue
        actual = registry.read(name)
        if actual is None:  # asked for by name: not done, like a write apply could not make (exit 1)
            err.write(f"stagectl: no registered model {name!r} in {shown(uri)}: not imported\n")
            failed += 1
            continue
        imported = import_model(actual, mapping, schema_ref)
        parsed = parse_model(rel, imported.text.encode("utf-8"))
        if not isinstance(parsed, ModelFile):
            first = parsed.violations[0]
            why = printable(first.message)
            err.write(f"stagectl: {name} cannot be written as a valid model file: {why} (not imported)\n")
            failed += 1
            continue
        os.makedirs(models_dir, exist_ok=True)
        with open(os.path.join(models_dir, f"{name}.yaml"), "x", encoding="utf-8") as handle:
            handle.write(imported.text)
        written += 1
        counts = ", ".join(f"{n} {s}" for s, n in _count(imported.stages).items())
        out.write(f"wrote {rel} ({plural(len(imported.stages), 'version')}{': ' + counts if counts else ''})\n")
        for note in imported.notes:
            out.write(f"  note: {printable(note)}\n")
    out.write(
        f"imported {written} of {len(names or registered)} models into {settings.models_dir}/"
        + (f"; next: git add {settings.models_dir} && git commit, then stagectl plan\n" if written else "\n")
    )
    return 1 if failed else 0


def _count(stages: dict[int, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for stage in ("production", "staging", "none", "archived"):
        n = sum(1 for s in stages.values() if s == stage)
        if n:
            found[stage] = n
    return found
