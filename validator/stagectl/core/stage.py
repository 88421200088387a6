"""The four stages a version can be in, and the orders stagectl reads them in: one type, one place."""

from __future__ import annotations

from enum import Enum


class Stage(str, Enum):
    """A version's stage, declared in lifecycle order: none → staging → production → archived.

    A `str` that is its value everywhere (comparison, hashing, formatting, JSON), so a stage read
    from a file and a `Stage` are the same key and print the same.
    """

    NONE = "none"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def next(self) -> Stage | None:
        """Where `promote` takes a version from here (None: nowhere further)."""
        return _NEXT.get(self)

    @property
    def prominence(self) -> int:
        """Where the stage shows in a listing: what serves first, what is retired last."""
        return _PROMINENCE.index(self)

    @property
    def is_start(self) -> bool:
        """Whether a newly registered version may start here."""
        return self in (Stage.NONE, Stage.STAGING)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The stage names in lifecycle order (command-line choices, schema words)."""
        return tuple(stage.value for stage in cls)

    @classmethod
    def starts(cls) -> tuple[Stage, ...]:
        return tuple(stage for stage in cls if stage.is_start)

    @classmethod
    def by_prominence(cls) -> tuple[Stage, ...]:
        return _PROMINENCE


STAGES = tuple(Stage)
"""Every stage, in lifecycle order."""

_NEXT = {Stage.NONE: Stage.STAGING, Stage.STAGING: Stage.PRODUCTION}
_PROMINENCE = (Stage.PRODUCTION, Stage.STAGING, Stage.NONE, Stage.ARCHIVED)
