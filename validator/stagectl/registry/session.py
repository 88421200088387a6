"""What plan / apply / diff share: read git, find and open the registry, judge, run, report.

One function per command (`plan`, `diff`, `apply`) over one set-up (`prepare`), each in the
scope that bounds MLflow and puts the process back afterwards (`quiet_mlflow`). Everything here is
wiring between the pure core (desired, plan) and the edges (judged, source: git; client: MLflow;
report: the terminal). `import` is commands/importer.py: it only writes files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from collections.abc import Mapping as EnvMapping
from dataclasses import dataclass, replace
from typing import TextIO

from stagectl.core.aliases import TAG_APPLIED, AliasMapping
from stagectl.display import printable
from stagectl.errors import FatalError
from stagectl.github import actions as ghactions
from stagectl.gitrepo.gitio import GitRepo
from stagectl.gitrepo.stagelog import timelines
from stagectl.load.parse import check_name
from stagectl.registry import location
from stagectl.registry.client import Registry, hide_secrets_of, quiet_mlflow, redact
from stagectl.registry.desired import DesiredModel
from stagectl.registry.judged import NEVER_BACKWARDS, Verdict, judge_all, read_head, removed, unchanged
from stagectl.registry.reconcile import ModelMessage, ModelPlan
from stagectl.registry.report import (
    ApplyReport,
    DiffReport,
    PlanReport,
    RegistryReport,
    markdown,
    write_json,
    write_text,
)
from stagectl.registry.rollout import ModelResult, apply_models, plan_models, read_models, reason
from stagectl.registry.source import desired_from, head_commit
from stagectl.registry.state import ActualModel, as_applied

STAGES_NOTICE = (
    "registry.mode: stages also sets MLflow's model stages, which MLflow deprecated in 2.9 in favour of "
    "aliases (stagectl sets the aliases as well)"
)


class EmptyRegistry:
    """A sqlite registry file that does not exist yet: plan and diff read it as empty, creating nothing."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.writes = 0

    def read(self, name: str) -> ActualModel | None:
        return None

    def model_names(self) -> list[str]:
        return []

    def read_all(self) -> dict[str, ActualModel]:
        return {}


def connect(uri: str, create: bool) -> Registry | EmptyRegistry:
    """The registry at `uri`, checked to answer; for a missing (or empty) sqlite file, EmptyRegistry
    unless `create`. A sqlite path that cannot be a registry is refused before MLflow opens it."""
    hide_secrets_of(uri)  # for the rest of the command's scope (quiet_mlflow)
    path = location.sqlite_file(uri)
    if path is not None and not location.sqlite_exists(uri, path) and not create:
        return EmptyRegistry(uri)
    registry = Registry(uri)
    registry.probe()
    return registry


@dataclass
class Setup:
    """What plan, apply and diff share: the models at HEAD, judged, beside the registry's state."""

    uri: str
    registry: Registry | EmptyRegistry
    head: str
    mapping: AliasMapping
    workers: int
    models: list[DesiredModel]  # what may be written of each model, as far as the rules allow
    known: dict[str, ActualModel | None]  # their state, just read
    verdicts: dict[str, Verdict]
    others: list[ModelResult]  # models held back whole (refused, or not readable): nothing to plan
    registered: set[str]
    files: set[str]  # the model names with a file at HEAD
    problems: tuple[ModelMessage, ...]  # errors of no model (stray files)
    invalid: list[str]  # models whose file does not validate on its own

    def results(self, results: Sequence[ModelResult]) -> list[ModelResult]:
        """Every model's result, by name: those planned (with the rules' refusals) and those held back whole."""
        judged = [
            replace(r, refusals=refusal_problems(self.verdicts[r.model])) if self._refused(r) else r for r in results
        ]
        return sorted([*judged, *self.others], key=lambda r: r.model)

    def _refused(self, result: ModelResult) -> bool:
        verdict = self.verdicts.get(result.model)
        return verdict is not None and bool(verdict.refusals or verdict.messages)


