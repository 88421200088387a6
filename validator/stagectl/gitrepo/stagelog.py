"""What git history says about a model file: every stage change, who made it, and when.

One `git log` lists a file's revisions; their blobs stream through the repository's one
`cat-file --batch` process; a StageTracker parses only what each revision changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone

from stagectl.core.events import Commit, StageEvent, parse_date
from stagectl.core.stage import Stage
from stagectl.gitrepo.gitio import GitRepo, literal, parse_raw
from stagectl.gitrepo.stagetrack import StageTracker
from stagectl.load import yamlsafe


def revisions(
    repo: GitRepo, rev: str, paths: Sequence[str], first_parent: bool = True
) -> list[tuple[Commit, str, str | None]]:
    """(commit, path, blob or None when deleted) for each change to `paths`, oldest first."""
    walk = (
        ["--first-parent", "--diff-merges=first-parent"]
        if first_parent
        else ["--full-history", "--diff-merges=separate"]
    )
    out = repo.run(
        "log", *walk, "--no-renames", "--raw", "-z", "--no-abbrev",
        "--format=%x1e%H%x1f%an%x1f%aI%x1f%cI%x1f%s", rev, "--", *literal(paths),
    )  # fmt: skip
    found: list[tuple[Commit, str, str | None]] = []
    for chunk in out.split(b"\x1e")[1:]:
        header, _, raw = chunk.partition(b"\0")
        sha, author, date, committed, subject = header.decode("utf-8", "replace").split("\x1f", 4)
        commit = Commit(sha, author, date, committed, subject)
        for change in parse_raw(raw, worktree=False):
            found.append((commit, change.path, change.head.sha if change.head else None))
    found.reverse()
    return found


def stage_events(repo: GitRepo, rev: str, paths: Sequence[str]) -> dict[str, list[StageEvent]]:
    """Every stage change of every version in these files, oldest first, along `rev`'s first parents.

    A revision that is not a readable model file says nothing: the next readable one is compared
    with the last readable one. A deleted file's versions keep their last stage.
    """
    events: dict[str, list[StageEvent]] = {path: [] for path in paths}
    known: dict[str, dict[int, str]] = {path: {} for path in paths}
    trackers: dict[str, StageTracker] = {path: StageTracker() for path in paths}
    changes = [(commit, path, sha) for commit, path, sha in revisions(repo, rev, paths) if path in known and sha]
    contents = repo.blobs([sha for _commit, _path, sha in changes], yamlsafe.MAX_BYTES)
    for (commit, path, _sha), (_size, content) in zip(changes, contents, strict=True):
        changed = trackers[path].update(content) if content is not None else None
        if not changed:
            continue
        state = known[path]
        for version in sorted(changed):
            stage = changed[version]
            if state.get(version) != stage:
                events[path].append(StageEvent(version, state.get(version), stage, commit))
                state[version] = stage
    return events


def last_stage_commits(events: Mapping[str, list[StageEvent]]) -> dict[str, dict[int, str]]:
    """path -> version -> the commit that last set that version's stage (its `stagectl.commit`)."""
    return {path: {event.version: event.commit.sha for event in found} for path, found in events.items()}


class GitHistory:
    """What rules may ask of the base's history, answered lazily from one file's history at a time."""

    def __init__(self, repo: GitRepo, rev: str | None, now: datetime | None = None) -> None:
        self._repo = repo
        self._rev = rev
        self.now = now or datetime.now(timezone.utc)
        self._seen: dict[str, set[int]] = {}
        self._pending: dict[str, Iterator[bytes]] = {}
        self._trackers: dict[str, StageTracker] = {}
        self._events: dict[str, list[StageEvent]] = {}

    def was_in_production(self, path: str, version: int) -> bool:
        """Whether `version` was in production in `path` at any commit of the base's history.

        Walks every commit (side branches too), newest first, and stops at the first yes.
        """
        if self._rev is None:
            return False
        if path not in self._seen:
            self._seen[path] = set()
            self._pending[path] = self._contents(path)
            self._trackers[path] = StageTracker()
        seen = self._seen[path]
        tracker = self._trackers[path]
        for content in self._pending[path]:
            changed = tracker.update(content)
            seen.update(v for v, stage in (changed or {}).items() if stage == Stage.PRODUCTION)
            if version in seen:
                break
        return version in seen

    def _contents(self, path: str) -> Iterator[bytes]:
        assert self._rev is not None
        newest_first = reversed(revisions(self._repo, self._rev, [path], first_parent=False))
        shas = list(dict.fromkeys(sha for _commit, _path, sha in newest_first if sha))
        for _size, content in self._repo.blobs(shas, yamlsafe.MAX_BYTES):
            if content is not None:
                yield content

    def events(self, path: str) -> list[StageEvent]:
        """The file's stage changes along the base's first parents, oldest first."""
        if self._rev is None:
            return []
        if path not in self._events:
            self._events[path] = stage_events(self._repo, self._rev, [path])[path]
        return self._events[path]

    def is_shallow(self) -> bool:
        return self._repo.is_shallow()

    def staging_since(self, path: str, version: int) -> datetime | None:
        """When the base branch put `version` into the staging it is in now (None: it is not there)."""
        since = None
        for event in self.events(path):
            if event.version == version:
                since = parse_date(event.commit.committed) if event.to_stage == Stage.STAGING else None
        return since


def timelines(repo: GitRepo, rev: str, files: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(model, Mermaid gantt) for each model -> file given, its history up to commit `rev`.

    For the pull-request comment and the apply summary: only the models a change touches, one
    `git log` of each, so the cost follows the change. Bars end at `rev`'s commit date.
    """
    from stagectl.gitrepo.timeline import gantt  # the pure renderer; it imports this module's types

    if not files:
        return ()
    found = stage_events(repo, rev, sorted(set(files.values())))
    end = commit_date(repo, rev)
    return tuple((model, gantt(model, found[path], end)) for model, path in sorted(files.items()))


def commit_date(repo: GitRepo, rev: str) -> datetime:
    """When commit `rev` landed (its committer date): where a timeline read at `rev` ends."""
    return parse_date(repo.run("log", "-1", "--format=%cI", rev).decode().strip())
