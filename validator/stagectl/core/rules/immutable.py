"""immutable-field: what identifies a version's artifact never changes once merged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding
from stagectl.display import describe_value


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    base, head = change.base, change.head
    if base is None or head is None:
        return
    for old, version in change.versions():
        number = version.number
        if old is None:
            continue
        for field in policy.immutable:
            was, now = old.fields.get(field), version.fields.get(field)
            if was == now:
                continue
            where = version.path + ((field,) if field in version.fields else ())
            yield finding(head, where, _message(field, number, was, now), number)


def _message(field: str, number: int, was: Any, now: Any) -> str:
    if was is None:
        what = f"{field} of version {number} was added after the version was merged"
    elif now is None:
        what = f"{field} of version {number} was removed"
    else:
        what = f"{field} of version {number} changed from {describe_value(was)} to {describe_value(now)}"
    return f"{what}: it is immutable once merged; register a new version instead"


RULE = Rule("immutable-field", check, standalone=False)
