"""`stagectl check`: judge a change's stage transitions (or every file, with --all)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from stagectl import ghactions
from stagectl.collect import collect
from stagectl.gitio import GitRepo
from stagectl.history import GitHistory
from stagectl.judge import judge
from stagectl.model import Violation
from stagectl.report import CheckResult, Output, reporter
from stagectl.targets import Request, select


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
    violations = tuple(sorted(found + collected.violations, key=Violation.sort_key))
    result = CheckResult(target.base, target.head, collected.files_checked, violations)
    fmt = fmt or ("github" if ghactions.in_actions(env) else "text")
    reporter(fmt)(result, Output(out, err, env, quiet))
    return 0 if result.ok else 1
