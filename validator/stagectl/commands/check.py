"""`stagectl check`: judge a change's stage transitions (or every file, with --all)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from stagectl.core.judge import FileChange, judge, judge_settings
from stagectl.core.model import Violation
from stagectl.core.moves import summarise
from stagectl.core.policy import POLICY_FILE, Policy
from stagectl.errors import FatalError
from stagectl.github import actions
from stagectl.gitrepo.collect import Collected, collect
from stagectl.gitrepo.gitio import INDEX, WORKTREE, GitRepo, head_label
from stagectl.gitrepo.stagelog import GitHistory, timelines
from stagectl.gitrepo.targets import Request, Target, select
from stagectl.report import CheckResult, Output, notes, reporter


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
        target = select(repo, request, lambda: actions.event_base(env) if actions.in_actions(env) else None)
        collected = collect(repo, target)
        changed: list[FileChange] = [] if target.standalone else list(collected.files)
        policy = collected.settings.policy
        judged_files = collected.files if target.standalone else changed  # --all: read lazily, once
        found = judge(judged_files, policy, GitHistory(repo, target.base), standalone=target.standalone)
        found += judge_settings(collected.settings_change)  # reads the head's model files as it goes
        markdown = fmt == "markdown"  # the comment also says which policy judged: one more git read
        policy_file = markdown and bool(target.base and repo.entries(target.base, [POLICY_FILE]).get(POLICY_FILE))
        said = _notes(repo, target, collected, (*found, *collected.violations), actions.in_actions(env))
        moves = summarise(changed, collected.settings.registry) if markdown else ()
        drawn = {m.model: m.path for m in moves if m.stages and not m.deleted}
        pictures = timelines(repo, target.head, drawn) if isinstance(target.head, str) else ()
    approved, unmet, unjudged = _approvals(changed, policy, target, env, gate=not markdown)
    violations = tuple(sorted([*found, *collected.violations, *unmet], key=Violation.sort_key))
    result = CheckResult(
        target.base,
        head_label(target.head),
        collected.files_checked,
        violations,
        said + unjudged,
        moves,
        approved,
        unjudged,
        policy_file,
        pictures,
    )
    fmt = fmt or ("github" if actions.in_actions(env) else "text")
    if fmt == "json" or (fmt == "text" and quiet):  # the reporters that keep notes to themselves
        for note in unjudged:
            err.write(f"stagectl: note: {note}\n")  # an approval not judged is never a silent pass
    reporter(fmt)(result, Output(out, err, env, quiet))
    return 0 if result.ok else 1


def _approvals(
    files: Sequence[FileChange], policy: Policy, target: Target, env: Mapping[str, str], gate: bool
) -> tuple[tuple[str, ...], list[Violation], tuple[str, ...]]:
    """(outcomes in words, violations, notes): judged from the pull request's reviews in Actions;
    anywhere else, or for a head that is not a commit, noted as not judged (never a silent pass).

    The check (`gate`) without a token cannot run; the comment (markdown) without one says that the
    required check judges the approvals, which it re-runs on each review.
    """
    if not policy.approvals:
        return (), [], ()
    from stagectl.github import approvals

    needed = approvals.requirements(files, policy)
    if not needed:
        return (), [], ()
    pr = actions.pull_request(env)
    if pr is None or not isinstance(target.head, str):
        why = "with no pull request (the pull request's check judges it)"
        return (), [], tuple(approvals.not_judged(needed, why))
    from stagectl.github import api

    token = api.token_from(env)
    if token is None and not gate:
        why = 'the required check "stagectl check" judges it from the reviews, again on each review'
        return (), [], tuple(approvals.not_judged(needed, why))
    if token is None:
        raise FatalError(
            "the approval rule needs GitHub's API: set GITHUB_TOKEN in the step's env "
            "(GITHUB_TOKEN: ${{ github.token }}) and give the job `permissions: pull-requests: read`"
        )
    client = api.GitHub.from_env(env, token)
    found = approvals.approvers(client.reviews(pr.repository, pr.number), pr.head_sha)
    outcomes = approvals.judge(needed, found, client.in_team)
    violations = [v for v in (o.violation() for o in outcomes) if v is not None]
    return tuple(("✅ " if o.met else "❌ ") + o.words() for o in outcomes), violations, ()


def _notes(
    repo: GitRepo, target: Target, collected: Collected, violations: tuple[Violation, ...], in_actions: bool
) -> tuple[str, ...]:
    """Which policy judged a change that edits it; how to judge a branch when the working tree is clean
    (for a person at a terminal: a workflow says what it judges in its own file)."""
    if collected.policy_edited:
        if target.head is WORKTREE:
            return (notes.uncommitted_policy("the working tree"),)
        return (notes.policy_edit(target.base, staged=target.head is INDEX),)
    nothing_judged = not (collected.files_checked or violations)
    if in_actions or target.head is not WORKTREE or target.standalone or target.base is None or not nothing_judged:
        return ()
    default = repo.default_branch()  # a git process only when there was nothing to judge
    if default is None or default[1] == target.base:
        return ()
    return (notes.judge_the_branch(default[0]),)
