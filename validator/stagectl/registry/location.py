"""Where the registry is: --registry, else MLFLOW_TRACKING_URI, else stagectl.yaml, else sqlite at the root."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from collections.abc import Mapping

from stagectl.core.policy import RegistrySettings
from stagectl.display import printable
from stagectl.errors import FatalError

DEFAULT_URI = "sqlite:///mlflow.db"
SQLITE = "sqlite:///"
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
CHECK_URI = "check --registry, MLFLOW_TRACKING_URI or registry.uri in stagectl.yaml"


def resolve(flag: str | None, env: Mapping[str, str], settings: RegistrySettings, root: str) -> str:
    uri = flag or env.get("MLFLOW_TRACKING_URI") or settings.uri or DEFAULT_URI
    return absolute(uri, root)


def absolute(uri: str, root: str) -> str:
    """A relative sqlite path is taken from the repository root, wherever stagectl runs.

    `sqlite:///` alone stays as it is: it names no file (joined to the root it would name the root).
    """
    path = sqlite_file(uri)
    if path and not uri.startswith(SQLITE + "/"):
        return SQLITE + os.path.join(root, uri[len(SQLITE) :])
    return uri


def sqlite_file(uri: str) -> str | None:
    """The database file of a sqlite URI ("" when it names none; None for any other URI)."""
    if not uri.startswith(SQLITE):
        return None
    return uri[len(SQLITE) :].split("?", 1)[0]


def sqlite_exists(uri: str, path: str) -> bool:
    """Whether the sqlite registry file holds a database; FatalError (exit 2) when the path cannot be one.

    Checked before MLflow sees the path, reading only (a header, then the table names): MLflow
    would retry opening a directory for minutes, create missing folders, stop with a SQL error on
    a file that is not a database, and add its tables to any other database. An empty file, or a
    database without tables, reads as an empty registry.
    """
    shown = printable(path)
    if not path:
        raise FatalError(
            f"{printable(uri)} names no database file: give one, e.g. sqlite:///mlflow.db "
            "(a relative path is taken from the repository root)"
        )
    if os.path.isdir(path):
        raise FatalError(f"cannot open the sqlite registry {shown}: it is a directory (name the database file)")
    if not os.path.lexists(path):
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise FatalError(f"cannot open the sqlite registry {shown}: the folder {printable(folder)} does not exist")
        return False
    if not os.path.isfile(path):  # a FIFO would block the read; a dangling link is no database either
        raise FatalError(f"cannot open the sqlite registry {shown}: it is not a regular file")
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise FatalError(f"cannot open the sqlite registry {shown}: {error.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise FatalError(f"{shown} is not an MLflow sqlite database (it is not a SQLite file at all): {CHECK_URI}")
    tables = _tables(path) if header else set()
    if tables and "alembic_version" not in tables:  # MLflow would add its tables to it, even for a plan
        raise FatalError(f"{shown} is not an MLflow sqlite database (it is some other SQLite database): {CHECK_URI}")
    return tables != set()  # None: SQLite cannot read it now, and MLflow will say why


def _tables(path: str) -> set[str] | None:
    """The tables of a SQLite file, read without writing to it; None when SQLite cannot read it now."""
    try:
        ro = f"file:{urllib.parse.quote(path)}?mode=ro"
        with contextlib.closing(sqlite3.connect(ro, uri=True, timeout=5)) as db:
            return {str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return None  # locked, or damaged


def workers_for(uri: str) -> int:
    """Threads across models: a server answers several at once; an embedded sqlite file does not."""
    return 4 if uri.startswith(("http://", "https://")) else 1
