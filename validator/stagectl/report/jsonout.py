"""Exactly one JSON object on stdout, the shape the contract fixes."""

from __future__ import annotations

from stagectl.display import json_text
from stagectl.report import CheckResult, Output


def report(result: CheckResult, output: Output) -> None:
    document = {
        "ok": result.ok,
        "base": result.base,
        "head": result.head,
        "files_checked": result.files_checked,
        "errors": [
            {
                "rule": v.rule,
                "file": v.file,
                "line": v.line,
                "column": v.column,
                "model": v.model,
                "version": v.version,
                "message": v.message,
            }
            for v in result.violations
        ],
    }
    output.out.write(json_text(document) + "\n")
