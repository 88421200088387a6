"""promote / archive / rollback / register: edit one model file in place, as the policy allows.

The edited file is judged exactly as `check` judges the working tree against HEAD, under HEAD's
policy. A refused edit prints the same rule ids and messages `check` would, and writes nothing.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from stagectl.authoring import changes, inplace
from stagectl.authoring.changes import BadRequest, Edit, Refusal
from stagectl.authoring.files import find_model, write_atomically
from stagectl.core.judge import FileChange, judge
from stagectl.core.model import ModelFile, Rejected, Violation
from stagectl.core.policy import POLICY_FILE, Settings
from stagectl.core.rules import shallow_note
from stagectl.display import printable
from stagectl.errors import FatalError
from stagectl.gitrepo.collect import policy_at
from stagectl.gitrepo.contents import read, read_worktree
from stagectl.gitrepo.gitio import WORKTREE, GitRepo, head_label
from stagectl.gitrepo.stagelog import GitHistory, stage_events
from stagectl.load.parse import check_name, parse_model
from stagectl.report import CheckResult, Output, notes
from stagectl.report.text import report as print_violations


@dataclass(frozen=True)
class Workspace:
    """What an editing command works on: the repository, HEAD, HEAD's settings, the model's file."""

    repo: GitRepo
    head: str | None
    settings: Settings
    path: str  # repo-relative


Planner = Callable[[ModelFile, Workspace], Edit]


def run(
    name: str,
    planner: Planner,
    dry_run: bool,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    check_name(name)
    with GitRepo.discover(cwd) as repo:
        head = repo.head()
        settings, policy_entry = policy_at(repo, head)
        if repo.worktree_differs(POLICY_FILE, policy_entry):  # no git process while the file is as committed
            err.write(f"stagectl: note: {notes.uncommitted_policy('this edit')}\n")
        path = find_model(repo.root, settings.models_dir, name)
        if path is None:
            raise FatalError(f"there is no {settings.models_dir}/{name}.yaml: create it with 'stagectl new {name}'")
        workspace = Workspace(repo, head, settings, path)
        before = read_worktree(os.path.join(repo.root, path), path)
        current = parse_model(path, before, spans=True)
        if isinstance(current, Rejected) or not isinstance(before, bytes):
            violations = list(current.violations) if isinstance(current, Rejected) else []
            return _refuse(
                violations, path, Output(out, err, env, quiet=True), "the file does not pass check: fix it first"
            )
        try:
            change = planner(current, workspace)
        except BadRequest as bad:
            raise FatalError(str(bad)) from None
        except Refusal as refusal:
            err.write(f"stagectl: {refusal}; {path} is unchanged\n")
            return 1
        if change.already:
            err.write(f"stagectl: {change.already}: nothing to change\n")
            return 0
        try:
            after = edited(before, current, change)
        except inplace.EditError as refusal:
            err.write(f"stagectl: {refusal}; {path} is unchanged\n")
            return 1
        violations = judge_edit(workspace, after)
    if violations:
        return _refuse(violations, path, Output(out, err, env, quiet=True), "the policy rejects this edit")
    if dry_run:
        out.writelines(_diff(path, before, after))
        return 0
    write_atomically(os.path.join(repo.root, path), after)
    for line in change.describe():
        out.write(f"{path}: {line}\n")
    return 0


def plan_rollback(model: ModelFile, workspace: Workspace) -> Edit:
    """The rollback, from HEAD's history of the file; in a shallow clone, "none earlier" says history may be missing."""
    repo, head, path = workspace.repo, workspace.head, workspace.path
    events = stage_events(repo, head, [path])[path] if head else []
    try:
        return changes.rollback(model, events)
    except changes.NoEarlierProduction as refusal:
        note = shallow_note(GitHistory(repo, head)) if head else ""
        raise Refusal(f"{refusal}{note}") from None


def edited(before: bytes, current: ModelFile, change: Edit) -> bytes:
    """The file's bytes with `change` written in, everything else as it was."""
    if change.new_entry:
        return inplace.append_version(before, current.document, change.new_entry)
    return inplace.set_stages(before, current.document, {c.index: c.to_stage for c in change.stages})


def judge_edit(workspace: Workspace, after: bytes) -> list[Violation]:
    """The edited file against HEAD, under HEAD's policy and history: what `check` would say."""
    repo, path = workspace.repo, workspace.path
    entry = repo.entries(workspace.head, [path]).get(path) if workspace.head else None
    base = parse_model(path, read(repo, path, entry)) if entry else None
    head = parse_model(path, after)
    return judge([FileChange(path, base, head)], workspace.settings.policy, GitHistory(repo, workspace.head))


def _refuse(violations: list[Violation], path: str, output: Output, why: str) -> int:
    print_violations(CheckResult(None, head_label(WORKTREE), 1, tuple(violations)), output)
    output.err.write(f"stagectl: refused: {why}; {path} is unchanged\n")
    return 1


def _diff(path: str, before: bytes, after: bytes) -> list[str]:
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")
    return [_shown(line) for line in lines]


def _shown(line: str) -> str:
    """A line of the diff: the file's own text, so a control character in it is shown as an escape."""
    for ending in ("\r\n", "\n"):
        if line.endswith(ending):
            return printable(line.removesuffix(ending)) + ending
    return printable(line) + "\n\\ No newline at end of file\n"
