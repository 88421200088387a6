"""`stagectl new MODEL`: write a valid, empty model file."""

from __future__ import annotations

import os
from typing import TextIO

from stagectl import authoring
from stagectl.collect import base_settings
from stagectl.commands.edit import check_name, find_model, write_atomically
from stagectl.gitio import GitRepo


def run(name: str, out: TextIO, err: TextIO, cwd: str | None = None) -> int:
    check_name(name)
    with GitRepo.discover(cwd) as repo:
        settings = base_settings(repo, repo.head())
    existing = find_model(repo.root, settings.models_dir, name)
    if existing is not None:
        err.write(f"stagectl: {existing} already exists\n")
        return 1
    folder = os.path.join(repo.root, settings.models_dir)
    os.makedirs(folder, exist_ok=True)
    schema = os.path.join(repo.root, "schemas", "model.schema.json")
    schema_path = os.path.relpath(schema, folder).replace(os.sep, "/") if os.path.isfile(schema) else None
    path = f"{settings.models_dir}/{name}.yaml"
    write_atomically(os.path.join(repo.root, path), authoring.new_model_text(name, schema_path).encode())
    out.write(f"{path}: new model {name} (register its first version with 'stagectl register {name} --source URI')\n")
    return 0
