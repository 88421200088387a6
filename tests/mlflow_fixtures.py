"""Fixtures for the registry tests: one real `mlflow server` per store for the session, per-test names.

Loaded as a plugin by the test_registry_* modules (`pytest_plugins`), so each server is started once
for all of them, and only when one of them needs it.

Every test that takes `mlflow_server` runs twice: against a server on a sqlite
file (one worker, the small set-up) and against a server on PostgreSQL with 4 workers (the
scale-out set-up). The PostgreSQL cluster is the one named by STAGECTL_TEST_POSTGRES (`.ci/run`
starts one), else a throw-away one started here when `initdb` is found; without either the
PostgreSQL runs are skipped, saying why — except in CI (CI=true, or STAGECTL_TEST_POSTGRES set),
where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pgcluster import ENV_VAR, Cluster, create_database, missing_reason
from registry_helpers import Server

POSTGRES_WORKERS = 4


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server URL (`postgresql+psycopg2://postgres@127.0.0.1:PORT/postgres`)."""
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true" or os.environ.get(ENV_VAR):
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests: .ci/run starts a cluster)", pytrace=False)
        pytest.skip(reason)
    given = os.environ.get(ENV_VAR)
    if given:
        yield given
        return
    cluster = Cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@dataclass(frozen=True)
class ServerStore:
    """How a test's `mlflow server` keeps its registry: a sqlite file, or a database in PostgreSQL."""

    kind: str  # "sqlite" | "postgresql"
    postgres_url: str | None = None

    @property
    def workers(self) -> int:
        return POSTGRES_WORKERS if self.kind == "postgresql" else 1

    def server(self, folder: Path) -> Server:
        """A new server (not started) with an empty store of this kind; its files in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        store = create_database(self.postgres_url) if self.postgres_url else None
        return Server(folder, store=store, workers=self.workers)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def mlflow_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server per store for the whole session; tests keep apart by using their own model names."""
    postgres = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    store = ServerStore(request.param, postgres)
    server = store.server(tmp_path_factory.mktemp(f"mlflow-server-{store.kind}"))
    server.start()
    yield server
    server.kill()  # SIGKILL: a graceful uvicorn shutdown costs seconds and the store is thrown away


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def prefix() -> str:
    """A model-name prefix of this test's own, for tests sharing the session's server."""
    return f"t{next(_counter)}"
