"""GitHub Actions: which base an event means (workflow-command escaping is in display.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stagectl.errors import FatalError

ZERO_SHA = "0" * 40


def in_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def event_base(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The base commit the triggering event names, and the event's name; None for other events.

    pull_request(_target): the PR's base branch tip. merge_group: the queue's base. push: the
    commit the branch pointed at before (absent for a new branch).
    """
    name = env.get("GITHUB_EVENT_NAME", "")
    if name not in ("pull_request", "pull_request_target", "merge_group", "push"):
        return None
    payload = _payload(env)
    sha: Any = None
    if name in ("pull_request", "pull_request_target"):
        sha = ((payload.get("pull_request") or {}).get("base") or {}).get("sha")
    elif name == "merge_group":
        sha = (payload.get("merge_group") or {}).get("base_sha")
    elif name == "push":
        sha = payload.get("before")
        if sha == ZERO_SHA or sha == "0" * 64:
            return None
    if not isinstance(sha, str) or not sha:
        raise FatalError(f"the {name} event payload names no base commit: pass --base REF")
    return sha, name


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
