"""model-removed: a model file goes only once nothing in it is live."""

from __future__ import annotations

from collections.abc import Iterator

from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule
from stagectl.core.stage import Stage


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    base = change.base
    if change.head is not None or base is None:
        return
    live = [v for v in base.by_number().values() if v.stage != Stage.ARCHIVED]
    if not live:
        return
    which = ", ".join(f"version {v.number} is {v.stage}" for v in live)
    if change.moved_to is not None:
        message = (
            f"{base.name} is not in the new models folder {change.moved_to}/ while {which}: "
            f"move {change.path} there too, or archive every version first"
        )
    else:
        message = f"{change.path} was deleted while {which}: archive every version first, then delete the file"
    yield Finding(change.path, 1, 1, message, base.name)


RULE = Rule("model-removed", check, standalone=False)
