"""`stagectl diff`: what in the registry differs from git (drift); exit 1 when anything does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from stagectl.registry import session


def run(registry: str | None, models: Sequence[str], fmt: str, env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    return session.diff(registry, models, fmt, env, out, err)
