"""What plan / apply / diff / import share: read git, find and open the registry, run, report.

The commands call `execute` (or `import_models`); everything here is wiring between the pure core
(desired, plan, importer) and the edges (source: git; client: MLflow; report: the terminal).
"""

from __future__ import annotations

import os
from collections.abc import Mapping as EnvMapping
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from stagectl import ghactions
from stagectl.display import printable
from stagectl.errors import FatalError
from stagectl.gitio import GitRepo
from stagectl.model import ModelFile
from stagectl.parse import MODEL_SUFFIXES, NAME_PATTERN, check_name, parse_model
from stagectl.registry import location
from stagectl.registry.apply import ModelResult, apply_models, plan_models, read_models, reason
from stagectl.registry.client import Registry, quiet_mlflow, redact, shown
from stagectl.registry.importer import import_model
from stagectl.registry.judged import NEVER_BACKWARDS, Verdict, judge_all, read_head, unchanged
from stagectl.registry.mapping import TAG_APPLIED, Mapping
from stagectl.registry.plan import ModelPlan, Problem
from stagectl.registry.report import RegistryReport, markdown, write_json, write_text
from stagectl.registry.source import desired_from, head_commit, worktree_settings
from stagectl.registry.state import ActualModel, as_applied
from stagectl.report import plural

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
    path = location.sqlite_file(uri)
    if path is not None and not location.sqlite_exists(uri, path) and not create:
        return EmptyRegistry(uri)
    registry = Registry(uri)
    registry.probe()
    return registry


