"""Helpers for the registry tests: a real `mlflow server` process, an MLflow client, in-process runs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import Repo, clean_env

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

    def sibling(self, folder: Path) -> Server:
        """Another server (not started) on this one's store: no second schema migration to wait for."""
        folder.mkdir(parents=True, exist_ok=True)
        return Server(folder, store=self.store, workers=self.workers)

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


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def stagectl(repo: Repo, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run a command in-process (MLflow imported once per session), as `stagectl ARGS` in `repo`.

    The environment is a clean shell's (no MLFLOW_TRACKING_URI unless `env` sets it).
    """
    from stagectl.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = os.getcwd()
    saved_env = dict(os.environ)
    os.environ.clear()
    os.environ.update({k: v for k, v in clean_env().items() if not k.startswith("MLFLOW_")})
    os.environ.update(env or {})
    os.chdir(cwd or repo.path)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(saved)
        os.environ.clear()
        os.environ.update(saved_env)
    assert "Traceback" not in err.getvalue(), err.getvalue()
    assert "internal error" not in err.getvalue(), err.getvalue()
    return Run(code, out.getvalue(), err.getvalue())


def model_file(name: str, versions: Sequence[tuple[int, str]], *, extra: str = "", source: str = "s3://b") -> str:
    """A model file whose version n has source `{source}/{name}/{n}` and run id `run-{n}`."""
    lines = [f"name: {name}", *([extra.rstrip()] if extra else []), "versions:" if versions else "versions: []"]
    for number, stage in versions:
        lines += [
            f"  - version: {number}",
            f"    stage: {stage}",
            f"    source: {source}/{name}/{number}",
            f"    run_id: run-{number}",
        ]
    return "\n".join(lines) + "\n"


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
