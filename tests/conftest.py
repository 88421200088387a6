"""Fixtures for every test. What the tests share besides fixtures is in `tests/helpers/`, imported as
plain modules (`from helpers.gitrepo import Repo`); no test imports a conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.gitrepo import Repo, init_repo


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    """A fresh git repository on branch main, in this test's temp dir."""
    yield init_repo(tmp_path / "repo")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (the same order on every worker, as xdist requires).

    `--dist worksteal` splits the list in halves and an idle worker takes half of what another has
    left, so the long tests start at once, spread over the workers, and the short ones fill the gaps.
    (`--dist load` hands the first quarter out alternately and never moves it: one worker kept every
    MLflow scenario and ran 40 s past the other.)"""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
