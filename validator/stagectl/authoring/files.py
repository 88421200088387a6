"""The working-tree side of authoring: where a model's file is, and writing a file in one step.

Shared by the commands that write model files (promote, archive, rollback, register, new, import).
"""

from __future__ import annotations

import os
import tempfile

from stagectl.errors import FatalError
from stagectl.load.parse import MODEL_SUFFIXES


def find_model(root: str, models_dir: str, name: str) -> str | None:
    """The model's file in the working tree, if any; the models folder must be a real folder (or absent)."""
    folder = os.path.join(root, models_dir)
    if os.path.islink(folder):
        raise FatalError(f"{models_dir} is a symbolic link: the models folder must be a real folder")
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise FatalError(f"{models_dir} is not a folder: model files live in {models_dir}/")
    for suffix in MODEL_SUFFIXES:
        path = f"{models_dir}/{name}{suffix}"
        if os.path.lexists(os.path.join(root, path)):
            return path
    return None


def write_atomically(full_path: str, data: bytes) -> None:
    """Replace the file in one step: a crash leaves the old file or the new one, never half of one."""
    folder = os.path.dirname(full_path)
    mode = os.stat(full_path).st_mode & 0o7777 if os.path.exists(full_path) else 0o644
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".stagectl-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, full_path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
