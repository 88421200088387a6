"""`stagectl import`: write model files from an existing registry, for onboarding.

Each file is written whole or not at all (the editing commands' atomic writer), and only where no
file for that model exists yet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping as EnvMapping
from collections.abc import Sequence
from typing import TextIO

from stagectl.authoring.files import write_atomically
from stagectl.core.aliases import AliasMapping
from stagectl.core.model import ModelFile
from stagectl.core.stage import Stage
from stagectl.display import printable
from stagectl.errors import FatalError
from stagectl.load.parse import MODEL_SUFFIXES, NAME_PATTERN, check_name, parse_model
from stagectl.registry import location
from stagectl.registry.client import quiet_mlflow, shown
from stagectl.registry.onboard import import_model
from stagectl.registry.session import EmptyRegistry, connect
from stagectl.registry.source import worktree_settings
from stagectl.report import plural


def run(
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
    with quiet_mlflow():
        return _import(registry_flag, names, env, out, err, cwd)


def _import(
    registry_flag: str | None,
    names: Sequence[str],
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None,
) -> int:
    root, settings = worktree_settings(cwd)
    uri = location.resolve(registry_flag, env, settings.registry, root)
    registry = connect(uri, create=False)
    if isinstance(registry, EmptyRegistry):
        raise FatalError(f"there is no registry at {shown(uri)}: pass --registry or set MLFLOW_TRACKING_URI")
    registered = [] if names else registry.model_names()
    mapping = AliasMapping.from_settings(settings.registry)
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
            err.write(f"stagectl: {printable(name)} cannot be written as a valid model file: {why} (not imported)\n")
            failed += 1
            continue
        os.makedirs(models_dir, exist_ok=True)
        write_atomically(os.path.join(models_dir, f"{name}.yaml"), imported.text.encode("utf-8"))
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


def _count(stages: dict[int, Stage]) -> dict[str, int]:
    found: dict[str, int] = {}
    for stage in Stage.by_prominence():
        n = sum(1 for s in stages.values() if s == stage)
        if n:
            found[stage] = n
    return found
