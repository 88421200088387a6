"""Which cases the quick run (`python -m pytest -m "not slow"`) leaves to the full run."""

from __future__ import annotations

from typing import Any

import pytest


def quick_first(*cases: Any) -> list[Any]:
    """A parametrized matrix whose first case runs in the quick run and the rest only in the full run.

    Each case is one value, or a tuple of values for a test with several parameters. The quick run still
    drives the test once; the full run runs every case, as before.
    """
    return [
        case if index == 0 else pytest.param(*(case if isinstance(case, tuple) else (case,)), marks=pytest.mark.slow)
        for index, case in enumerate(cases)
    ]
