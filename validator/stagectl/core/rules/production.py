"""production-limit: at most `max_production` versions of a model serve at once."""

from __future__ import annotations

from collections.abc import Iterator

from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding
from stagectl.core.stage import Stage


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    head, limit = change.head, policy.max_production
    if head is None or limit is None:
        return
    live = [v for v in head.by_number().values() if v.stage == Stage.PRODUCTION]
    was_live = {n for n, v in change.base.by_number().items() if v.stage == Stage.PRODUCTION} if change.base else set()
    if len(live) <= limit or len(live) <= len(was_live):
        return  # not over the limit, or over it already at the base: not this change's doing
    numbers = ", ".join(str(v.number) for v in live)
    older = [str(v.number) for v in live if v.number in was_live]
    fix = f"archive version {', '.join(older)} in this change" if older else f"keep at most {limit} there"
    newest = max((v for v in live if v.number not in was_live), key=lambda v: v.number)
    yield finding(
        head,
        newest.path + ("stage",),
        f"{len(live)} versions of {head.name} are in production ({numbers}); the policy allows {limit}: {fix}",
        newest.number,
    )


RULE = Rule("production-limit", check, standalone=True)
