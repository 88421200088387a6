"""Gather what a check judges: the base's settings and every changed model file, read and parsed.

The only module of `check` that reads git or the disk; everything it returns is plain data.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from stagectl.contents import read, read_worktree
from stagectl.errors import FatalError
from stagectl.gitio import INDEX, REGULAR_MODE, SUBMODULE_MODE, SYMLINK_MODE, WORKTREE, Entry, GitRepo, literal
from stagectl.judge import FileChange
from stagectl.model import Parsed, Rejected, Violation
from stagectl.parse import MODEL_SUFFIXES, model_stem, parse_model, parse_settings
from stagectl.policy import POLICY_FILE, Settings
from stagectl.targets import Target


@dataclass(frozen=True)
class Collected:
    settings: Settings  # the settings that judge: the base's (the work tree's for --all)
    files: Iterable[FileChange] = field(default_factory=list)  # a list; read lazily, once, for --all
    violations: list[Violation] = field(default_factory=list)  # found while collecting: policy, file-type
    files_checked: int = 0


def collect(repo: GitRepo, target: Target) -> Collected:
    if target.standalone:
        return collect_worktree(repo)
    settings = base_settings(repo, target.base)
    files: list[FileChange] = []
    collected = Collected(settings, files)
    models_dir = settings.models_dir
    for change in repo.diff(target.base, target.head, [models_dir, POLICY_FILE]):
        if change.path == POLICY_FILE:
            if change.head is not None:
                _judge_policy(repo, change.path, change.head, collected)
            continue
        kind = classify(change.path, models_dir)
        if kind == "model":
            base = _parse(repo, change.path, change.base) if change.base else None
            head = _parse(repo, change.path, change.head) if change.head else None
            files.append(FileChange(change.path, base, head))
        elif change.head is not None:
            problem = _stray(change.path, change.head.mode, kind, models_dir)
            if problem:
                collected.violations.append(problem)
    _add_twins(repo, target.head, files)
    return Collected(settings, files, collected.violations, len(files))


def base_settings(repo: GitRepo, base: str | None) -> Settings:
    """The policy that judges a change: the base's. An invalid one means the change cannot be judged."""
    if base is None:
        return Settings()
    entry = repo.entries(base, [POLICY_FILE]).get(POLICY_FILE)
    parsed = parse_settings(read(repo, POLICY_FILE, entry) if entry else None)
    if isinstance(parsed, Rejected):
        first = parsed.violations[0]
        raise FatalError(
            f"{POLICY_FILE} at the base ({base[:12]}) is invalid, so the change cannot be judged: "
            f"line {first.line}: {first.message} (fix it on the base branch first)"
        )
    return parsed


def collect_worktree(repo: GitRepo) -> Collected:
    """--all: every model file in the working tree, each judged on its own."""
    policy_path = os.path.join(repo.root, POLICY_FILE)
    settings = Settings()
    violations: list[Violation] = []
    if os.path.lexists(policy_path):
        parsed = parse_settings(read_worktree(policy_path, POLICY_FILE))
        if isinstance(parsed, Rejected):
            violations.extend(parsed.violations)  # the files are judged under the defaults meanwhile
        else:
            settings = parsed
    collected = _collect_files(repo, settings, _walk(repo, settings.models_dir), lazy=True)
    collected.violations.extend(violations)
    return collected


def collect_commit(repo: GitRepo, rev: str) -> Collected:
    """Every model file at commit `rev`, each judged on its own: what apply and status read.

    An invalid `stagectl.yaml` at `rev` is a FatalError, as for a check's base.
    """
    settings = base_settings(repo, rev)
    return _collect_files(repo, settings, repo.tree(rev, settings.models_dir), lazy=False)


def _collect_files(repo: GitRepo, settings: Settings, entries: dict[str, Entry], lazy: bool) -> Collected:
    """Every model file among `entries`, each standing alone.

    Lazily, each file is read, parsed and judged before the next is read, so memory (and the
    garbage collector's work) stays flat however many files there are.
    """
    models: list[tuple[str, Entry]] = []
    violations: list[Violation] = []
    for path, entry in sorted(entries.items()):
        kind = classify(path, settings.models_dir)
        if kind == "model":
            models.append((path, entry))
        else:
            problem = _stray(path, entry.mode, kind, settings.models_dir)
            if problem:
                violations.append(problem)

    twins = same_name([path for path, _ in models])

    def files() -> Iterator[FileChange]:
        for path, entry in models:
            yield FileChange(path, None, _parse(repo, path, entry), twins.get(path, ()))

    return Collected(settings, files() if lazy else list(files()), violations, len(models))


def classify(path: str, models_dir: str) -> str:
    """'model' for models/<name>.yaml, 'nested' for a YAML file deeper down, 'other' otherwise."""
    rest = path[len(models_dir) + 1 :]
    is_yaml = posixpath.splitext(rest)[1] in MODEL_SUFFIXES
    if is_yaml and "/" not in rest:
        return "model"
    return "nested" if is_yaml else "other"