def plan(
    registry_flag: str | None,
    names: Sequence[str],
    fmt: str,
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """What apply would write, in order; writes nothing."""
    with _scope(names):
        setup = prepare("plan", registry_flag, names, env, err, cwd, listing=False)
        results = plan_models(setup.registry, setup.models, setup.mapping, setup.workers, setup.known)
        report = PlanReport(redact(setup.uri), setup.head, setup.results(results), problems=setup.problems)
        return emit(report, fmt, env, out, err)


def diff(
    registry_flag: str | None,
    names: Sequence[str],
    fmt: str,
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """What in the registry differs from git: the same plan, and the registered models with no file."""
    with _scope(names):
        setup = prepare("diff", registry_flag, names, env, err, cwd, listing=True)
        results = plan_models(setup.registry, setup.models, setup.mapping, setup.workers, setup.known)
        unmanaged = () if names else tuple(sorted(setup.registered - setup.files))
        report = DiffReport(
            redact(setup.uri), setup.head, setup.results(results), unmanaged=unmanaged, problems=setup.problems
        )
        return emit(report, fmt, env, out, err)


def apply(
    registry_flag: str | None,
    names: Sequence[str],
    fmt: str,
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """Read → judge → plan → (lease) → write, per model; the registry is created only when written to."""
    with _scope(names):
        setup = prepare("apply", registry_flag, names, env, err, cwd, listing=False)
        if setup.models and isinstance(setup.registry, EmptyRegistry):
            setup.registry = connect(setup.uri, create=True)
        registry = setup.registry
        results = (
            apply_models(registry, setup.models, setup.mapping, setup.workers, setup.known)
            if isinstance(registry, Registry)
            else []
        )
        report = ApplyReport(
            redact(setup.uri), setup.head, setup.results(results), writes=registry.writes, problems=setup.problems
        )
        if _summary_path(env):  # the job summary draws each model written to: one `git log` of each
            paths = {m.name: m.path for m in setup.models}
            written = {r.model: paths[r.model] for r in results if r.done and r.model in paths}
            with GitRepo.discover(cwd) as repo:
                report = replace(report, timelines=timelines(repo, setup.head, written))
        return emit(report, fmt, env, out, err)


@contextlib.contextmanager
def _scope(names: Sequence[str]) -> Iterator[None]:
    for name in names:
        check_name(name)  # before git is read: `--model ..` is a bad argument, not a missing file
    with quiet_mlflow():
        yield


def emit(report: RegistryReport, fmt: str, env: EnvMapping[str, str], out: TextIO, err: TextIO) -> int:
    (write_json if fmt == "json" else write_text)(report, out)
    path = _summary_path(env)
    if path is not None:
        ghactions.append_step_summary(path, markdown(report), err)
    return report.exit_code()


def prepare(
    verb: str,
    registry_flag: str | None,
    names: Sequence[str],
    env: EnvMapping[str, str],
    err: TextIO,
    cwd: str | None,
    listing: bool,
) -> Setup:
    """Read HEAD and the registry, and judge each model's change since its recorded commit.

    `verb`: the command's, for the one line that says which model files hold themselves back."""
    with GitRepo.discover(cwd) as repo:
        head = head_commit(repo)
        view = read_head(repo, head)
        unknown = [n for n in names if n not in view.files]
        if unknown:
            raise FatalError(
                f"no model file for {', '.join(unknown)} at HEAD in {view.settings.models_dir}/ "
                "(--model takes a model name; `stagectl import` writes files for registered models)"
            )
        wanted = sorted(set(names)) if names else sorted(view.files)
        settings = view.settings.registry
        mapping = AliasMapping.from_settings(settings)
        if mapping.production_alias == mapping.staging_alias:
            raise FatalError(
                f"registry.aliases in stagectl.yaml gives production and staging the same alias "
                f"{mapping.production_alias!r}: give them different names"
            )
        uri = location.resolve(registry_flag, env, settings, repo.root)
        registry = connect(uri, create=False)
        for notice in (STAGES_NOTICE,) if mapping.stages else ():
            err.write(f"stagectl: note: {notice}\n")
        workers = location.workers_for(uri)
        listing = listing or not names or len(wanted) > FEW
        states, unread, registered = read_state(registry, wanted, listing, workers, removed_too=not names)
        records = {
            name: state.tags[TAG_APPLIED] for name, state in states.items() if state and TAG_APPLIED in state.tags
        }
        # A model applied from this branch whose file is gone: its removal is judged (model-removed),
        # unless the file was gone at the record already (a removal applied before): left alone then.
        gone = removed(repo, view, records)
        records = {name: record for name, record in records.items() if name in view.files or name in gone}
        same = unchanged(repo, view, records)  # applied, and the file unchanged since: no need to read it
        gone = [name for name in gone if name not in same]
        wanted = [*wanted, *gone]
        verdicts = judge_all(repo, view, records, [n for n in wanted if n in states and n not in same])
        desired = desired_from(repo, verdicts)
    for name in same & set(view.files):
        state = states[name]
        assert state is not None
        desired[name] = as_applied(state, view.files[name][0])
    held = [v for v in verdicts if v.name not in desired]
    others = [ModelResult(v.name, ModelPlan(v.name), refusals=refusal_problems(v)) for v in held]
    others += [ModelResult(name, ModelPlan(name), errors=(problem,)) for name, problem in unread.items()]
    invalid = sorted({v.name for v in held if v.record is None and v.refusals})
    if invalid:
        err.write(
            f"stagectl: the model files at HEAD ({head[:12]}) of {', '.join(map(printable, invalid))} do not "
            f"validate, so there is nothing to {verb} for {'it' if len(invalid) == 1 else 'them'}: fix them "
            "(`stagectl check --all` shows the same errors)\n"
        )
    return Setup(
        uri,
        registry,
        head,
        mapping,
        workers,
        [desired[name] for name in wanted if name in desired],
        {name: states[name] for name in desired},
        {v.name: v for v in verdicts},
        others,
        registered,
        set(view.files) | set(gone),
        tuple(ModelMessage("", None, f"{v.file}: {v.message}", v.rule) for v in view.strays),
        invalid,
    )


FEW = 20  # models named with --model up to which each is read on its own rather than listing them all


def read_state(
    registry: Registry | EmptyRegistry, wanted: Sequence[str], listing: bool, workers: int, removed_too: bool = False
) -> tuple[dict[str, ActualModel | None], dict[str, ModelMessage], set[str]]:
    """The registry's state of the models wanted (None: not registered), the models it could not be
    read for, and the names of every registered model (with `listing`; else those wanted).
    `removed_too`: also every other model that stagectl applied (it has a `stagectl.applied` record).

    With `listing`, a handful of requests for any number of models: paged listings of every model
    and of every version. Without, each model is read on its own (a few named on the command line).
    """
    if not listing:
        read, unread = read_models(registry, wanted, workers)
        return read, unread, set(wanted)
    try:
        everything = registry.read_all()
    except Exception as error:
        message = f"cannot read it from the registry: {reason(error)}"
        return {}, {name: ModelMessage(name, None, message) for name in wanted}, set()
    states: dict[str, ActualModel | None] = {name: everything.get(name) for name in wanted}
    if removed_too:
        states |= {name: state for name, state in everything.items() if TAG_APPLIED in state.tags}
    return states, {}, set(everything)


def refusal_problems(verdict: Verdict) -> tuple[ModelMessage, ...]:
    name = verdict.name
    if verdict.record is None:
        held = f"{name} gets no writes until its file passes `stagectl check --all`"
    elif verdict.commit is None:
        held = ""
    else:
        where = f"commit {verdict.refused_at[:12]} is refused, so " if verdict.refused_at else ""
        held = f"{where}{name} stays as applied from {verdict.commit[:12]}: fix it in a new commit"
    problems = [
        ModelMessage(name, v.version, f"{v.file}:{v.line}:{v.column}: {v.rule}: {v.message} ({held})", v.rule)
        for v in verdict.refusals
    ]
    rule = NEVER_BACKWARDS if verdict.commit is None and verdict.record is not None else "policy"
    problems += [ModelMessage(name, None, message, rule) for message in verdict.messages]
    return tuple(problems)


def _summary_path(env: EnvMapping[str, str]) -> str | None:
    """$GITHUB_STEP_SUMMARY inside GitHub Actions, else None."""
    path = env.get("GITHUB_STEP_SUMMARY")
    return path if ghactions.in_actions(env) and path else None
