"""Read one side of a changed path as bytes, refusing what a model file must never be."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence

from stagectl.core.model import Content, Unreadable
from stagectl.core.policy import POLICY_FILE
from stagectl.gitrepo.gitio import SUBMODULE_MODE, SYMLINK_MODE, Entry, GitRepo
from stagectl.load.yamlsafe import MAX_BYTES, too_large


def read(repo: GitRepo, path: str, entry: Entry) -> Content:
    """The bytes of `path` as `entry` has it, or why stagectl will not read it."""
    if entry.mode == SYMLINK_MODE:
        return _not_regular(path, "a symbolic link")
    if entry.mode == SUBMODULE_MODE:
        return _not_regular(path, "a git submodule")
    if entry.sha is None:
        return read_worktree(os.path.join(repo.root, path), path)
    size, data = repo.blob(entry.sha, MAX_BYTES)
    return _too_large(size) if data is None else data


def read_many(repo: GitRepo, items: Sequence[tuple[str, Entry]]) -> Iterator[Content]:
    """`read` for many paths, in order, the blobs streamed through one request (not a round trip each)."""
    blobs = [entry.sha for _path, entry in items if _is_blob(entry) and entry.sha is not None]
    streamed = repo.blobs(blobs, MAX_BYTES)
    for path, entry in items:
        if _is_blob(entry) and entry.sha is not None:
            size, data = next(streamed)
            yield _too_large(size) if data is None else data
        else:
            yield read(repo, path, entry)


def _is_blob(entry: Entry) -> bool:
    return entry.mode not in (SYMLINK_MODE, SUBMODULE_MODE)


def read_worktree(full_path: str, path: str) -> Content:
    """Read a working-tree file without following links, with the size checked before reading."""
    try:
        info = os.lstat(full_path)
    except FileNotFoundError:
        return Unreadable("file-type", f"{path} disappeared while it was being checked")
    if stat.S_ISLNK(info.st_mode):
        return _not_regular(path, "a symbolic link")
    if not stat.S_ISREG(info.st_mode):
        return _not_regular(path, "not a regular file")
    if info.st_size > MAX_BYTES:
        return _too_large(info.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(full_path, flags)
    except OSError as error:
        return Unreadable("file-type", f"{path} cannot be read: {error.strerror}")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _too_large(len(data))
    return data


def _not_regular(path: str, what: str) -> Unreadable:
    kind = "the policy file" if path == POLICY_FILE else "model files"
    return Unreadable("file-type", f"{path} is {what}: {kind} must be regular files in the repository")


def _too_large(size: int) -> Unreadable:
    return Unreadable("yaml-unsafe", too_large(size))
