"""A throw-away PostgreSQL cluster on 127.0.0.1, for the scale-out registry tests and the benchmark.

`.ci/run` starts one and names it in STAGECTL_TEST_POSTGRES (a server-level URL such as
`postgresql+psycopg2://postgres@127.0.0.1:54321/postgres`); without it, the tests start their own
when `initdb` is found. Each MLflow server then gets a database of its own in that cluster.
No pytest here: the benchmark uses it too.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "STAGECTL_TEST_POSTGRES"
DRIVER = "postgresql+psycopg2"  # SQLAlchemy 2.1: a plain postgresql:// would mean psycopg 3


def find_bin(name: str) -> Path | None:
    """A PostgreSQL server program: on PATH, or where Debian's packages put it (not on PATH)."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return candidates[-1] if candidates else None


def missing_reason() -> str | None:
    """Why no cluster can be started or reached here, or None when one can."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 is not installed (pip install -e '.[dev]' brings psycopg2-binary)"
    if os.environ.get(ENV_VAR) or (find_bin("initdb") and find_bin("pg_ctl")):
        return None
    return f"PostgreSQL not found: install it (apt-get install postgresql) or set {ENV_VAR} to a server URL"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq reads it (no `+driver`)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


@dataclass
class Cluster:
    """`initdb` into a temp dir, `pg_ctl start` on 127.0.0.1 with its socket in that dir; `stop()` removes it.

    PostgreSQL refuses to run as root: as root, the dir is handed to the `postgres` user and the
    programs run as that user.
    """

    folder: Path
    port: int
    durable: bool = False  # fsync on (benchmarks) or off (tests: nothing here outlives the run)

    @classmethod
    def start(cls, *, durable: bool = False) -> Cluster:
        folder = Path(tempfile.mkdtemp(prefix="stagectl-pg-"))
        cluster = cls(folder, _free_port(), durable)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {folder} -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = str(folder / "server.log")
        cluster._run("pg_ctl", "-D", str(cluster.data), "-l", log, "-o", options, "-w", "-t", "60", "start")
        return cluster

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"{DRIVER}://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        binary = find_bin(program)
        if binary is None:
            raise RuntimeError(f"{program} not found: install PostgreSQL (apt-get install postgresql)")
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*as_postgres, str(binary), *args], capture_output=True, text=True, check=False, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout[-1000:]}{done.stderr[-1000:]}")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def create_database(server_url: str, prefix: str = "mlflow") -> str:
    """A new empty database in the cluster at `server_url`; returns its SQLAlchemy URL."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = psycopg2.connect(_libpq(server_url), connect_timeout=5)
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"
