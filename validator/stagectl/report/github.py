"""GitHub Actions: an `::error` annotation per violation, and a table in the job's step summary."""

from __future__ import annotations

import re

from stagectl.display import printable
from stagectl.ghactions import escape_data, escape_property
from stagectl.markdown import cell
from stagectl.report import CheckResult, Output, summary_line


def report(result: CheckResult, output: Output) -> None:
    for v in result.violations:
        properties = ",".join(
            f"{key}={escape_property(str(value))}"
            for key, value in (("file", v.file), ("line", v.line), ("col", v.column), ("title", v.rule))
        )
        output.out.write(f"::error {properties}::{escape_data(v.message)}\n")
    for note in result.notes:
        output.out.write(f"::notice title=stagectl::{escape_data(note)}\n")
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
    lines = ["### stagectl check", ""]
    lines += [f"> **Note:** {cell(note)}\n" for note in result.notes]
    if result.ok:
        lines.append(f"✅ {summary_line(result).removeprefix('stagectl: ')}")
        return "\n".join(lines) + "\n\n"
    lines.append(f"❌ {summary_line(result).removeprefix('stagectl: ')}")
    lines += ["", "| file | line | rule | message |", "|---|---|---|---|"]
    for v in result.violations:
        lines.append(f"| `{cell(v.file)}` | {v.line}:{v.column} | `{v.rule}` | {cell(v.message)} |")
    return "\n".join(lines) + "\n\n"


_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+!|~^$]|[&<>]|@")


def escape_markdown(text: str) -> str:
    """Text from a file or the registry as inert markdown prose (one line, outside code spans): HTML
    characters as entities, markdown punctuation backslash-escaped, control characters shown as
    escapes, and `@` kept from mentioning anyone (a zero-width space after it). The one escaper of
    the markdown reporters: swap it here."""
    flat = printable(" ".join(text.split()))
    return _MARKDOWN_SPECIAL.sub(_escape_one, flat)


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char == "@":
        return "@&#8203;"
    return _HTML.get(char) or "\\" + char
