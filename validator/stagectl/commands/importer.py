"""`stagectl import`: write model files from an existing registry, for onboarding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from stagectl.registry import session


def run(registry: str | None, models: Sequence[str], env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    return session.import_models(registry, models, env, out, err)
