"""What apply may write: each model's change since the commit the registry last took it from, judged.

The registry records, per model, the commit it was last applied from (`stagectl.applied`). Apply
judges the change from there to HEAD with every rule, one first-parent step at a time — each step
as `check --base <its parent> --head <it>` judges it: under the policy at its parent, with the
history up to it, soak time counted to its commit time. A refused step leaves the model where it
was, and the steps after it are judged from there (the last accepted content), so a fix commit
lets the model move on. A model with no record yet is judged on its own, as `check --all` judges
a file. A record that is not an ancestor of HEAD (a re-run of an old workflow, a stale checkout)
refuses the model: the registry never goes backwards.

Git is read here (the rules themselves stay pure: `judge`); MLflow is not.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stagectl.core.events import parse_date
from stagectl.core.judge import FileChange, judge
from stagectl.core.model import ModelFile, Parsed, Rejected, Violation, model_stem
from stagectl.core.policy import POLICY_FILE, Settings
from stagectl.display import printable
from stagectl.errors import FatalError
from stagectl.gitrepo.collect import classify
from stagectl.gitrepo.contents import read
from stagectl.gitrepo.gitio import Entry, GitRepo, literal
from stagectl.gitrepo.stagelog import GitHistory
from stagectl.gitrepo.stagetrack import stages_of
from stagectl.load.parse import MODEL_SUFFIXES, parse_model, parse_settings

NEVER_BACKWARDS = "never-backwards"  # the rule id of a refusal to take the registry back to an older commit
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class Snapshot:
    """A model's file at one commit: where it is, its blob, and what it parses to (None: no file)."""

    path: str
    blob: str | None
    parsed: Parsed | None
    twins: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeadView:
    """HEAD's settings and model files, listed without reading them."""

    head: str
    settings: Settings
    files: Mapping[str, tuple[str, Entry]]  # model name -> its file at HEAD
    twins: Mapping[str, tuple[str, ...]]  # model name -> its other files (fraud.yml beside fraud.yaml)
    strays: tuple[Violation, ...] = ()  # files in the models folder that are not model files


@dataclass(frozen=True)
class Verdict:
    """What the registry may hold of one model after this apply."""

    name: str
    accepted: ModelFile | None  # the content it may hold; None: nothing of the model may be written
    commit: str | None  # the commit `accepted` is from: what `stagectl.applied` records afterwards
    refusals: tuple[Violation, ...] = ()  # why the latest step (or the file on its own) was refused
    refused_at: str | None = None  # the refused step's commit (None: the file judged on its own, or backwards)
    record: str | None = None  # the commit recorded before this apply
    messages: tuple[str, ...] = field(default=())  # refusals that point at no file line (backwards, policy)
    baseline: Mapping[int, str] = field(default_factory=dict)  # stages at the record: what the registry last took
    # The commit that deleted the model's file, when the rules let it go: the registry takes the
    # content before it (`accepted`), records this commit, and is left alone from then on.
    removed_at: str | None = None


def read_head(repo: GitRepo, head: str) -> HeadView:
    """HEAD's settings (an invalid `stagectl.yaml` there holds back everything: exit 2) and model files."""
    settings = settings_at(repo, head)
    if isinstance(settings, Rejected):
        first = settings.violations[0]
        raise FatalError(
            f"{POLICY_FILE} at HEAD ({head[:12]}) is invalid, so nothing can be applied: "
            f"line {first.line}: {first.message} (fix it in a new commit)"
        )
    files: dict[str, list[tuple[str, Entry]]] = {}
    strays: list[Violation] = []
    for path, entry in sorted(repo.tree(head, settings.models_dir).items()):
        kind = classify(path, settings.models_dir)
        if kind == "model":
            files.setdefault(model_stem(path), []).append((path, entry))
        elif kind == "nested":
            strays.append(
                Violation(
                    path,
                    1,
                    1,
                    "file-type",
                    f"{path} is in a subfolder: model files live directly in {settings.models_dir}/ "
                    "(move it there, or it is never applied)",
                )
            )
    return HeadView(
        head,
        settings,
        {name: found[0] for name, found in files.items()},
        {name: tuple(p for p, _ in found[1:]) for name, found in files.items() if len(found) > 1},
        tuple(strays),
    )


def settings_at(repo: GitRepo, commit: str | None) -> Settings | Rejected:
    if commit is None:
        return Settings()
    entry = repo.entries(commit, [POLICY_FILE]).get(POLICY_FILE)
    return parse_settings(read(repo, POLICY_FILE, entry) if entry else None)


