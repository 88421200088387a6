"""`file:line:col: rule: message`, like a compiler; colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

from stagectl.display import printable
from stagectl.report import CheckResult, Output, summary_line

BOLD, RED, DIM, RESET = "\033[1m", "\033[31m", "\033[2m", "\033[0m"


def use_colour(output: Output) -> bool:
    return output.out.isatty() and not output.env.get("NO_COLOR") and output.env.get("TERM") != "dumb"


def report(result: CheckResult, output: Output) -> None:
    colour = use_colour(output)
    for v in result.violations:
        where = f"{printable(v.file)}:{v.line}:{v.column}:"
        message = printable(v.message)  # one line per error, whatever a file smuggles into it
        if colour:
            output.out.write(f"{BOLD}{where}{RESET} {RED}{v.rule}{RESET}: {message}\n")
        else:
            output.out.write(f"{where} {v.rule}: {message}\n")
    if not output.quiet:
        output.err.write(summary_line(result) + "\n")
        for note in result.notes:
            output.err.write(f"stagectl: note: {note}\n")
