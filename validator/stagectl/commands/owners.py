"""`stagectl owners`: print, check (for CI) or write the CODEOWNERS block that gives each model file its owners."""

from __future__ import annotations

import difflib
import os
from typing import TextIO

from stagectl.core.model import ModelFile
from stagectl.display import printable
from stagectl.errors import FatalError
from stagectl.github.codeowners import DEFAULT_FILE, Owned, block, current_block, owner_lines, with_block
from stagectl.gitrepo.collect import collect_worktree
from stagectl.gitrepo.gitio import GitRepo
from stagectl.report import plural


def run(check: str | None, write: str | None, out: TextIO, err: TextIO) -> int:
    with GitRepo.discover(None) as repo:
        files = list(collect_worktree(repo).files)  # read lazily, once
        owned = [
            Owned(f.head.path, tuple(o for o in (f.head.document.data.get("owners") or []) if isinstance(o, str)))
            for f in files
            if isinstance(f.head, ModelFile)
        ]
        invalid = [f.path for f in files if not isinstance(f.head, ModelFile)]
        root = repo.root
    for path in invalid:  # never a silent gap in CODEOWNERS
        err.write(
            f"stagectl: warning: {printable(path)} is not a valid model file (`stagectl check --all` says why): "
            "its owners are left out\n"
        )
    found = owner_lines(owned)
    for warning in found.warnings:
        err.write(f"stagectl: warning: {warning}\n")
    wanted = block(found.lines)
    if check is None and write is None:
        out.write(wanted)
        return 0
    name = check or write or DEFAULT_FILE
    path = os.path.join(root, name)
    text = _read(path, name)
    if write is not None:
        updated = with_block(text, wanted)
        if updated != text:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(updated)
            out.write(f"{name}: owners block updated ({plural(len(found.lines), 'model file')})\n")
        else:
            out.write(f"{name}: owners block up to date\n")
        return 0
    have = current_block(text)
    if have == wanted:
        out.write(f"{name}: owners block up to date ({plural(len(found.lines), 'model file')})\n")
        return 0
    if have is None:
        out.write(f"{name}: no stagectl owners block: run `stagectl owners --write {name}` and commit it\n")
    else:
        out.write(f"{name}: the stagectl owners block is out of date: run `stagectl owners --write {name}`\n")
        diff = difflib.unified_diff(have.splitlines(), wanted.splitlines(), name, "model files", lineterm="")
        out.writelines(printable(line) + "\n" for line in diff)
    return 1


def _read(path: str, name: str) -> str:
    """The file's text; a missing file has no block (to write, or to report as missing)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as error:
        raise FatalError(f"cannot read {name}: {printable(str(error))}") from None
