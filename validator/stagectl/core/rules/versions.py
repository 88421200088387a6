"""version-duplicate, version-number, version-removed: MLflow numbers versions once, forever."""

from __future__ import annotations

from collections.abc import Iterator

from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding
from stagectl.core.stage import Stage


def duplicates(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    head = change.head
    if head is None:
        return
    first_line: dict[int, int] = {}
    for version in head.versions:
        line = head.position(version.path + ("version",)).line
        if version.number in first_line:
            yield finding(
                head,
                version.path + ("version",),
                f"version {version.number} is listed twice (first on line {first_line[version.number]}): "
                "keep one entry per version",
                version.number,
            )
        else:
            first_line[version.number] = line


def numbering(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    base, head = change.base, change.head
    if base is None or head is None or not base.versions:
        return
    known = base.by_number()
    highest = max(known)
    reported: set[int] = set()
    for version in head.versions:
        if version.number in known or version.number > highest or version.number in reported:
            continue
        reported.add(version.number)
        yield finding(
            head,
            version.path + ("version",),
            f"version {version.number} is new, but the base already has versions up to {highest}: "
            f"number it {highest + 1} or above (MLflow never reuses a version number)",
            version.number,
        )


def removals(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    base, head = change.base, change.head
    if base is None or head is None:
        return
    present = head.by_number()
    for number, version in sorted(base.by_number().items()):
        if number not in present:
            yield finding(head, ("versions",), _removed_message(number, version.stage), number)


def _removed_message(number: int, stage: str) -> str:
    """An archived version is already as retired as a version gets: the only fix is to put it back."""
    if stage == Stage.ARCHIVED:
        return (
            f"version {number} (archived at the base) was removed: versions are never deleted, even archived "
            "ones: restore its entry as it is at the base"
        )
    return (
        f"version {number} ({stage} at the base) was removed: versions are never deleted, set 'stage: archived' instead"
    )


DUPLICATE = Rule("version-duplicate", duplicates, standalone=True)
NUMBER = Rule("version-number", numbering, standalone=False)
REMOVED = Rule("version-removed", removals, standalone=False)
