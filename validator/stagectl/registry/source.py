"""The desired state's source: the model files at HEAD, read only after they validate."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from stagectl.collect import collect_commit
from stagectl.contents import read_worktree
from stagectl.errors import SHALLOW_HINT, FatalError
from stagectl.gitio import GitRepo
from stagectl.history import last_stage_commits, stage_events
from stagectl.judge import judge
from stagectl.model import ModelFile, Rejected, Violation
from stagectl.parse import parse_settings
from stagectl.policy import POLICY_FILE, Settings
from stagectl.registry.desired import DesiredModel, desired_models


@dataclass(frozen=True)
class Source:
    root: str
    head: str  # the commit read
    settings: Settings
    models: tuple[DesiredModel, ...]
    violations: tuple[Violation, ...] = ()  # non-empty: the files do not validate, nothing may be applied


def load(cwd: str | None = None, names: Sequence[str] = ()) -> Source:
    """Every model file at HEAD, judged on its own like `check --all`; `names` limits the models."""
    with GitRepo.discover(cwd) as repo:
        head = repo.head()
        if head is None:
            raise FatalError("this repository has no commits yet: commit the model files first")
        if repo.is_shallow():
            # Each version's `stagectl.commit` comes from its file's history: a truncated history
            # would overwrite the registry's true commits with the clone's oldest one.
            raise FatalError(f"this clone is shallow; stagectl.commit needs each model file's history: {SHALLOW_HINT}")
        collected = collect_commit(repo, head)
        found = judge(collected.files, collected.settings.policy, standalone=True) + collected.violations
        if found:
            violations = tuple(sorted(found, key=Violation.sort_key))
            return Source(repo.root, head, collected.settings, (), violations)
        files = [c.head for c in collected.files if isinstance(c.head, ModelFile)]
        known = {f.name for f in files}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise FatalError(
                f"no model file for {', '.join(unknown)} at HEAD in {collected.settings.models_dir}/ "
                "(--model takes a model name; `stagectl import` writes files for registered models)"
            )
        if names:
            files = [f for f in files if f.name in names]
        commits = last_stage_commits(stage_events(repo, head, [f.path for f in files]))
        return Source(repo.root, head, collected.settings, tuple(desired_models(files, commits)))


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
