"""The desired state's source: HEAD, and each model's accepted file (see judged.py) with its history."""

from __future__ import annotations

import os
from collections.abc import Sequence

from stagectl.core.model import Rejected
from stagectl.core.policy import POLICY_FILE, Settings
from stagectl.errors import SHALLOW_HINT, FatalError
from stagectl.gitrepo.contents import read_worktree
from stagectl.gitrepo.gitio import GitRepo
from stagectl.gitrepo.stagelog import last_stage_commits, stage_events
from stagectl.load.parse import parse_settings
from stagectl.registry.desired import DesiredModel, desired_model
from stagectl.registry.judged import Verdict


def head_commit(repo: GitRepo) -> str:
    """HEAD's commit, in a clone whose history is whole (each version's `stagectl.commit` comes from it)."""
    head = repo.head()
    if head is None:
        raise FatalError("this repository has no commits yet: commit the model files first")
    if repo.is_shallow():
        # A truncated history would overwrite the registry's true commits with the clone's oldest
        # one, and the steps since each model's recorded commit could not be judged.
        raise FatalError(f"this clone is shallow; stagectl.commit needs each model file's history: {SHALLOW_HINT}")
    return head


def desired_from(repo: GitRepo, verdicts: Sequence[Verdict]) -> dict[str, DesiredModel]:
    """The desired state of each model a verdict lets through: its accepted file, and for each
    version the commit that last set its stage (read from history up to the accepted commit)."""
    by_commit: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        if verdict.accepted is not None and verdict.commit is not None:
            by_commit.setdefault(verdict.commit, []).append(verdict)
    desired: dict[str, DesiredModel] = {}
    for commit, found in by_commit.items():
        files = [v.accepted for v in found if v.accepted is not None]
        commits = last_stage_commits(stage_events(repo, commit, [f.path for f in files]))
        for verdict, file in zip(found, files, strict=True):
            applied = verdict.removed_at or commit  # a removal the rules allow is recorded once applied
            desired[file.name] = desired_model(file, commits.get(file.path, {}), applied, verdict.baseline)
    return desired


def worktree_settings(cwd: str | None = None) -> tuple[str, Settings]:
    """For import: the repository root and the working tree's `stagectl.yaml` (defaults when absent)."""
    with GitRepo.discover(cwd) as repo:
        path = os.path.join(repo.root, POLICY_FILE)
        if not os.path.lexists(path):
            return repo.root, Settings()
        parsed = parse_settings(read_worktree(path, POLICY_FILE))
        if isinstance(parsed, Rejected):
            first = parsed.violations[0]
            raise FatalError(f"{POLICY_FILE} is invalid: line {first.line}: {first.message} (fix it first)")
        return repo.root, parsed
