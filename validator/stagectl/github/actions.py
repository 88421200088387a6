"""GitHub Actions: which base an event means (workflow-command escaping is in display.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stagectl.errors import FatalError
from stagectl.gitrepo.gitio import ZERO_SHAS

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target", "pull_request_review")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class PullRequest:
    """The pull request an Actions run is about, from the event payload."""

    repository: str  # owner/name
    number: int
    head_sha: str  # the pull request's head commit (reviews name it), not the merge commit checked out


def in_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def event_base(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The base commit the triggering event names, and the event's name; None for other events.

    pull_request(_target): the PR's base branch tip. merge_group: the queue's base. push: the
    commit the branch pointed at before (absent for a new branch).
    """
    name = env.get("GITHUB_EVENT_NAME", "")
    if name not in (*PULL_REQUEST_EVENTS, "merge_group", "push"):
        return None
    payload = _payload(env)
    sha: Any = None
    if name in PULL_REQUEST_EVENTS:
        sha = ((payload.get("pull_request") or {}).get("base") or {}).get("sha")
    elif name == "merge_group":
        sha = (payload.get("merge_group") or {}).get("base_sha")
    elif name == "push":
        sha = payload.get("before")
        if sha in ZERO_SHAS:  # a new branch: nothing before it
            return None
    if not isinstance(sha, str) or not sha:
        raise FatalError(f"the {name} event payload names no base commit: pass --base REF")
    return sha, name


def pull_request(env: Mapping[str, str]) -> PullRequest | None:
    """The pull request of a pull_request / pull_request_review run; None outside Actions or for other events."""
    if not in_actions(env) or env.get("GITHUB_EVENT_NAME", "") not in PULL_REQUEST_EVENTS:
        return None
    pr = _payload(env).get("pull_request") or {}
    number, head = pr.get("number"), (pr.get("head") or {}).get("sha")
    repository = env.get("GITHUB_REPOSITORY", "")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1 or not isinstance(head, str):
        raise FatalError("the pull request event payload names no pull request number and head commit")
    if not _SHA.match(head) or not _REPOSITORY.match(repository):
        raise FatalError("the pull request event payload or GITHUB_REPOSITORY is malformed")
    return PullRequest(repository, number, head)


def _payload(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        raise FatalError("GITHUB_EVENT_PATH is not set: pass --base REF")
    try:
        with open(path, encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, ValueError) as error:
        raise FatalError(f"cannot read the event payload {path}: {error}") from None
    if not isinstance(payload, dict):
        raise FatalError(f"the event payload {path} is not a JSON object")
    return payload