def _stray(path: str, mode: str, kind: str, models_dir: str) -> Violation | None:
    """A file in the models folder that is not a model file but looks like it should be checked."""
    if mode in (SYMLINK_MODE, SUBMODULE_MODE):
        what = "a symbolic link" if mode == SYMLINK_MODE else "a git submodule"
        if path == models_dir:
            return Violation(path, 1, 1, "file-type", f"{path} is {what}: the models folder must be a real folder")
        return Violation(path, 1, 1, "file-type", f"{path} is {what}: the models folder holds regular files only")
    if kind == "nested":
        return Violation(
            path,
            1,
            1,
            "file-type",
            f"{path} is in a subfolder: model files live directly in {models_dir}/ "
            "(move it there, or it is never checked)",
        )
    return None


def _parse(repo: GitRepo, path: str, entry: Entry) -> Parsed:
    return parse_model(path, read(repo, path, entry))


def _judge_policy(repo: GitRepo, path: str, entry: Entry, collected: Collected) -> None:
    parsed = parse_settings(read(repo, path, entry))
    if isinstance(parsed, Rejected):
        collected.violations.extend(parsed.violations)


def _add_twins(repo: GitRepo, head: str, files: list[FileChange]) -> None:
    """Note changed model files that share a name with a sibling (fraud.yml, or Fraud.yaml, beside fraud.yaml).

    A sibling under the other suffix is looked up by its exact path. A sibling that differs only
    in case needs the folder's listing, read once and only when a model file is added: a file
    that was already there had its twins judged when one of them was added.
    """
    present = [c for c in files if c.head is not None and not isinstance(c.head, Rejected)]
    if not present:
        return
    found = set(repo.entries(head, sorted({p for c in present for p in _siblings(c.path)})))
    for folder in sorted({posixpath.dirname(c.path) for c in present if c.base is None}):
        found.update(_model_files_in(repo, head, folder))
    judged = {c.path for c in present}
    twins = same_name(found | judged)
    for index, change in enumerate(files):
        if change.path in judged and twins.get(change.path):
            files[index] = FileChange(change.path, change.base, change.head, twins[change.path])


def same_name(paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Model files that declare one model: the same stem up to case, whatever the suffix.

    fraud.yaml, fraud.yml and Fraud.yaml are one name to a registry or a file system that ignores case.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for path in sorted(paths):
        groups.setdefault((posixpath.dirname(path), model_stem(path).casefold()), []).append(path)
    return {p: tuple(q for q in group if q != p) for group in groups.values() if len(group) > 1 for p in group}


def _model_files_in(repo: GitRepo, head: str, folder: str) -> list[str]:
    """The model files directly in `folder` at `head` (a commit, INDEX or WORKTREE): one listing."""
    if head == WORKTREE:
        try:
            names = os.listdir(os.path.join(repo.root, folder))
        except OSError:
            return []
    elif head == INDEX:
        out = repo.run("ls-files", "-z", "--", *literal([folder + "/"]))
        depth = folder.count("/") + 1
        names = [p.rpartition("/")[2] for p in map(os.fsdecode, out.split(b"\0")) if p.count("/") == depth]
    else:
        out = repo.run("ls-tree", "-z", "--name-only", "--full-tree", head, "--", *literal([folder + "/"]))
        names = [p.rpartition("/")[2] for p in map(os.fsdecode, out.split(b"\0")) if p]
    return [f"{folder}/{name}" for name in names if posixpath.splitext(name)[1] in MODEL_SUFFIXES]


def _siblings(path: str) -> list[str]:
    """The same model's file under the other suffixes: fraud.yml for fraud.yaml."""
    stem = posixpath.join(posixpath.dirname(path), model_stem(path))
    return [stem + suffix for suffix in MODEL_SUFFIXES if not path.endswith(suffix)]


def _walk(repo: GitRepo, models_dir: str) -> dict[str, Entry]:
    """Every file under the models folder, with the mode git would record; links not followed.

    Links and submodules (a folder with its own .git) are entries of their own, never walked into.
    """
    if repo.worktree_mode(models_dir) == SYMLINK_MODE:
        return {models_dir: Entry(SYMLINK_MODE, None)}  # judged as what it is: a link where a folder belongs
    top = os.path.join(repo.root, models_dir)
    found: dict[str, Entry] = {}
    for folder, dirs, files in os.walk(top):
        rel = os.path.relpath(folder, repo.root).replace(os.sep, "/")
        for name in files:
            found[f"{rel}/{name}"] = Entry(repo.worktree_mode(f"{rel}/{name}"), None)
        for name in dirs:
            mode = repo.worktree_mode(f"{rel}/{name}")
            if mode != REGULAR_MODE:
                found[f"{rel}/{name}"] = Entry(mode, None)
        dirs[:] = [d for d in dirs if d != ".git" and f"{rel}/{d}" not in found]
    return found
