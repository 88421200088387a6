"""`stagectl apply`: bring the registry to the model files at HEAD, writing only the differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from stagectl.registry import session


def run(registry: str | None, models: Sequence[str], fmt: str, env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    return session.apply(registry, models, fmt, env, out, err)
