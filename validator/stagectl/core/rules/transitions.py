"""illegal-transition: every stage change, and every new version's first stage, follows the policy."""

from __future__ import annotations

from collections.abc import Iterator

from stagectl.core.model import NEW, Version
from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding, shallow_note
from stagectl.core.stage import STAGES, Stage


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    head = change.head
    if head is None:
        return
    for old, version in change.versions():
        number = version.number
        from_stage = old.stage if old is not None else NEW
        if from_stage == version.stage:
            continue
        problem = refusal(from_stage, version, policy, history, change.path)
        if problem:
            yield finding(head, version.path + ("stage",), problem, number)


def refusal(from_stage: str, version: Version, policy: Policy, history: History, path: str) -> str | None:
    """Why moving `version` from `from_stage` to its stage is refused, or None when it is allowed."""
    to_stage = version.stage
    if policy.allows(from_stage, to_stage):
        return None
    if from_stage == Stage.ARCHIVED and to_stage == Stage.PRODUCTION:
        if not policy.rollback:
            instead = _via(from_stage, to_stage, policy)
            return f"archived → production is a rollback, and this repository's policy turns rollbacks off: {instead}"
        if history.was_in_production(path, version.number):
            return None
        return (
            f"version {version.number} was never in production on the base branch, so it cannot be rolled back: "
            f"{_via(from_stage, to_stage, policy)}{shallow_note(history)}"
        )
    if from_stage == NEW:
        starts = " or ".join(s for s in STAGES if policy.allows(NEW, s)) or "a stage the policy allows"
        return f"a new version cannot start in {to_stage}: add version {version.number} as {starts}, then promote it"
    return f"{from_stage} → {to_stage} {_via(from_stage, to_stage, policy)}"


def _via(from_stage: str, to_stage: str, policy: Policy) -> str:
    """What to do instead: the stage in between, when there is one."""
    for middle in STAGES:
        if (
            middle not in (from_stage, to_stage)
            and policy.allows(from_stage, middle)
            and policy.allows(middle, to_stage)
        ):
            prefix = f"skips {middle}: " if from_stage != Stage.ARCHIVED else ""
            return f"{prefix}move it to {middle} first"
    allowed = ", ".join(s for s in STAGES if policy.allows(from_stage, s)) or "nowhere"
    return f"is not allowed by the policy (from {from_stage} a version may move to: {allowed})"


RULE = Rule("illegal-transition", check, standalone=False)
