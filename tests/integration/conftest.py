"""Fixtures for the registry tests: one real `mlflow server` per store for the session, per-test names,
and one migrated sqlite store to copy for each fresh one.

Session-scoped, so each server is started once per test process, and only when a test needs it.

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

from helpers.pgcluster import ENV_VAR, Cluster, create_database, missing_reason
from helpers.registry import Server, migrated_store

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

    def server(self, folder: Path, template: Path) -> Server:
        """A new server (not started) with an empty store of this kind; its files in `folder`.

        A sqlite store starts as a copy of `template` (migrated once): the server has no migration to run.
        """
        folder.mkdir(parents=True, exist_ok=True)
        store = create_database(self.postgres_url) if self.postgres_url else None
        server = Server(folder, store=store, workers=self.workers)
        if store is None:
            server.seed(template)
        return server


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def mlflow_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server per store for the whole session; tests keep apart by using their own model names."""
    postgres = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    store = ServerStore(request.param, postgres)
    template = request.getfixturevalue("registry_template")
    server = store.server(tmp_path_factory.mktemp(f"mlflow-server-{store.kind}"), template)
    server.start()
    yield server
    server.kill()  # SIGKILL: a graceful uvicorn shutdown costs seconds and the store is thrown away


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow sqlite store with its schema migrated: made once for the run (shared by the
    test processes), copied for each fresh store (`helpers.registry.seed`, `Server.seed`)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return migrated_store(shared)


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def prefix() -> str:
    """A model-name prefix of this test's own, for tests sharing the session's server."""
    return f"t{next(_counter)}"
