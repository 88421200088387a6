"""What a `check` compares: which base commit, and which head (a commit, the index, the work tree)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stagectl.errors import SHALLOW_HINT, FatalError
from stagectl.gitrepo.gitio import INDEX, WORKTREE, GitRepo, Head


@dataclass(frozen=True)
class Target:
    base: str | None  # a commit; None: nothing to compare against (no commits yet, or --all)
    head: Head
    standalone: bool = False  # --all: every model file judged on its own


@dataclass(frozen=True)
class Request:
    """The check's flags that choose what to compare."""

    base: str | None = None
    head: str | None = None
    staged: bool = False
    all: bool = False


EventBase = Callable[[], "tuple[str, str] | None"]
"""The base commit and event name a CI event names (None: not in CI, or an event with no base); asked
only when no flag chose what to compare."""


def select(repo: GitRepo, request: Request, event_base: EventBase) -> Target:
    if request.all:
        return Target(None, WORKTREE, standalone=True)
    if request.staged:
        return Target(repo.head(), INDEX)
    if request.base is not None:
        return _pull_request(repo, _commit(repo, request.base, "--base"), request.head)
    if request.head is not None:
        head = _commit(repo, request.head, "--head")
        return Target(repo.first_parent(head), head)
    found = event_base()
    if found is not None:
        sha, event = found
        base = repo.commit(sha)
        if base is None:
            raise FatalError(f"the base commit {sha[:12]} of the {event} event is not in this clone: {SHALLOW_HINT}")
        return _pull_request(repo, base, None)
    return Target(repo.head(), WORKTREE)


def _pull_request(repo: GitRepo, base: str, head_ref: str | None) -> Target:
    """Head against the merge-base of base and head: what a pull request's three-dot diff shows."""
    head = _commit(repo, head_ref or "HEAD", "--head" if head_ref else "HEAD")
    merge_base = repo.merge_base(base, head)
    if merge_base is None:
        hint = SHALLOW_HINT if repo.is_shallow() else "the two histories are unrelated"
        raise FatalError(f"no common ancestor of {base[:12]} and {head[:12]}: {hint}")
    return Target(merge_base, head)


def _commit(repo: GitRepo, ref: str, flag: str) -> str:
    sha = repo.commit(ref)
    if sha is None:
        if ref == "HEAD":
            raise FatalError("this repository has no commits yet: commit first, or use --staged or --all")
        hint = f": {SHALLOW_HINT}" if repo.is_shallow() else ""
        raise FatalError(f"{flag} {ref!r} is not a commit in this repository{hint}")
    return sha
