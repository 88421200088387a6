"""Gather what a check judges: the base's settings and every changed model file, read and parsed.

The only module of `check` that reads git or the disk; everything it returns is plain data.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from stagectl.core.aliases import AliasMapping
from stagectl.core.judge import FileChange
from stagectl.core.model import Document, ModelFile, Parsed, Rejected, Violation, model_stem
from stagectl.core.policy import DEFAULT_SETTINGS, POLICY_FILE, Settings
from stagectl.core.rules import SettingsChange
from stagectl.errors import FatalError
from stagectl.gitrepo.contents import read, read_many, read_worktree
from stagectl.gitrepo.gitio import (
    INDEX,
    REGULAR_MODE,
    SUBMODULE_MODE,
    SYMLINK_MODE,
    WORKTREE,
    Entry,
    GitRepo,
    Head,
    PathChange,
    literal,
)
from stagectl.gitrepo.targets import Target
from stagectl.load.parse import MODEL_SUFFIXES, load_settings, parse_model, parse_settings


@dataclass(frozen=True)
class StandaloneFiles:
    """Every model file of a listing, each read and parsed as it is iterated (`check --all`).

    Nothing is kept, so memory (and the garbage collector's work) stays flat however many files
    there are; iterating again reads them again. Needs the repository open while iterated.
    """

    repo: GitRepo
    models: tuple[tuple[str, Entry], ...]
    twins: Mapping[str, tuple[str, ...]]

    def __iter__(self) -> Iterator[FileChange]:
        for path, entry in self.models:
            yield FileChange(path, None, _parse(self.repo, path, entry), self.twins.get(path, ()))


@dataclass(frozen=True)
class Collected:
    settings: Settings  # the settings that judge: the base's (the work tree's for --all)
    files: tuple[FileChange, ...] | StandaloneFiles = ()  # StandaloneFiles: --all, read as judged
    violations: tuple[Violation, ...] = ()  # found while collecting: policy, file-type
    files_checked: int = 0
    settings_change: SettingsChange | None = None  # set when the change alters the registry mapping
    policy_edited: bool = False  # the change edits stagectl.yaml (which does not judge it)


@dataclass(frozen=True)
class _HeadSettings:
    """The head's `stagectl.yaml`, when the change touches it and it is valid."""

    settings: Settings
    document: Document | None  # None: deleted, or only comments


def collect(repo: GitRepo, target: Target) -> Collected:
    """The change's model files, matched by model name across the base's and the head's models folder.

    When the change leaves `models_dir` alone, one diff of that folder says everything (the common
    case, whose cost follows the diff). When it moves the folder, the two folders' listings are
    compared by name instead, and only files whose blobs differ are read.
    """
    if target.standalone:
        return collect_worktree(repo)
    settings = base_settings(repo, target.base)
    base_dir = settings.models_dir
    violations: list[Violation] = []
    head: _HeadSettings | None = None
    in_folder: list[PathChange] = []
    policy_edited = False
    for change in repo.diff(target.base, target.head, [base_dir, POLICY_FILE]):
        if change.path == POLICY_FILE:
            # The working tree's entry may only be stat-dirty (touched, same bytes): ask the file.
            policy_edited = target.head is not WORKTREE or repo.worktree_differs(change.path, change.base)
            if policy_edited:
                head = _head_settings(repo, change, violations)
        else:
            in_folder.append(change)
    head_dir = head.settings.models_dir if head else base_dir
    listing: dict[str, Entry] | None = None
    if head_dir == base_dir:
        changed = _changed_in_place(repo, in_folder, base_dir, violations)
    else:
        listing = _head_listing(repo, target, head_dir, None)
        changed = _moved(repo, target.base, base_dir, head_dir, listing, violations)
    files = _with_twins(repo, target.head, changed)
    remap, also_read = None, 0
    if head is not None and listing is None and (_remaps(settings, head) or _names_models_dir(head)):
        listing = _head_listing(repo, target, head_dir, in_folder)
    if head is not None and listing is not None:
        violations.extend(_missing_folder(head, listing))
        if _remaps(settings, head):
            added = {change.path for change in files if change.base is None}  # no alias to move yet
            paths = sorted(p for p in listing if classify(p, head_dir) == "model" and p not in added)
            also_read = len(set(paths) - {change.path for change in files})  # read only for the mapping
            remap = SettingsChange(settings, head.settings, head.document, _head_models(repo, paths, listing, files))
    return Collected(settings, files, tuple(violations), len(files) + also_read, remap, policy_edited)


def _remaps(base: Settings, head: _HeadSettings) -> bool:
    """Whether the change alters the registry mapping (the rule then asks what it does to each model)."""
    return AliasMapping.from_settings(base.registry) != AliasMapping.from_settings(head.settings.registry)


def _changed_in_place(
    repo: GitRepo, changes: list[PathChange], models_dir: str, violations: list[Violation]
) -> list[FileChange]:
    """The changed model files of a models folder that stays where it is: each path against itself."""
    files: list[FileChange] = []
    for change in changes:
        kind = classify(change.path, models_dir)
        if kind == "model":
            base = _parse(repo, change.path, change.base) if change.base else None
            head = _parse(repo, change.path, change.head) if change.head else None
            files.append(FileChange(change.path, base, head))
        elif change.head is not None:
            problem = _stray(change.path, change.head.mode, kind, models_dir)
            if problem:
                violations.append(problem)
    return files


def _moved(
    repo: GitRepo,
    base: str | None,
    base_dir: str,
    head_dir: str,
    listing: dict[str, Entry],
    violations: list[Violation],
) -> list[FileChange]:
    """A change that moves the models folder: each head file against the same model's base file.

    A file whose blob is the base's is a pure move and is not read. A base model with no file in
    the new folder is a deletion, judged as one.
    """
    by_name: dict[str, list[tuple[str, Entry]]] = {}
    for path, entry in sorted((repo.tree(base, base_dir) if base else {}).items()):
        if classify(path, base_dir) == "model":
            by_name.setdefault(model_stem(path), []).append((path, entry))
    files: list[FileChange] = []
    matched: set[str] = set()
    for path, entry in sorted(listing.items()):
        kind = classify(path, head_dir)
        if kind != "model":
            problem = _stray(path, entry.mode, kind, head_dir)
            if problem:
                violations.append(problem)
            continue
        found = _same_model(path, by_name.get(model_stem(path), []))
        if found is None:
            files.append(FileChange(path, None, _parse(repo, path, entry)))
            continue
        base_path, base_entry = found
        matched.add(base_path)
        if entry.sha is not None and entry == base_entry:
            continue  # moved, not changed
        was = _parse(repo, base_path, base_entry)
        files.append(FileChange(path, was, _parse(repo, path, entry), base_path=base_path))
    for candidates in by_name.values():
        for path, entry in candidates:
            if path not in matched:
                files.append(FileChange(path, _parse(repo, path, entry), None, moved_to=head_dir))
    return files


def _same_model(path: str, candidates: list[tuple[str, Entry]]) -> tuple[str, Entry] | None:
    """The base's file of the model at `path`: the one with the same suffix, else any."""
    suffix = posixpath.splitext(path)[1]
    for candidate in candidates:
        if posixpath.splitext(candidate[0])[1] == suffix:
            return candidate
    return candidates[0] if candidates else None


def _head_listing(repo: GitRepo, target: Target, folder: str, changes: list[PathChange] | None) -> dict[str, Entry]:
    """Every entry under `folder` at the head: the base's, as the change (`changes`: its diff there) leaves them.

    An entry the change does not touch keeps the base's blob id, so an unchanged file is never read.
    """
    entries = repo.tree(target.base, folder) if target.base else {}
    for change in changes if changes is not None else repo.diff(target.base, target.head, [folder]):
        if change.head is None:
            entries.pop(change.path, None)
        else:
            entries[change.path] = change.head
    return entries


def _head_models(
    repo: GitRepo, paths: list[str], listing: dict[str, Entry], files: tuple[FileChange, ...]
) -> Iterator[ModelFile]:
    """The valid model files at these head paths, one per model name (reusing what was already read).

    Lazily: each is parsed, judged and dropped before the next, so memory stays flat.
    """
    read_already = {change.path: change.head for change in files}
    unread = iter(_parse_many(repo, [(path, listing[path]) for path in paths if path not in read_already]))
    names: set[str] = set()
    for path in paths:
        found = read_already[path] if path in read_already else next(unread)
        if isinstance(found, ModelFile) and found.name not in names:
            names.add(found.name)
            yield found


def _parse_many(repo: GitRepo, items: list[tuple[str, Entry]]) -> Iterator[Parsed]:
    for (path, _entry), content in zip(items, read_many(repo, items), strict=True):
        yield parse_model(path, content)


def _head_settings(repo: GitRepo, change: PathChange, violations: list[Violation]) -> _HeadSettings | None:
    """The change's own `stagectl.yaml` (deleted: the defaults). Invalid: its errors, and None."""
    if change.head is None:
        return _HeadSettings(Settings(), None)
    parsed, document = load_settings(read(repo, change.path, change.head))
    if isinstance(parsed, Rejected):
        violations.extend(parsed.violations)
        return None
    return _HeadSettings(parsed, document)


def _names_models_dir(head: _HeadSettings) -> bool:
    """Whether the file names a models folder of its own (the default `models` may wait for its first model)."""
    data = head.document.data if head.document is not None else None
    return isinstance(data, dict) and "models_dir" in data and head.settings.models_dir != DEFAULT_SETTINGS.models_dir


def _missing_folder(head: _HeadSettings, listing: dict[str, Entry]) -> list[Violation]:
    """A `models_dir` that names nothing: a typo there would otherwise check nothing, and pass."""
    if not _names_models_dir(head) or listing:
        return []
    assert head.document is not None
    folder = head.settings.models_dir
    line, column = head.document.position(("models_dir",))
    return [
        Violation(
            POLICY_FILE,
            line,
            column,
            "policy",
            f"models_dir names the folder {folder}/, which does not exist (nothing is in it): "
            "create it with the model files, or fix the path",
        )
    ]


def base_settings(repo: GitRepo, base: str | None) -> Settings:
    """The policy that judges a change: the base's. An invalid one means the change cannot be judged."""
    return policy_at(repo, base)[0]


def policy_at(repo: GitRepo, base: str | None) -> tuple[Settings, Entry | None]:
    """The settings at commit `base`, and the policy file's entry there (None: no file, or no commit)."""
    if base is None:
        return Settings(), None
    entry = repo.entries(base, [POLICY_FILE]).get(POLICY_FILE)
    return _settings(repo, base, entry), entry


def _settings(repo: GitRepo, base: str, entry: Entry | None) -> Settings:
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
    head: _HeadSettings | None = None
    if os.path.lexists(policy_path):
        parsed, document = load_settings(read_worktree(policy_path, POLICY_FILE))
        if isinstance(parsed, Rejected):
            violations.extend(parsed.violations)  # the files are judged under the defaults meanwhile
        else:
            settings = parsed
            head = _HeadSettings(parsed, document)
    entries = _walk(repo, settings.models_dir)
    if head is not None:
        violations.extend(_missing_folder(head, entries))
    return _collect_files(repo, settings, entries, lazy=True, found=tuple(violations))


def collect_commit(repo: GitRepo, rev: str) -> Collected:
    """Every model file at commit `rev`, each judged on its own: what apply and status read.

    An invalid `stagectl.yaml` at `rev` is a FatalError, as for a check's base.
    """
    settings = base_settings(repo, rev)
    return _collect_files(repo, settings, repo.tree(rev, settings.models_dir), lazy=False)


def _collect_files(
    repo: GitRepo, settings: Settings, entries: dict[str, Entry], lazy: bool, found: tuple[Violation, ...] = ()
) -> Collected:
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

    files = StandaloneFiles(repo, tuple(models), same_name([path for path, _ in models]))
    return Collected(settings, files if lazy else tuple(files), found + tuple(violations), len(models))


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


def _with_twins(repo: GitRepo, head: Head, files: list[FileChange]) -> tuple[FileChange, ...]:
    """Note changed model files that share a name with a sibling (fraud.yml, or Fraud.yaml, beside fraud.yaml).

    A sibling under the other suffix is looked up by its exact path. A sibling that differs only
    in case needs the folder's listing, read once and only when a model file is added: a file
    that was already there had its twins judged when one of them was added.
    """
    present = [c for c in files if c.head is not None and not isinstance(c.head, Rejected)]
    if not present:
        return tuple(files)
    found = set(repo.entries(head, sorted({p for c in present for p in _siblings(c.path)})))
    for folder in sorted({posixpath.dirname(c.path) for c in present if c.base is None}):
        found.update(_model_files_in(repo, head, folder))
    judged = {c.path for c in present}
    twins = same_name(found | judged)
    return tuple(
        replace(change, twins=twins[change.path]) if change.path in judged and twins.get(change.path) else change
        for change in files
    )


def same_name(paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Model files that declare one model: the same stem up to case, whatever the suffix.

    fraud.yaml, fraud.yml and Fraud.yaml are one name to a registry or a file system that ignores case.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for path in sorted(paths):
        groups.setdefault((posixpath.dirname(path), model_stem(path).casefold()), []).append(path)
    return {p: tuple(q for q in group if q != p) for group in groups.values() if len(group) > 1 for p in group}


def _model_files_in(repo: GitRepo, head: Head, folder: str) -> list[str]:
    """The model files directly in `folder` at `head` (a commit, INDEX or WORKTREE): one listing."""
    if head is WORKTREE:
        try:
            names = os.listdir(os.path.join(repo.root, folder))
        except OSError:
            return []
    elif head is INDEX:
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
