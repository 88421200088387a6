"""What a model file's git history says: stage changes per version, and what was ever in production."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from stagectl import yamlsafe
from stagectl.gitio import GitRepo, literal

_PR_SUBJECT = (re.compile(r"^Merge pull request #(\d+)\b"), re.compile(r"\(#(\d+)\)\s*$"))


def stages_of(content: bytes) -> dict[int, str]:
    """version -> stage in one revision of a model file; an unreadable revision says nothing."""
    loaded = yamlsafe.load(content)
    data = loaded.document.data if loaded.document else None
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list):
        return {}
    found: dict[int, str] = {}
    for entry in versions:
        if isinstance(entry, dict) and type(entry.get("version")) is int and isinstance(entry.get("stage"), str):
            found.setdefault(entry["version"], entry["stage"])
    return found


def pr_number(subject: str) -> int | None:
    """The pull request a commit subject names: `Merge pull request #12 …` or `… (#12)`."""
    for pattern in _PR_SUBJECT:
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    return None


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO-8601 author date
    subject: str

    @property
    def pr(self) -> int | None:
        return pr_number(self.subject)


@dataclass(frozen=True)
class StageEvent:
    """A version's stage changed (from None: the version first appeared) in `commit`."""

    version: int
    from_stage: str | None
    to_stage: str
    commit: Commit


def stage_events(repo: GitRepo, rev: str, paths: Sequence[str]) -> dict[str, list[StageEvent]]:
    """Every stage change of every version in these files, oldest first, along `rev`'s first parents.

    One `git log` for all the files; each revision's blob read once through `cat-file`.
    """
    events: dict[str, list[StageEvent]] = {path: [] for path in paths}
    known: dict[str, dict[int, str]] = {path: {} for path in paths}
    for commit, path, sha in reversed(list(_revisions(repo, rev, paths))):
        if path not in known or sha is None:
            continue
        if repo.blob_size(sha) > yamlsafe.MAX_BYTES:
            continue
        state = known[path]
        for version, stage in sorted(stages_of(repo.blob(sha)).items()):
            before = state.get(version)
            if before != stage:
                events[path].append(StageEvent(version, before, stage, commit))
                state[version] = stage
    return events


def _revisions(repo: GitRepo, rev: str, paths: Sequence[str]) -> Iterator[tuple[Commit, str, str | None]]:
    """(commit, path, blob or None when deleted) for each change to `paths`, newest first."""
    out = repo.run(
        "log", "--first-parent", "--diff-merges=first-parent", "--no-renames", "--raw", "-z", "--no-abbrev",
        "--format=%x1e%H%x1f%an%x1f%aI%x1f%s", rev, "--", *literal(paths),
    )  # fmt: skip
    for chunk in out.split(b"\x1e")[1:]:
        header, _, raw = chunk.partition(b"\0")
        sha, author, date, subject = header.decode("utf-8", "replace").split("\x1f", 3)
        commit = Commit(sha, author, date, subject)
        tokens = raw.split(b"\0")
        for index in range(0, len(tokens) - 1, 2):
            meta = tokens[index].lstrip(b"\n")
            if not meta.startswith(b":"):
                continue
            _old_mode, new_mode, _old_sha, new_sha, _status = meta[1:].decode().split()
            path = tokens[index + 1].decode("utf-8", "surrogateescape")
            yield commit, path, None if new_mode == "000000" else new_sha


def production_versions(content: bytes) -> set[int]:
    """Versions in production in one revision of a model file."""
    return {version for version, stage in stages_of(content).items() if stage == "production"}


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


def last_stage_commits(events: Mapping[str, list[StageEvent]]) -> dict[str, dict[int, str]]:
    """path -> version -> the commit that last set that version's stage (its `stagectl.commit`)."""
    return {path: {event.version: event.commit.sha for event in found} for path, found in events.items()}
