"""approval: a version moved into a stage the policy guards needs approving reviews of the pull request.

Pure: which moves need approvals (`requirements`), who approved (`approvers`, from the review list),
and the verdict (`judge`, given a way to ask whether a login is in a team). The reviews and team
memberships are read by `githubapi`; outside a pull request nothing is judged and `not_judged` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from stagectl.core.judge import FileChange
from stagectl.core.model import NEW, ModelFile, Violation
from stagectl.core.policy import Approval, Policy

RULE = "approval"


@dataclass(frozen=True)
class Requirement:
    """Moving `version` of `model` into `stage` needs `approval`."""

    model: str
    version: int
    stage: str
    approval: Approval
    file: str
    line: int
    column: int

    def words(self, has: int | None = None) -> str:
        count = self.approval.count
        needs = f"{count} approval{'' if count == 1 else 's'} from {self.approval.who()}"
        tail = "" if has is None else f" (has {has})"
        return f"moving {self.model} version {self.version} to {self.stage} needs {needs}{tail}"


@dataclass(frozen=True)
class Review:
    """One pull-request review, as GitHub's API lists it."""

    login: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    commit_id: str | None


@dataclass(frozen=True)
class Approvers:
    current: tuple[str, ...]  # logins whose latest review approves the head commit
    stale: tuple[str, ...]  # logins whose latest review approves an older commit (not counted)


@dataclass(frozen=True)
class Outcome:
    requirement: Requirement
    approved_by: tuple[str, ...]  # the counted approvers, as "@login"
    stale: tuple[str, ...]

    @property
    def met(self) -> bool:
        return len(self.approved_by) >= self.requirement.approval.count

    def violation(self) -> Violation | None:
        if self.met:
            return None
        r = self.requirement
        message = r.words(len(self.approved_by))
        if self.stale:
            message += f"; approvals of an older commit do not count: {', '.join(self.stale)} must approve again"
        return Violation(r.file, r.line, r.column, RULE, message, r.model, r.version)

    def words(self) -> str:
        r = self.requirement
        if self.met:
            return f"moving {r.model} version {r.version} to {r.stage}: approved by {', '.join(self.approved_by)}"
        return r.words(len(self.approved_by))


def requirements(changes: Iterable[FileChange], policy: Policy) -> list[Requirement]:
    """Every version the change moves into a stage whose entry the policy guards with approvals
    (a new version that starts there counts as moving into it)."""
    if not policy.approvals:
        return []
    found: list[Requirement] = []
    for change in changes:
        head = change.head if isinstance(change.head, ModelFile) else None
        if head is None:
            continue
        before = change.base.by_number() if isinstance(change.base, ModelFile) else {}
        for number, version in sorted(head.by_number().items()):
            old = before.get(number)
            approval = policy.approvals.get(version.stage)
            if approval is None or (old.stage if old else NEW) == version.stage:
                continue
            where = head.position(version.path + ("stage",))
            found.append(Requirement(head.name, number, version.stage, approval, head.path, where.line, where.column))
    return found


def approvers(reviews: Sequence[Review], head_sha: str) -> Approvers:
    """Each reviewer's latest verdict, in the API's order (oldest first). A comment changes no verdict,
    as on GitHub; a dismissed approval is no approval; an approval of an older commit is stale: the
    code it approved is not the code being merged (like GitHub's "dismiss stale approvals")."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.login.lower()] = review
    current = tuple(sorted(r.login for r in latest.values() if r.state == "APPROVED" and r.commit_id == head_sha))
    stale = tuple(sorted(r.login for r in latest.values() if r.state == "APPROVED" and r.commit_id != head_sha))
    return Approvers(current, stale)


def judge(needed: Iterable[Requirement], found: Approvers, in_team: Callable[[str, str, str], bool]) -> list[Outcome]:
    """`in_team(org, team_slug, login)` answers team membership (asked only for teams, lazily)."""
    outcomes = []
    for requirement in needed:
        approved = [login for login in found.current if _counts(login, requirement.approval, in_team)]
        stale = [login for login in found.stale if _counts(login, requirement.approval, in_team)]
        outcomes.append(Outcome(requirement, tuple(f"@{a}" for a in approved), tuple(f"@{s}" for s in stale)))
    return outcomes


def _counts(login: str, approval: Approval, in_team: Callable[[str, str, str], bool]) -> bool:
    users = {a[1:].lower() for a in approval.approvers if "/" not in a}
    if login.lower() in users:
        return True
    for team in (a[1:] for a in approval.approvers if "/" in a):
        org, slug = team.split("/", 1)
        if in_team(org, slug, login):
            return True
    return False


def not_judged(needed: Iterable[Requirement], why: str) -> list[str]:
    """What to say instead of passing silently when no pull request is there to read."""
    return [f"{r.words()}: not judged here, {why}" for r in needed]
