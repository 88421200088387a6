"""What a model file's git history says: which versions were ever in production."""

from __future__ import annotations

from collections.abc import Iterator

from stagectl import yamlsafe
from stagectl.gitio import GitRepo


def production_versions(content: bytes) -> set[int]:
    """Versions in production in one revision of a model file (an unreadable revision: none)."""
    loaded = yamlsafe.load(content)
    data = loaded.document.data if loaded.document else None
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list):
        return set()
    return {
        entry["version"]
        for entry in versions
        if isinstance(entry, dict) and entry.get("stage") == "production" and type(entry.get("version")) is int
    }


class GitHistory:
    """Answers `was_in_production` from the file's own history at `rev`, newest revision first.

    Reads nothing until a rollback asks, then only that file's blobs, and stops at the first
    revision that answers yes.
    """

    def __init__(self, repo: GitRepo, rev: str | None) -> None:
        self._repo = repo
        self._rev = rev
        self._seen: dict[str, set[int]] = {}
        self._pending: dict[str, Iterator[str]] = {}

    def was_in_production(self, path: str, version: int) -> bool:
        if self._rev is None:
            return False
        if path not in self._seen:
            self._seen[path] = set()
            self._pending[path] = iter(self._repo.blobs_of(self._rev, path))
        seen = self._seen[path]
        for sha in self._pending[path]:
            if self._repo.blob_size(sha) <= yamlsafe.MAX_BYTES:
                seen |= production_versions(self._repo.blob(sha))
            if version in seen:
                break
        return version in seen
