"""The writes a plan is made of: one frozen type per kind, each carrying exactly what it needs. Pure.

`model`, `version`, `kind` and `detail` are the contract's JSON (`kind` is its `action`); the other
fields (keyword-only) run the write. Code that runs a write matches on its type and ends with `assert_never`, so a
new kind of write is one class here, and mypy names every place that must learn it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NoReturn

from stagectl.registry.desired import NO_TAGS, Tags

ActionKind = Literal[
    "create-model", "create-version", "set-alias", "delete-alias", "set-tag", "set-stage", "update-model"
]


@dataclass(frozen=True)
class _Write:
    model: str
    version: int | None  # None: a write to the registered model itself
    detail: str  # for people: what changes, and what it was

    kind: ClassVar[ActionKind]

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "action": self.kind, "detail": self.detail}


@dataclass(frozen=True, kw_only=True)
class CreateModel(_Write):
    """Register the model, with its description and tags in the same call."""

    description: str | None = None
    tags: Tags = field(default_factory=lambda: NO_TAGS)
    kind: ClassVar[ActionKind] = "create-model"


@dataclass(frozen=True, kw_only=True)
class CreateVersion(_Write):
    """Register a version: source, run id, description and tags (bookkeeping included) in one call."""

    source: str
    run_id: str | None = None
    description: str | None = None
    tags: Tags = field(default_factory=lambda: NO_TAGS)
    kind: ClassVar[ActionKind] = "create-version"


@dataclass(frozen=True, kw_only=True)
class UpdateDescription(_Write):
    """The model's description, or with a `version`, that version's ("" clears it)."""

    description: str
    kind: ClassVar[ActionKind] = "update-model"


@dataclass(frozen=True, kw_only=True)
class SetTag(_Write):
    """A tag of the model, or with a `version`, of that version."""

    key: str
    value: str
    kind: ClassVar[ActionKind] = "set-tag"


@dataclass(frozen=True, kw_only=True)
class SetAlias(_Write):
    """Point `alias` at `version`."""

    alias: str
    reverts: str | None = None  # the drift this undoes (changed outside git), for the report
    kind: ClassVar[ActionKind] = "set-alias"


@dataclass(frozen=True, kw_only=True)
class DeleteAlias(_Write):
    alias: str
    reverts: str | None = None
    kind: ClassVar[ActionKind] = "delete-alias"


@dataclass(frozen=True, kw_only=True)
class SetStage(_Write):
    """MLflow's (deprecated) stage of `version`, spelt as MLflow spells it (registry.mode: stages)."""

    stage: str
    reverts: str | None = None
    kind: ClassVar[ActionKind] = "set-stage"


Action = CreateModel | CreateVersion | UpdateDescription | SetTag | SetAlias | DeleteAlias | SetStage


def reverts(action: Action) -> str | None:
    """The drift a write undoes (an alias or stage changed outside git), None for any other write."""
    match action:
        case SetAlias() | DeleteAlias() | SetStage():
            return action.reverts
        case CreateModel() | CreateVersion() | UpdateDescription() | SetTag():
            return None
        case _:
            assert_never(action)


def assert_never(value: NoReturn) -> NoReturn:
    """typing.assert_never (Python 3.11), for 3.10: mypy refuses a call that some case can reach."""
    raise AssertionError(f"unhandled write {value!r}")