class Judge:
    """Judges models for one apply, caching what several models' steps share (settings per commit)."""

    def __init__(self, repo: GitRepo, view: HeadView) -> None:
        self._repo = repo
        self._view = view
        self._settings: dict[str | None, Settings | Rejected] = {view.head: view.settings}

    def verdict(self, name: str, record: str | None) -> Verdict:
        """Judge one model from its recorded commit (None: no record) to HEAD."""
        head = self._view.head
        if record is None:
            return self._standalone(name)
        if record == head:
            return Verdict(name, self._head_file(name), head, record=record)  # judged when it was applied
        if not _COMMIT_ID.fullmatch(record) or not self._repo.is_ancestor(record, head):
            shown = printable(record[:12])
            message = (
                f"the registry holds {name} as applied from commit {shown}, which is not an ancestor of "
                f"HEAD ({head[:12]}): applying this checkout would take {name} back to an older state, so it is "
                "left untouched (an old workflow run re-run, or a stale checkout?); to go back, make a new "
                "commit (a revert) and apply that"
            )
            return Verdict(name, None, None, record=record, messages=(message,))
        return self._steps(name, record)

    def _standalone(self, name: str) -> Verdict:
        """No record yet: the file at HEAD on its own, as `check --all` judges it."""
        path, entry = self._view.files[name]
        parsed = parse_model(path, read(self._repo, path, entry))
        change = FileChange(path, None, parsed, self._view.twins.get(name, ()))
        found = judge([change], self._view.settings.policy, standalone=True)
        if found or not isinstance(parsed, ModelFile):
            return Verdict(name, None, None, tuple(found))
        return Verdict(name, parsed, self._view.head)

    def _head_file(self, name: str) -> ModelFile | None:
        if name not in self._view.files:
            return None
        path, entry = self._view.files[name]
        parsed = parse_model(path, read(self._repo, path, entry))
        return parsed if isinstance(parsed, ModelFile) else None

    def _steps(self, name: str, record: str) -> Verdict:
        head = self._view.head
        repo = self._repo
        recorded = self._settings_at(record)
        if isinstance(recorded, Rejected):
            recorded = self._view.settings  # it was valid when applied; only its models folder matters here
        accepted = start = self._snapshot(record, name, recorded.models_dir)
        accepted_commit = record
        dirs = sorted({recorded.models_dir, self._view.settings.models_dir})
        paths = [POLICY_FILE, *(posixpath.join(d, name + s) for d in dirs for s in MODEL_SUFFIXES)]
        refusals: tuple[Violation, ...] = ()
        messages: tuple[str, ...] = ()
        refused_at: str | None = None
        removed_at: str | None = None
        for step, parent, committed in repo.first_parent_steps(record, head, paths):
            base_settings = self._settings_at(parent)
            step_settings = self._settings_at(step)
            models_dir = (step_settings if isinstance(step_settings, Settings) else recorded).models_dir
            now = self._snapshot(step, name, models_dir)
            if isinstance(base_settings, Rejected) or isinstance(step_settings, Rejected):
                refused_at, refusals = step, ()
                at = parent if isinstance(base_settings, Rejected) else step
                messages = (
                    f"{POLICY_FILE} at {(at or '')[:12]} is invalid, so commit {step[:12]} cannot be judged; "
                    f"{name} stays as applied from {accepted_commit[:12]} until a later commit is judged",
                )
                continue
            gone = removed_at is not None or accepted.blob is None
            if now.blob is None if gone else (now.blob, now.twins) == (accepted.blob, accepted.twins):
                continue  # the model's file did not change (a policy change, or a change undone)
            if now.blob is None:  # deleted: judged as `check` judges a deletion (model-removed)
                change = FileChange(accepted.path, accepted.parsed, None)
            else:  # a file deleted earlier and added again is a new model file, as `check` sees it
                change = FileChange(now.path, None if gone else accepted.parsed, now.parsed, now.twins)
            history = GitHistory(repo, parent, now=parse_date(committed))
            found = judge([change], base_settings.policy, history)
            if found:
                refused_at, refusals, messages = step, tuple(found), ()
                continue
            if now.blob is None:
                removed_at = step  # the registry keeps the content before the deletion
            else:
                accepted, accepted_commit, removed_at = now, step, None
            refused_at, refusals, messages = None, (), ()
        content = accepted.parsed if isinstance(accepted.parsed, ModelFile) else None
        baseline = stages_of(start.parsed.document.data) if isinstance(start.parsed, ModelFile) else {}
        return Verdict(name, content, accepted_commit, refusals, refused_at, record, messages, baseline, removed_at)

    def _settings_at(self, commit: str | None) -> Settings | Rejected:
        if commit not in self._settings:
            self._settings[commit] = settings_at(self._repo, commit)
        return self._settings[commit]

    def _snapshot(self, commit: str, name: str, models_dir: str) -> Snapshot:
        candidates = [posixpath.join(models_dir, name + suffix) for suffix in MODEL_SUFFIXES]
        found = self._repo.entries(commit, candidates)
        present = [p for p in candidates if p in found]
        if not present:
            return Snapshot(candidates[0], None, None)
        path = present[0]
        entry = found[path]
        return Snapshot(path, entry.sha, parse_model(path, read(self._repo, path, entry)), tuple(present[1:]))


