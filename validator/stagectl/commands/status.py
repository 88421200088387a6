"""`stagectl status`: every model's versions and stages at a commit (HEAD by default), production first."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TextIO

from stagectl.core.model import ModelFile, Rejected
from stagectl.core.stage import Stage
from stagectl.display import markdown_code, printable
from stagectl.errors import FatalError
from stagectl.gitrepo.collect import collect_commit
from stagectl.gitrepo.gitio import GitRepo
from stagectl.load.parse import check_name
from stagectl.report import Output
from stagectl.report.text import BOLD, DIM, RESET, use_colour

STAGE_COLOUR = {Stage.PRODUCTION: "\033[32m", Stage.STAGING: "\033[33m", Stage.NONE: "", Stage.ARCHIVED: DIM}


def run(
    name: str | None, stage: str | None, ref: str | None, fmt: str, env: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    if name is not None:
        check_name(name)
    with GitRepo.discover() as repo:
        sha = repo.commit("HEAD" if ref is None else ref)
        if sha is None:
            raise FatalError(
                f"{ref!r} is not a commit in this repository" if ref else "this repository has no commits yet"
            )
        collected = collect_commit(repo, sha)
    models = [file.head for file in collected.files if isinstance(file.head, ModelFile)]
    for unreadable in (file for file in collected.files if isinstance(file.head, Rejected)):
        err.write(f"stagectl: warning: {printable(unreadable.path)} does not pass check at {sha[:12]}: left out\n")
    if name is not None:
        models = [m for m in models if m.name == name]
        if not models:
            raise FatalError(f"there is no model {name!r} at {sha[:12]}")
    rows = table(models, stage)
    if fmt == "json":
        document = {
            "ref": sha,
            "models": [
                {"name": model, "versions": [{"version": v, "stage": s} for v, s in versions]}
                for model, versions in rows
            ],
        }
        out.write(json.dumps(document, indent=2) + "\n")
    elif fmt == "markdown":
        out.write(markdown_table(rows, sha, stage))
    elif out.isatty():  # a table for people; NO_COLOR takes the colour away, not the table
        _print_terminal(rows, out, use_colour(Output(out, err, env)))
    else:
        for model, versions in rows:
            for version, version_stage in versions:
                out.write(f"{model}\t{version}\t{version_stage}\n")
    return 0


def table(models: list[ModelFile], stage: str | None) -> list[tuple[str, list[tuple[int, Stage]]]]:
    """(model, [(version, stage)…]) sorted by name; versions production first, newest first within a stage.

    With a stage filter, only models with a version in that stage.
    """
    rows = []
    for model in sorted(models, key=lambda m: m.name):
        versions = sorted(
            ((v.number, v.stage) for v in model.by_number().values()), key=lambda vs: (Stage(vs[1]).prominence, -vs[0])
        )
        if stage is not None:
            versions = [vs for vs in versions if vs[1] == stage]
        if versions or stage is None:  # a model with no versions yet is still a model
            rows.append((model.name, versions))
    return rows


def markdown_table(rows: list[tuple[str, list[tuple[int, Stage]]]], sha: str, stage: str | None) -> str:
    """One row per model, one column per stage (versions newest first): for job summaries and wikis."""
    columns = [stage] if stage else list(Stage.by_prominence())
    lines = [f"**stagectl status** at `{sha[:12]}`", ""]
    if not rows:
        return "\n".join([*lines, "No models" + (f" with a version in {stage}." if stage else "."), ""]) + "\n"
    lines += ["| model | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for model, versions in rows:
        found = {column: ", ".join(str(v) for v, s in versions if s == column) for column in columns}
        shown = [f"**{found[c]}**" if c == Stage.PRODUCTION and found[c] else found[c] or "–" for c in columns]
        lines.append(f"| {markdown_code(model)} | " + " | ".join(shown) + " |")
    return "\n".join(lines) + "\n\n"


def _print_terminal(rows: list[tuple[str, list[tuple[int, Stage]]]], out: TextIO, colour: bool) -> None:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if colour and code else text

    width = max([len("MODEL"), *(len(model) for model, _ in rows)])
    out.write(paint(BOLD, f"{'MODEL':<{width}}  VERSION  STAGE") + "\n")
    for model, versions in rows:
        if not versions:
            out.write(f"{model:<{width}}  {'-':>7}  {paint(DIM, 'no versions yet')}\n")
        for n, (version, stage) in enumerate(versions):
            shown = model if n == 0 else ""
            out.write(f"{shown:<{width}}  {version:>7}  {paint(STAGE_COLOUR[stage], stage)}\n")
