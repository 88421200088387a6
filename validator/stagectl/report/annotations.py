"""GitHub Actions: an `::error` annotation per violation, and a table in the job's step summary."""

from __future__ import annotations

from stagectl.display import annotation_data, annotation_property, markdown_code
from stagectl.display import markdown as md
from stagectl.report import CheckResult, Output, fit_summary, summary_line


def report(result: CheckResult, output: Output) -> None:
    for v in result.violations:
        properties = ",".join(
            f"{key}={annotation_property(str(value))}"
            for key, value in (("file", v.file), ("line", v.line), ("col", v.column), ("title", v.rule))
        )
        output.out.write(f"::error {properties}::{annotation_data(v.message)}\n")
    for note in result.notes:
        output.out.write(f"::notice title=stagectl::{annotation_data(note)}\n")
    if not output.quiet:
        output.err.write(summary_line(result) + "\n")
    summary_path = output.env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write(markdown(result))
        except OSError as error:
            output.err.write(f"stagectl: warning: cannot write the step summary {summary_path}: {error.strerror}\n")


def markdown(result: CheckResult) -> str:
    """The summary table, kept well under GitHub's 1 MiB: errors past that are counted, not shown."""
    lines = ["### stagectl check", ""]
    lines += [f"> **Note:** {md(note)}\n" for note in result.notes]
    if result.ok:
        lines.append(f"✅ {summary_line(result).removeprefix('stagectl: ')}")
        return "\n".join(lines) + "\n\n"
    lines.append(f"❌ {summary_line(result).removeprefix('stagectl: ')}")
    lines += ["", "| file | line | rule | message |", "|---|---|---|---|"]
    rows = (
        f"| {markdown_code(v.file)} | {v.line}:{v.column} | {markdown_code(v.rule)} | {md(v.message)} |"
        for v in result.violations
    )
    return fit_summary(lines, rows, len(result.violations), _not_shown)


def _not_shown(count: int) -> str:
    return (
        f"… and {count:,} more {'error' if count == 1 else 'errors'} not shown: "
        "run `stagectl check` locally, or see this step's log"
    )