def unchanged(repo: GitRepo, view: HeadView, records: Mapping[str, str]) -> set[str]:
    """The models whose file at HEAD is the one at their recorded commit (a record that is HEAD's
    ancestor). Git lists what changed once for all of them: one `git log --name-only` along HEAD's
    first parents back to the oldest record, and a `git diff` for a record off that line."""
    head, models_dir = view.head, view.settings.models_dir
    wanted = {name: record for name, record in records.items() if _COMMIT_ID.fullmatch(record)}
    same = {name for name, record in wanted.items() if record == head}
    line = {sha: index for index, sha in enumerate(repo.run("rev-list", "--first-parent", head).decode().split())}
    on_line = {name: line[record] for name, record in wanted.items() if record in line and name not in same}
    if on_line:
        oldest = max(on_line, key=lambda name: on_line[name])
        out = repo.run(
            "log", "--first-parent", "--diff-merges=first-parent", "--no-renames", "--name-only", "-z",
            "--format=%x1e%H", f"{wanted[oldest]}..{head}", "--", *literal([models_dir, POLICY_FILE]),
        )  # fmt: skip
        newest: dict[str, int] = {}  # model name -> line index of the newest commit that touched its file
        moved = False
        for chunk in out.split(b"\x1e")[1:]:
            sha, *paths = chunk.split(b"\0")
            for raw in paths:
                path = raw.lstrip(b"\n").decode("utf-8", "surrogateescape")
                if path == POLICY_FILE:
                    moved = moved or _moves_models(repo, sha.decode())
                elif path and classify(path, models_dir) == "model":
                    newest.setdefault(model_stem(path), line[sha.decode()])
        if not moved:  # the models folder moved: every file did, so no model counts as unchanged
            same |= {name for name, index in on_line.items() if newest.get(name, index) >= index}
    for name, record in wanted.items():
        if name in same or name in on_line or not repo.is_ancestor(record, head):
            continue
        if isinstance(settings := settings_at(repo, record), Rejected) or settings.models_dir != models_dir:
            continue
        out = repo.run("diff", "--name-only", "-z", "--no-renames", record, head, "--", *literal([models_dir]))
        if not {model_stem(p) for p in out.decode("utf-8", "surrogateescape").split("\0") if p} & {name}:
            same.add(name)
    return same


def removed(repo: GitRepo, view: HeadView, records: Mapping[str, str]) -> list[str]:
    """The models whose file is gone at HEAD and whose record is a commit on HEAD's first-parent
    line: applied from this branch, then deleted. A registry may be shared by several repositories,
    so a model recorded from a commit that is not on this line is someone else's: left alone."""
    gone = {name: record for name, record in records.items() if name not in view.files}
    if not gone:
        return []
    line = set(repo.run("rev-list", "--first-parent", view.head).decode().split())
    return sorted(name for name, record in gone.items() if record in line)


def _moves_models(repo: GitRepo, commit: str) -> bool:
    """Whether `commit` changed the models folder stagectl.yaml names (every model's file moves with it)."""
    before, after = settings_at(repo, repo.first_parent(commit)), settings_at(repo, commit)
    return not (isinstance(before, Settings) and isinstance(after, Settings)) or before.models_dir != after.models_dir


def judge_all(repo: GitRepo, view: HeadView, records: Mapping[str, str | None], names: Sequence[str]) -> list[Verdict]:
    judge_ = Judge(repo, view)
    return [judge_.verdict(name, records.get(name)) for name in names]
