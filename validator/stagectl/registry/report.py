"""Print what plan / apply / diff found: text for people, one JSON object for tools, markdown for Actions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TextIO

from stagectl.display import json_text, markdown_code, printable
from stagectl.display import markdown as md
from stagectl.registry import location
from stagectl.registry.reconcile import ModelMessage
from stagectl.registry.rollout import ModelResult
from stagectl.registry.writes import Action
from stagectl.report import fit_summary, plural


@dataclass(frozen=True)
class RegistryReport:
    """What a command found; each command is a subclass saying what it adds (apply: what it did)."""

    registry: str  # the URI, password redacted
    head: str  # the commit whose files are the desired state
    results: Sequence[ModelResult]
    unmanaged: tuple[str, ...] = ()  # registered models with no model file (diff)
    writes: int | None = None  # apply: write calls made, retries included
    notices: tuple[str, ...] = field(default=())
    problems: tuple[ModelMessage, ...] = ()  # errors of no model (a stray file in the models folder)
    timelines: tuple[tuple[str, str], ...] = ()  # apply: (model, Mermaid gantt) of the models written to

    command: ClassVar[str]
    title: ClassVar[str]  # of the step summary

    @property
    def actions(self) -> list[Action]:
        """The writes apply would make (apply: the writes it made)."""
        return [a for r in self.results for a in r.plan.actions]

    @property
    def errors(self) -> list[ModelMessage]:
        return [*self.problems, *(e for r in self.results for e in (*r.refusals, *r.errors))]

    @property
    def notes(self) -> list[ModelMessage]:
        return [n for r in self.results for n in r.notes]

    @property
    def ok(self) -> bool:
        return not self.errors

    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def extra_json(self) -> dict[str, Any]:
        return {}

    def body(self, out: TextIO) -> None:
        """Per model, the writes planned and what stands in their way."""
        for result in self.results:
            actions = result.plan.actions
            if not (actions or result.refusals or result.errors or result.notes):
                continue
            out.write(f"{printable(result.model)}:\n")
            for action in actions:
                out.write(f"  {_line(action)}\n")
            _problems(result, out)

    def registry_line(self) -> str:
        """Which registry was read: a default sqlite file that is not there yet is otherwise a silent surprise."""
        line = f"registry: {printable(self.registry)}"
        path = location.sqlite_file(self.registry)
        if path and not os.path.exists(path):
            line += " (does not exist yet: apply will create it)"
        elif path and os.path.getsize(path) == 0:
            line += " (empty: apply will set it up)"
        return line

    def summary(self) -> str:
        results = self.results
        failed = [r for r in results if r.status in ("failed", "refused")]
        pending = [r for r in results if r.plan.actions]
        count = sum(len(r.plan.actions) for r in results)
        if not count:
            text = f"plan: nothing to do ({plural(len(results), 'model')} up to date)"
        else:
            text = (
                f"plan: {plural(count, 'write')} to {plural(len(pending), 'model')}, "
                f"{len(results) - len(pending) - len(failed)} up to date"
            )
        return text + (f"; {len(failed)} refused" if failed else "")


class PlanReport(RegistryReport):
    command = "plan"
    title = "planned writes"


class DiffReport(RegistryReport):
    command = "diff"
    title = "drift"

    def exit_code(self) -> int:
        return 0 if self.ok and not self.actions else 1

    def extra_json(self) -> dict[str, Any]:
        return {"unmanaged": list(self.unmanaged)}

    def body(self, out: TextIO) -> None:
        super().body(out)
        if self.unmanaged:
            out.write(
                f"not managed (registered, no model file): {', '.join(map(printable, self.unmanaged))} "
                "(`stagectl import` writes their files)\n"
            )

    def summary(self) -> str:
        results = self.results
        failed = [r for r in results if r.status in ("failed", "refused")]
        count = sum(len(r.plan.actions) for r in results)
        if not count and not failed:
            return f"diff: the registry matches git ({plural(len(results), 'model')})"
        n = len([r for r in results if r.plan.actions]) + len(failed)
        text = f"diff: {plural(n, 'model')} {'differs' if n == 1 else 'differ'} from git; "
        text += f"apply would make {plural(count, 'write')}"
        return text + (f"; {len(failed)} refused" if failed else "")


class ApplyReport(RegistryReport):
    command = "apply"
    title = "writes made"

    @property
    def actions(self) -> list[Action]:
        return [a for r in self.results for a in r.done]

    def registry_line(self) -> str:
        """The registry written to (apply creates a sqlite file that was not there)."""
        return f"registry: {printable(self.registry)}"

    def extra_json(self) -> dict[str, Any]:
        return {
            "reverted": [
                {"model": a.model, "version": a.version, "was": was} for r in self.results for a, was in r.reverted
            ],
            "models": [{"model": r.model, "status": r.status, "writes": len(r.done)} for r in self.results],
            "writes": self.writes,
        }

    def body(self, out: TextIO) -> None:
        """Per model, what was done and what went wrong."""
        for result in self.results:
            status = result.status
            if status == "applied":
                out.write(f"{printable(result.model)}: applied {plural(len(result.done), 'write')}\n")
            elif status == "unchanged":
                out.write(f"{printable(result.model)}: unchanged\n")
            elif result.refusals and not result.errors:
                done = (
                    f" (applied {plural(len(result.done), 'write')}, as far as the rules allow)" if result.done else ""
                )
                out.write(f"{printable(result.model)}: refused{done}\n")
            else:
                out.write(
                    f"{printable(result.model)}: {status}"
                    + (f" after {len(result.done)} of {len(result.plan.actions)} writes" if result.done else "")
                    + "\n"
                )
            for action in result.done:
                out.write(f"  {_line(action)}\n")
            for _, was in result.reverted:
                out.write(f"  reverted: {printable(was)} (git wins)\n")
            _problems(result, out)

    def summary(self) -> str:
        results = self.results
        failed = [r for r in results if r.status in ("failed", "refused")]
        applied = [r for r in results if r.status == "applied"]
        unchanged = [r for r in results if r.status == "unchanged"]
        writes = sum(len(r.done) for r in results)
        parts = [f"apply: {plural(writes, 'write')} to {plural(len(applied), 'model')}", f"{len(unchanged)} unchanged"]
        refused = [r for r in failed if r.status == "refused"]
        if refused:
            parts.append(f"{len(refused)} refused")
        if len(failed) > len(refused):
            parts.append(f"{len(failed) - len(refused)} failed")
        reverted = sum(len(r.reverted) for r in results)
        if reverted:
            parts.append(f"{plural(reverted, 'drift')} reverted")
        return ", ".join(parts)


def to_json(report: RegistryReport) -> dict[str, Any]:
    return {
        "registry": report.registry,
        "head": report.head,
        "actions": [a.to_json() for a in report.actions],
        "errors": [e.to_json() for e in report.errors],
        "notes": [n.to_json() for n in report.notes],
        **report.extra_json(),
    }


def write_json(report: RegistryReport, out: TextIO) -> None:
    out.write(json_text(to_json(report)) + "\n")


def write_text(report: RegistryReport, out: TextIO) -> None:
    out.write(report.registry_line() + "\n")
    for notice in report.notices:
        out.write(f"note: {printable(notice)}\n")
    report.body(out)
    for problem in report.problems:
        out.write(f"error: {problem.rule}: {printable(problem.message)}\n")
    out.write(report.summary() + "\n")


def _problems(result: ModelResult, out: TextIO) -> None:
    for problem in (*result.refusals, *result.errors):
        out.write(f"  error: {_where(problem)}{printable(problem.message)}\n")
    for problem in result.notes:
        out.write(f"  note: {_where(problem)}{printable(problem.message)}\n")


def _where(problem: ModelMessage) -> str:
    if problem.rule is not None or problem.version is None or f"version {problem.version}" in problem.message:
        return ""  # a refusal by the rules points at the file's line already
    return f"version {problem.version}: "


def _line(action: Action) -> str:
    version = f" {action.version}" if action.version is not None else ""
    return f"{action.kind}{version}: {printable(action.detail)}"


def markdown(report: RegistryReport) -> str:
    """For $GITHUB_STEP_SUMMARY: a heading, the writes as a table, the errors; kept well under 1 MiB."""
    head = [
        f"### stagectl {report.command}: {report.title}",
        "",
        f"`{report.summary()}` — registry {markdown_code(report.registry)} at `{report.head[:12]}`",
        "",
    ]
    rows: list[str] = []
    actions = report.actions
    if actions:
        head += ["| model | version | action | detail |", "|---|---|---|---|"]
        for action in actions:
            version = "" if action.version is None else str(action.version)
            rows.append(f"| {md(action.model)} | {version} | {action.kind} | {md(action.detail)} |")
        rows.append("")
    rows += [f"- :x: {md(problem.message)}" for problem in report.problems]
    for result in report.results:
        for action, was in result.reverted:
            rows.append(f"- reverted on **{md(action.model)}**: {md(was)}")
        for problem in (*result.refusals, *result.errors):
            rows.append(f"- :x: **{md(problem.model)}**: {md(problem.message)}")
    if report.timelines:
        from stagectl.report.markdown import mermaid_block

        rows += ["", "**Stages over time:**", ""]
        rows += [mermaid_block(model, chart) for model, chart in report.timelines]
    return fit_summary(head, rows, len(rows), _not_shown)


def _not_shown(count: int) -> str:
    return f"… and {count:,} more {'line' if count == 1 else 'lines'} not shown: see this step's log"
