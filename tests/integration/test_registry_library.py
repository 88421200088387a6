"""plan / apply used as a library, in the caller's process: what they change while they run
(MLflow's HTTP settings, warnings, logging, the secrets hidden from messages) is put back after.

A host (a notebook, a service calling `stagectl.registry.session.apply`) must find its environment,
its logging and its warnings filters as they were, and a URI's secret must not outlive the run.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from helpers.gitrepo import Repo, init_repo
from helpers.models import model_yaml
from helpers.registry import sqlite_uri
from stagectl.errors import FatalError

pytestmark = pytest.mark.slow  # a fresh MLflow sqlite store: a schema migration


def process_state(secrets: str = "secret-token-123 pw-secret") -> dict[str, Any]:
    """What a run could leave changed in the process, as plain values."""
    from mlflow.store.db import utils

    from stagectl.registry import client

    loggers = logging.root.manager.loggerDict
    return {
        "environ": dict(os.environ),
        "logging.disable": logging.root.manager.disable,
        "root level": logging.root.level,
        "root handlers": list(logging.root.handlers),
        "disabled loggers": sorted(n for n, g in loggers.items() if isinstance(g, logging.Logger) and g.disabled),
        "warnings filters": list(warnings.filters),
        "mlflow db retries": utils.MAX_RETRY_COUNT,
        "hidden secrets": client.hidden(secrets),
    }


def test_apply_and_plan_leave_the_callers_process_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stagectl.registry import session

    repo: Repo = init_repo(tmp_path / "repo")
    repo.write(".gitignore", "*.db\n")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging"), source="s3://b", run_ids=True))
    repo.commit("fraud")
    uri = sqlite_uri(repo.path / "mlflow.db")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "300")  # the host's own setting, to be kept
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    logging.getLogger("host.app").info("a logger the host configured before the run")
    session.plan(uri, [], "json", {}, io.StringIO(), io.StringIO(), cwd=str(repo.path))  # MLflow imported
    before = process_state()

    out = io.StringIO()
    assert session.apply(uri, [], "json", {}, out, io.StringIO(), cwd=str(repo.path)) == 0, out.getvalue()
    assert process_state() == before
    assert session.plan(uri, [], "text", {}, io.StringIO(), io.StringIO(), cwd=str(repo.path)) == 0
    assert process_state() == before
    secret = "http://user:pw-secret@127.0.0.1:9/?token=secret-token-123"
    with pytest.raises(FatalError, match="cannot reach") as raised:
        session.plan(secret, [], "json", {}, io.StringIO(), io.StringIO(), cwd=str(repo.path))
    assert "pw-secret" not in str(raised.value) and "secret-token-123" not in str(raised.value)
    assert process_state() == before  # its secrets were hidden from messages during the run only


SECRETS = "other-token-456 pw-other"


def test_opening_a_registry_changes_nothing_outside_the_run() -> None:
    """Constructing the client is not a place for process-wide changes: those belong to the run's scope."""
    from stagectl.registry import client

    uri = "http://user:pw-other@127.0.0.1:9/?token=other-token-456"
    before = process_state(SECRETS)
    client.Registry(uri)
    assert process_state(SECRETS) == before
    with client.quiet_mlflow():
        client.hide_secrets_of(uri)
        assert client.hidden("pw-other") == "***"  # inside the run, the secret never reaches a message
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    assert process_state(SECRETS) == before
