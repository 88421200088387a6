"""Where the registry is: --registry, else MLFLOW_TRACKING_URI, else stagectl.yaml, else sqlite at the root."""

from __future__ import annotations

import os
from collections.abc import Mapping

from stagectl.policy import RegistrySettings

DEFAULT_URI = "sqlite:///mlflow.db"
SQLITE = "sqlite:///"


def resolve(flag: str | None, env: Mapping[str, str], settings: RegistrySettings, root: str) -> str:
    uri = flag or env.get("MLFLOW_TRACKING_URI") or settings.uri or DEFAULT_URI
    return absolute(uri, root)


def absolute(uri: str, root: str) -> str:
    """A relative sqlite path is taken from the repository root, wherever stagectl runs."""
    if uri.startswith(SQLITE) and not uri.startswith(SQLITE + "/"):
        return SQLITE + os.path.join(root, uri[len(SQLITE) :])
    return uri


def sqlite_file(uri: str) -> str | None:
    """The database file of a sqlite URI (None for any other URI)."""
    if not uri.startswith(SQLITE):
        return None
    path = uri[len(SQLITE) :].split("?", 1)[0]
    return path or None


def workers_for(uri: str) -> int:
    """Threads across models: a server answers several at once; an embedded sqlite file does not."""
    return 4 if uri.startswith(("http://", "https://")) else 1
