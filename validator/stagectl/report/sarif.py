"""SARIF 2.1.0 for code scanning: one run, every rule with its help, one result per violation.

Alerts are tracked across pushes by `partialFingerprints`, which must not move when unrelated
lines do: the fingerprint hashes the rule, file, model, version and message with line and column
numbers taken out, never the position itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from typing import Any
from urllib.parse import quote

from stagectl import __version__
from stagectl.core.model import Violation
from stagectl.core.rules.catalogue import CATALOGUE, RuleDoc
from stagectl.display import printable
from stagectl.report import CheckResult, Output

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "stagectl/v1"
SRCROOT = "%SRCROOT%"
_POSITION = re.compile(r"\b(lines?|columns?|col)(\s+)\d+", re.IGNORECASE)


def report(result: CheckResult, output: Output) -> None:
    output.out.write(json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n")


def sarif_log(result: CheckResult) -> dict[str, Any]:
    index = {rule.id: n for n, rule in enumerate(CATALOGUE)}
    seen: Counter[str] = Counter()
    results = []
    for violation in result.violations:
        key = fingerprint(violation)
        seen[key] += 1
        if seen[key] > 1:  # the same error twice in one file: tell the alerts apart by their order
            key = fingerprint(violation, seen[key])
        results.append(_result(violation, index.get(violation.rule), key))
    driver = {"name": "stagectl", "version": __version__, "rules": [_rule(rule) for rule in CATALOGUE]}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",  # columns count characters, as the text output's do
                "results": results,
            }
        ],
    }


def fingerprint(violation: Violation, occurrence: int = 1) -> str:
    """A hash that survives lines inserted above the error (and messages that quote line numbers)."""
    message = _POSITION.sub(r"\1\2#", violation.message)
    parts = [violation.rule, violation.file, violation.model or "", str(violation.version or ""), message]
    if occurrence > 1:
        parts.append(str(occurrence))
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _rule(rule: RuleDoc) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": rule.level},
    }


def _result(violation: Violation, rule_index: int | None, key: str) -> dict[str, Any]:
    found: dict[str, Any] = {"ruleId": violation.rule}
    if rule_index is not None:
        found["ruleIndex"] = rule_index
    found.update(
        {
            "level": "error",
            "message": {"text": printable(violation.message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(violation.file), "uriBaseId": SRCROOT},
                        "region": {"startLine": max(violation.line, 1), "startColumn": max(violation.column, 1)},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: key},
        }
    )
    return found


def artifact_uri(path: str) -> str:
    """A repo-relative path as a relative URI reference (spaces, '%', '#', '?' percent-encoded)."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")