def execute(
    command: str,
    registry_flag: str | None,
    names: Sequence[str],
    fmt: str,
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """plan, apply or diff: the model files at HEAD, judged, against the registry. Returns the exit status."""
    for name in names:
        check_name(name)  # before git is read: `--model ..` is a bad argument, not a missing file
    with quiet_mlflow():
        return _execute(command, registry_flag, names, fmt, env, out, err, cwd)


def _execute(
    command: str,
    registry_flag: str | None,
    names: Sequence[str],
    fmt: str,
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None,
) -> int:
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
        mapping = Mapping.from_settings(settings)
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
        listing = not names or len(wanted) > FEW or command == "diff"
        states, unread, registered = read_state(registry, wanted, listing, workers)
        records = {
            name: state.tags[TAG_APPLIED] for name, state in states.items() if state and TAG_APPLIED in state.tags
        }
        same = unchanged(repo, view, records)  # applied, and the file unchanged since: no need to read it
        verdicts = judge_all(repo, view, records, [n for n in wanted if n in states and n not in same])
        desired = desired_from(repo, verdicts)
    for name in same:
        state = states[name]
        assert state is not None
        desired[name] = as_applied(state, view.files[name][0])
    held = {v.name: v for v in verdicts if v.name not in desired}
    models = [desired[name] for name in wanted if name in desired]
    known = {name: states[name] for name in desired}
    if command == "apply" and models and isinstance(registry, EmptyRegistry):
        registry = connect(uri, create=True)
    if command == "apply":
        assert isinstance(registry, Registry) or not models
        results = apply_models(registry, models, mapping, workers, known) if models else []  # type: ignore[arg-type]
    else:
        results = plan_models(registry, models, mapping, workers, known)
    by_name = {v.name: v for v in verdicts}
    results = [
        _with_verdict(result, by_name[result.model]) if result.model in by_name else result for result in results
    ]
    results += [_held(v) for v in held.values()]
    results += [ModelResult(name, ModelPlan(name), errors=(problem,)) for name, problem in unread.items()]
    results.sort(key=lambda r: r.model)
    unmanaged: tuple[str, ...] = ()
    if command == "diff" and not names:
        unmanaged = tuple(sorted(registered - set(view.files)))
    invalid = sorted({v.name for v in held.values() if v.record is None and v.refusals})
    if invalid:
        err.write(
            f"stagectl: the model files at HEAD ({head[:12]}) of {', '.join(map(printable, invalid))} do not "
            f"validate, so there is nothing to {command} for {'it' if len(invalid) == 1 else 'them'}: fix them "
            "(`stagectl check --all` shows the same errors)\n"
        )
    report = RegistryReport(
        command,
        redact(uri),
        head,
        results,
        unmanaged=unmanaged,
        writes=registry.writes if command == "apply" else None,
        problems=tuple(Problem("", None, f"{v.file}: {v.message}", v.rule) for v in view.strays),
    )
    (write_json if fmt == "json" else write_text)(report, out)
    _step_summary(env, markdown(report))
    return report.exit_code()


FEW = 20  # models named with --model up to which each is read on its own rather than listing them all


def read_state(
    registry: Registry | EmptyRegistry, wanted: Sequence[str], listing: bool, workers: int
) -> tuple[dict[str, ActualModel | None], dict[str, Problem], set[str]]:
    """The registry's state of the models wanted (None: not registered), the models it could not be
    read for, and the names of every registered model (with `listing`; else those wanted).

    With `listing`, a handful of requests for any number of models: paged listings of every model
    and of every version. Without, each model is read on its own (a few named on the command line).
    """
    if not listing:
        states, unread = read_models(registry, wanted, workers)
        return states, unread, set(wanted)
    try:
        everything = registry.read_all()
    except Exception as error:
        message = f"cannot read it from the registry: {reason(error)}"
        return {}, {name: Problem(name, None, message) for name in wanted}, set()
    return {name: everything.get(name) for name in wanted}, {}, set(everything)


def _with_verdict(result: ModelResult, verdict: Verdict) -> ModelResult:
    """A model applied as far as its accepted commit, with the refusal of any later step."""
    return replace(result, refusals=refusal_problems(verdict)) if verdict.refusals or verdict.messages else result


def _held(verdict: Verdict) -> ModelResult:
    """A model nothing of which may be written: its file refused on its own, or its record ahead of HEAD."""
    return ModelResult(verdict.name, ModelPlan(verdict.name), refusals=refusal_problems(verdict))


def refusal_problems(verdict: Verdict) -> tuple[Problem, ...]:
    name = verdict.name
    if verdict.record is None:
        held = f"{name} gets no writes until its file passes `stagectl check --all`"
    elif verdict.commit is None:
        held = ""
    else:
        where = f"commit {verdict.refused_at[:12]} is refused, so " if verdict.refused_at else ""
        held = f"{where}{name} stays as applied from {verdict.commit[:12]}: fix it in a new commit"
    problems = [
        Problem(name, v.version, f"{v.file}:{v.line}:{v.column}: {v.rule}: {v.message} ({held})", v.rule)
        for v in verdict.refusals
    ]
    rule = NEVER_BACKWARDS if verdict.commit is None and verdict.record is not None else "policy"
    problems += [Problem(name, None, message, rule) for message in verdict.messages]
    return tuple(problems)


def _step_summary(env: EnvMapping[str, str], text: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if not (ghactions.in_actions(env) and path):
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise FatalError(f"cannot write the step summary {path}: {error.strerror}") from None


def import_models(
    registry_flag: str | None,
    names: Sequence[str],
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None = None,
) -> int:
    """Write a model file for each registered model (or those named) that has none yet."""
    for name in names:
        check_name(name)  # a name asked for that cannot be a file name is a bad argument, as for `new`
    with quiet_mlflow():
        return _import(registry_flag, names, env, out, err, cwd)


def _import(
    registry_flag: str | None,
    names: Sequence[str],
    env: EnvMapping[str, str],
    out: TextIO,
    err: TextIO,
    cwd: str | None,
) -> int:
    root, settings = worktree_settings(cwd)
    uri = location.resolve(registry_flag, env, settings.registry, root)
    registry = connect(uri, create=False)
    if isinstance(registry, EmptyRegistry):
        raise FatalError(f"there is no registry at {shown(uri)}: pass --registry or set MLFLOW_TRACKING_URI")
    registered = [] if names else registry.model_names()
    mapping = Mapping.from_settings(settings.registry)
    models_dir = os.path.join(root, settings.models_dir)
    schema = os.path.join(root, "schemas", "model.schema.json")
    schema_ref = os.path.relpath(schema, models_dir).replace(os.sep, "/") if os.path.exists(schema) else None
    failed = 0
    written = 0
    for name in names or registered:
        rel = f"{settings.models_dir}/{name}.yaml"
        if not NAME_PATTERN.fullmatch(name) or ".." in name:
            err.write(f"stagectl: {name!r} cannot be a model file name (letters, digits, . _ -): not imported\n")
            failed += 1
            continue
        existing = [
            f"{settings.models_dir}/{name}{s}"
            for s in MODEL_SUFFIXES
            if os.path.exists(os.path.join(models_dir, name + s))
        ]
        if existing:
            out.write(f"{existing[0]} exists: left as it is (delete it to import {name} again)\n")
            continue
        actual = registry.read(name)
        if actual is None:  # asked for by name: not done, like a write apply could not make (exit 1)
            err.write(f"stagectl: no registered model {name!r} in {shown(uri)}: not imported\n")
            failed += 1
            continue
        imported = import_model(actual, mapping, schema_ref)
        parsed = parse_model(rel, imported.text.encode("utf-8"))
        if not isinstance(parsed, ModelFile):
            first = parsed.violations[0]
            err.write(f"stagectl: {name} cannot be written as a valid model file: {first.message} (not imported)\n")
            failed += 1
            continue
        os.makedirs(models_dir, exist_ok=True)
        with open(os.path.join(models_dir, f"{name}.yaml"), "x", encoding="utf-8") as handle:
            handle.write(imported.text)
        written += 1
        counts = ", ".join(f"{n} {s}" for s, n in _count(imported.stages).items())
        out.write(f"wrote {rel} ({plural(len(imported.stages), 'version')}{': ' + counts if counts else ''})\n")
        for note in imported.notes:
            out.write(f"  note: {note}\n")
    out.write(
        f"imported {written} of {len(names or registered)} models into {settings.models_dir}/"
        + (f"; next: git add {settings.models_dir} && git commit, then stagectl plan\n" if written else "\n")
    )
    return 1 if failed else 0


def _count(stages: dict[int, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for stage in ("production", "staging", "none", "archived"):
        n = sum(1 for s in stages.values() if s == stage)
        if n:
            found[stage] = n
    return found
