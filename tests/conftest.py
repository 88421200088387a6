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
