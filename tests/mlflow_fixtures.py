"""Fixtures for the registry tests: one real `mlflow server` for the session, per-test model names.

Loaded as a plugin by the test_registry_* modules (`pytest_plugins`), so the server is started once
for all of them, and only when one of them needs it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from registry_helpers import Server


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the whole session; tests keep apart by using their own model names."""
    server = Server(tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    yield server
    server.kill(signal.SIGTERM)


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def prefix() -> str:
    """A model-name prefix of this test's own, for tests sharing the session's server."""
    return f"t{next(_counter)}"
