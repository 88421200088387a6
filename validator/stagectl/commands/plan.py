"""`stagectl plan`: what apply would write to the registry, in order. Writes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from stagectl.registry import session


def run(registry: str | None, models: Sequence[str], fmt: str, env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    return session.plan(registry, models, fmt, env, out, err)
