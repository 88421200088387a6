"""The one error type for "cannot run": exit status 2 and a one-line reason, never a traceback."""

from __future__ import annotations


class FatalError(Exception):
    """stagectl cannot do what was asked (not a repository, unknown ref, invalid base policy)."""

    exit_code = 2
