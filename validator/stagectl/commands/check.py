"""`stagectl check`: judge a change's stage transitions (or every file, with --all)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from stagectl import ghactions, notes
from stagectl.collect import Collected, collect
from stagectl.gitio import INDEX, WORKTREE, GitRepo
from stagectl.history import GitHistory
from stagectl.judge import judge, judge_settings
from stagectl.model import Violation
from stagectl.report import CheckResult, Output, reporter
from stagectl.targets import Request, Target, select


def run(
    request: Request,
    fmt: str | None,
    quiet: bool,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    with GitRepo.discover(cwd) as repo:
        target = select(repo, request, env)
        collected = collect(repo, target)
        found = judge(
            collected.files, collected.settings.policy, GitHistory(repo, target.base), standalone=target.standalone
        )
        found += judge_settings(collected.settings_change)  # reads the head's model files as it goes
        violations = tuple(sorted(found + collected.violations, key=Violation.sort_key))
        said = _notes(repo, target, collected, violations, ghactions.in_actions(env))
    result = CheckResult(target.base, target.head, collected.files_checked, violations, said)
    fmt = fmt or ("github" if ghactions.in_actions(env) else "text")
    reporter(fmt)(result, Output(out, err, env, quiet))
    return 0 if result.ok else 1


def _notes(
    repo: GitRepo, target: Target, collected: Collected, violations: tuple[Violation, ...], in_actions: bool
) -> tuple[str, ...]:
    """Which policy judged a change that edits it; how to judge a branch when the working tree is clean
    (for a person at a terminal: a workflow says what it judges in its own file)."""
    if collected.policy_edited:
        if target.head == WORKTREE:
            return (notes.uncommitted_policy("the working tree"),)
        return (notes.policy_edit(target.base, staged=target.head == INDEX),)
    nothing_judged = not (collected.files_checked or violations)
    if in_actions or target.head != WORKTREE or target.standalone or target.base is None or not nothing_judged:
        return ()
    default = repo.default_branch()  # a git process only when there was nothing to judge
    if default is None or default[1] == target.base:
        return ()
    return (notes.judge_the_branch(default[0]),)
