"""Turn file contents into checked data: a ModelFile or the reasons it is not one; the settings."""

from __future__ import annotations

import re
from typing import Any

from stagectl.core.model import (
    START,
    Content,
    Document,
    ModelFile,
    Parsed,
    Rejected,
    Unreadable,
    Version,
    Violation,
    model_stem,
)
from stagectl.core.policy import POLICY_FILE, Settings, settings_from_data
from stagectl.core.stage import Stage
from stagectl.display import quoted
from stagectl.errors import FatalError
from stagectl.load import schemas, yamlsafe

MODEL_SUFFIXES = (".yaml", ".yml")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_name(name: str) -> None:
    """A model name asked for on the command line: a bad one is exit 2 before anything is read."""
    if not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise FatalError(f"{name!r} is not a valid model name (letters, digits, '.', '_', '-'; at most 128)")


def parse_model(path: str, content: Content, spans: bool = False) -> Parsed:
    """Read one model file; every problem becomes a violation pointing at its line.

    `spans` also records where each value sits, for editing the file in place.
    """
    stem = model_stem(path)
    if isinstance(content, Unreadable):
        return Rejected(path, (Violation(path, 1, 1, content.rule, content.message, stem),))
    loaded = yamlsafe.load(content, spans)
    if loaded.document is None:
        return Rejected(
            path,
            tuple(
                Violation(path, p.position.line, p.position.column, p.rule, p.message, stem) for p in loaded.problems
            ),
        )
    document = loaded.document
    data = document.data
    name = data.get("name") if isinstance(data, dict) else None
    model = name if isinstance(name, str) and NAME_PATTERN.fullmatch(name) and ".." not in name else stem
    errors = schemas.schema_errors(data, "model") + _version_numbers(document)
    if errors:
        violations = []
        for error in errors:
            rule = "model-name" if error.path == ("name",) and error.keyword in ("pattern", "not") else "schema"
            position = document.position(error.path) if data is not None else START  # an empty file: its start
            violations.append(
                Violation(
                    path, position.line, position.column, rule, error.message, model, _version_at(data, error.path)
                )
            )
        return Rejected(path, tuple(violations))
    versions = tuple(
        Version(number=entry["version"], stage=Stage(entry["stage"]), fields=entry, index=index)
        for index, entry in enumerate(data["versions"])
    )
    return ModelFile(path=path, name=data["name"], versions=versions, document=document)


def _version_numbers(document: Document) -> list[schemas.SchemaError]:
    """`version: 1.0` (or 0x10, 1_000, 1:30) reads as a number, but not as the one a reader sees: MLflow
    would make version 1 of `1.0`, and history, register and soak time would not find it."""
    found = []
    for path, text in document.numbers.items():
        if len(path) == 3 and path[0] == "versions" and path[2] == "version":
            value = document.data["versions"][path[1]]["version"]
            number = int(value)
            message = (
                f"{schemas.describe_path(path)} is written {quoted(text)}, which YAML reads as {number}: "
                f"write version numbers as plain whole numbers (version: {number})"
            )
            found.append(schemas.SchemaError(path, "type", message))
    return found


def _version_at(data: Any, path: tuple[Any, ...]) -> int | None:
    """The version number of the entry a schema error sits in, when it has a readable one."""
    if len(path) >= 2 and path[0] == "versions" and isinstance(path[1], int):
        entry = data["versions"][path[1]]
        number = entry.get("version") if isinstance(entry, dict) else None
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def parse_settings(content: Content | None, path: str = POLICY_FILE) -> Settings | Rejected:
    """Read `stagectl.yaml` (None: absent, defaults). Every problem is a `policy` violation."""
    return load_settings(content, path)[0]


def load_settings(content: Content | None, path: str = POLICY_FILE) -> tuple[Settings | Rejected, Document | None]:
    """`parse_settings`, and the document it read (None: absent, unreadable or only comments).

    The document says which keys the file names and where, for errors about a settings change.
    """
    if content is None:
        return Settings(), None
    if isinstance(content, Unreadable):
        return Rejected(path, (Violation(path, 1, 1, "policy", content.message),)), None
    loaded = yamlsafe.load(content)
    if loaded.document is None:
        return Rejected(
            path,
            tuple(Violation(path, p.position.line, p.position.column, "policy", p.message) for p in loaded.problems),
        ), None
    document: Document = loaded.document
    if document.data is None:  # a file of comments: all defaults
        return Settings(), None
    errors = schemas.schema_errors(document.data, "policy")
    if errors:
        return Rejected(path, tuple(_policy_violation(path, document, e.path, e.message) for e in errors)), document
    return settings_from_data(document.data), document


def _policy_violation(path: str, document: Document, where: tuple[Any, ...], message: str) -> Violation:
    position = document.position(where) if where else START
    return Violation(path, position.line, position.column, "policy", message)
