"""`stagectl new MODEL`: write a valid, empty model file."""

from __future__ import annotations

import os
from typing import TextIO

from stagectl.authoring import changes
from stagectl.authoring.files import find_model, write_atomically
from stagectl.core.model import model_stem
from stagectl.gitrepo.collect import base_settings
from stagectl.gitrepo.gitio import GitRepo
from stagectl.load.parse import MODEL_SUFFIXES, check_name


def run(name: str, out: TextIO, err: TextIO, cwd: str | None = None) -> int:
    check_name(name)
    with GitRepo.discover(cwd) as repo:
        head = repo.head()
        settings = base_settings(repo, head)
        existing = find_model(repo.root, settings.models_dir, name)
        if existing is not None:
            err.write(f"stagectl: {existing} already exists\n")
            return 1
        twin = _case_twin(os.path.join(repo.root, settings.models_dir), name)
        if twin is not None:
            err.write(
                f"stagectl: {settings.models_dir}/{twin} is the same model name up to case, which the registry "
                "and some file systems ignore: use that model, or another name\n"
            )
            return 1
        candidates = [f"{settings.models_dir}/{name}{suffix}" for suffix in MODEL_SUFFIXES]
        committed = sorted(repo.entries(head, candidates)) if head else []
    if committed:
        # An empty file in its place would drop every committed version (version-removed).
        err.write(
            f"stagectl: {committed[0]} is deleted in the working tree but not at HEAD: "
            f"restore it with 'git checkout HEAD -- {committed[0]}'\n"
        )
        return 1
    folder = os.path.join(repo.root, settings.models_dir)
    os.makedirs(folder, exist_ok=True)
    schema = os.path.join(repo.root, "schemas", "model.schema.json")
    schema_path = os.path.relpath(schema, folder).replace(os.sep, "/") if os.path.isfile(schema) else None
    path = f"{settings.models_dir}/{name}.yaml"
    write_atomically(os.path.join(repo.root, path), changes.new_model_text(name, schema_path).encode())
    out.write(f"{path}: new model {name} (register its first version with 'stagectl register {name} --source URI')\n")
    return 0


def _case_twin(folder: str, name: str) -> str | None:
    """A model file in `folder` whose name differs from `name` only in case (Fraud.yaml for fraud)."""
    try:
        files = sorted(os.listdir(folder))
    except OSError:
        return None
    wanted = name.casefold()
    return next((f for f in files if f.endswith(MODEL_SUFFIXES) and model_stem(f).casefold() == wanted), None)
