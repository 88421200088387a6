"""Helpers for the registry tests: a real `mlflow server` process, an MLflow client, migrated sqlite stores."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

WRITE_REQUEST = re.compile(r'"(POST|PATCH|DELETE|PUT) /api/')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`mlflow server` on 127.0.0.1, in its own process group (it forks uvicorn workers).

    The store is a sqlite file in `folder` unless `store` names another (a PostgreSQL database).
    """

    def __init__(self, folder: Path, port: int | None = None, *, store: str | None = None, workers: int = 1) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.store = store or f"sqlite:///{self.db}"
        self.workers = workers
        self.log = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def db(self) -> Path:
        """The sqlite file of a server on the default store (not used when `store` names another)."""
        return self.folder / "server.db"

    def seed(self, template: Path) -> None:
        """Start the default sqlite store as a copy of a migrated one (see `migrated_store`)."""
        seed(template, self.db)

    def sibling(self, folder: Path, workers: int = 1) -> Server:
        """Another server (not started, one worker unless told) on this one's store: no second schema
        migration to wait for."""
        folder.mkdir(parents=True, exist_ok=True)
        return Server(folder, store=self.store, workers=workers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        command = [
            os.path.join(os.path.dirname(sys.executable), "mlflow"),
            "server",
            "--backend-store-uri",
            self.store,
            "--default-artifact-root",
            (self.folder / "artifacts").as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"mlflow server did not become healthy: {self.log.read_text()[-2000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop the server and the workers it forked (its whole process group)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)
        self.process = None

    def writes(self) -> int:
        """Write requests the server has answered so far, counted from its access log."""
        if not self.log.exists():
            return 0
        return len(WRITE_REQUEST.findall(self.log.read_text(errors="replace")))


def client(uri: str) -> Any:
    from mlflow import MlflowClient  # here, not at collection: only the tests that talk to MLflow pay for it

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def sqlite_uri(path: Path) -> str:
    return f"sqlite:///{path}"


def migrated_store(folder: Path) -> Path:
    """An empty MLflow sqlite store with its schema migrated, made once in `folder` (for every test process
    that shares it: a file lock keeps the others waiting) and copied for each fresh store by `seed`.

    A fresh store's migrations cost 3-5 s of CPU each time; a copy is what MLflow would have made itself.
    """
    template = folder / "migrated-mlflow.db"
    with open(folder / "migrated-mlflow.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            building = folder / f"migrating-{os.getpid()}.db"
            with warnings.catch_warnings():  # MLflow's SQLAlchemy deprecations: not this suite's to fix
                warnings.simplefilter("ignore")
                made = client(sqlite_uri(building))  # as stagectl opens a store: tracking and registry
                made.search_experiments()  # the Default experiment, as the tracking store makes it
                made.search_registered_models()
            building.rename(template)
    return template


def seed(template: Path, path: Path) -> str:
    """A fresh, empty MLflow store at `path` (a copy of `migrated_store`'s template); its URI."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return sqlite_uri(path)


def state(uri: str, name: str) -> dict[str, Any]:
    """What MLflow holds for a model, normalised for comparisons (versions as int)."""
    mlflow = client(uri)
    model = mlflow.get_registered_model(name)
    versions = {}
    for found in mlflow.search_model_versions(f"name='{name}'"):
        versions[int(found.version)] = {
            "source": found.source,
            "run_id": found.run_id or None,
            "stage": found.current_stage,
            "tags": dict(found.tags),
            "description": found.description or None,
        }
    return {
        "description": model.description or None,
        "tags": dict(model.tags),
        "aliases": {k: int(v) for k, v in model.aliases.items()},
        "versions": dict(sorted(versions.items())),
    }
