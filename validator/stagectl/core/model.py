"""Plain data that flows between the loader, the rules and the reporters."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from stagectl.core.stage import Stage

NEW = "new"  # pseudo from-stage of a version that did not exist at the base

Path = tuple[str | int, ...]
"""A location inside a YAML document: keys and list indexes from the root."""


class Position(NamedTuple):
    """1-based line and column (a tuple: one is made for every key of every file read)."""

    line: int
    column: int


START = Position(1, 1)


@dataclass(frozen=True)
class Violation:
    """One broken rule, as every reporter prints it."""

    file: str
    line: int
    column: int
    rule: str
    message: str
    model: str | None = None
    version: int | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.rule)


@dataclass(frozen=True)
class Span:
    """Where a value sits in the text, for editing it in place (columns count characters)."""

    start: Position
    end: Position  # just past the value
    style: str | None  # scalars: None plain, "'" or '"' quoted, "|" or ">" block
    kind: str  # "scalar", "block" (an indented collection) or "flow" (written inline: [...] / {...})

    @property
    def flow(self) -> bool:
        return self.kind == "flow"


@dataclass(frozen=True)
class Document:
    """A YAML document turned into plain data, with the position of every key and item."""

    data: Any
    positions: Mapping[Path, Position]
    spans: Mapping[Path, Span] = field(default_factory=dict)  # only when loaded for editing
    # The text of each number not written as a plain decimal integer (`1.0`, `0x10`, `1_000`, `1:30`).
    numbers: Mapping[Path, str] = field(default_factory=dict)

    def position(self, path: Path) -> Position:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path:
            found = self.positions.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.positions.get((), START)


@dataclass(frozen=True)
class Version:
    number: int
    stage: Stage
    fields: Mapping[str, Any]  # every key of the entry, as written (source, run_id, metrics, ...)
    index: int  # position in the file's `versions` list

    @property
    def path(self) -> Path:
        return ("versions", self.index)


@dataclass(frozen=True)
class ModelFile:
    """A model file that passed the YAML and schema checks."""

    path: str  # repo-relative, with "/"
    name: str
    versions: tuple[Version, ...]
    document: Document = field(repr=False, compare=False)

    def position(self, path: Path) -> Position:
        return self.document.position(path)

    def by_number(self) -> dict[int, Version]:
        """Versions by number; with duplicates, the first entry wins (the duplicate is its own error)."""
        found: dict[int, Version] = {}
        for version in self.versions:
            found.setdefault(version.number, version)
        return found


@dataclass(frozen=True)
class Rejected:
    """A file that could not be read as a model: the reasons, as violations."""

    path: str
    violations: tuple[Violation, ...]


Parsed = ModelFile | Rejected


@dataclass(frozen=True)
class Unreadable:
    """A file stagectl refuses to read at all (a symlink, a 50 MB blob)."""

    rule: str
    message: str


Content = bytes | Unreadable


def model_stem(path: str) -> str:
    """`fraud` for `models/fraud.yaml`."""
    return posixpath.splitext(posixpath.basename(path))[0]
