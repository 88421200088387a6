"""soak-time: a version enters production only after `min_staging_hours` in staging on the base branch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone

from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding, shallow_note
from stagectl.core.stage import Stage


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    base, head, hours = change.base, change.head, policy.min_staging_hours
    if base is None or head is None or hours is None:
        return
    for old, version in change.versions():
        number = version.number
        if version.stage != Stage.PRODUCTION or old is None or old.stage != Stage.STAGING:
            continue  # only staging -> production soaks; other ways in are judged as transitions
        since = history.staging_since(change.path, number)
        if since is None:
            message = (
                f"version {number} has not been in staging on the base branch, and the policy wants "
                f"{hours:g} hours there before production: merge it to staging first"
            )
        else:
            waited = (history.now - since).total_seconds() / 3600
            if waited >= hours:
                continue
            ready = (since + timedelta(hours=hours)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            message = (
                f"version {number} has been in staging for {waited:.1f} of the {hours:g} hours the policy "
                f"wants before production: promote it after {ready}"
            )
        yield finding(head, version.path + ("stage",), message + shallow_note(history), number)


RULE = Rule("soak-time", check, standalone=False)
