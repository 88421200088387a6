"""What happened to a version's stage, and in which commit: plain data that history reads from git
and that authoring, timelines and the history command use without reading git."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

_PR_SUBJECT = (re.compile(r"^Merge pull request #(\d+)\b"), re.compile(r"\(#(\d+)\)\s*$"))


def pr_number(subject: str) -> int | None:
    """The pull request a commit subject names: `Merge pull request #12 …` or `… (#12)`."""
    for pattern in _PR_SUBJECT:
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    return None


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO-8601 author date
    committed: str  # ISO-8601 committer date: when it landed on the branch
    subject: str

    @property
    def pr(self) -> int | None:
        return pr_number(self.subject)


@dataclass(frozen=True)
class StageEvent:
    """A version's stage changed (from None: the version first appeared) in `commit`."""

    version: int
    from_stage: str | None
    to_stage: str
    commit: Commit


def parse_date(text: str) -> datetime:
    """An ISO-8601 date from git (`2026-11-23T19:46:41+00:00`), as an aware datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
