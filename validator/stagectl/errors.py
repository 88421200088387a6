"""The one error type for "cannot run": exit status 2 and a one-line reason, never a traceback."""

from __future__ import annotations

SHALLOW_HINT = "fetch more history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)"
SHALLOW_NOTE = f"this clone is shallow, so older history may be missing: {SHALLOW_HINT}"


class FatalError(Exception):
    """stagectl cannot do what was asked (not a repository, unknown ref, invalid base policy)."""

    exit_code = 2


def first_line(text: str, default: str = "unknown error") -> str:
    """The first line that says anything, for a one-line reason made of a tool's longer message."""
    return next((line.strip() for line in text.splitlines() if line.strip()), default)
