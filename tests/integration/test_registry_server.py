"""plan / apply against a real `mlflow server` over HTTP, and what happens when it fails.

The server validates what the embedded store lets through, returns versions as strings, and can
be killed half-way through an apply.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import start_stagectl
from helpers.gitrepo import Repo
from helpers.models import model_yaml
from helpers.registry import Server, client, free_port, state
from helpers.warm import WarmProcess

pytestmark = pytest.mark.slow  # every test here talks to a real `mlflow server`


def write_models(repo: Repo, names: list[str], stages: list[str]) -> str:
    for name in names:
        repo.write(f"models/{name}.yaml", model_yaml(name, *enumerate(stages, 1), source="s3://b", run_ids=True))
    return repo.commit(f"{len(names)} models")


def assert_matches_files(uri: str, names: list[str], stages: list[str], sha: str) -> None:
    """Exactly the files' versions (none lost, none doubled), aliases and bookkeeping."""
    for name in names:
        found = state(uri, name)
        assert sorted(found["versions"]) == list(range(1, len(stages) + 1)), name
        for number, stage in enumerate(stages, 1):
            version = found["versions"][number]
            assert version["source"] == f"s3://b/{name}/{number}"
            assert version["tags"] == {"stagectl.stage": stage, "stagectl.commit": sha}
        assert found["aliases"] == {"production": stages.index("production") + 1, "staging": len(stages)}
        assert "stagectl.lock" not in found["tags"]


def test_apply_over_http_converges_and_the_second_apply_sends_no_write(
    repo: Repo, mlflow_server: Server, prefix: str
) -> None:
    names = [f"{prefix}-fraud", f"{prefix}-churn"]
    sha = write_models(repo, names, ["archived", "production", "staging"])
    url = mlflow_server.url
    first = repo.stagectl("apply", "--registry", url, "--format", "json", in_process=True)
    assert first.returncode == 0, first.stdout + first.stderr
    assert_matches_files(url, names, ["archived", "production", "staging"], sha)
    assert client(url).get_registered_model(names[0]).aliases == {"production": "2", "staging": "3"}  # str over HTTP

    before = mlflow_server.writes()
    second = repo.stagectl("apply", "--registry", url, "--format", "json", in_process=True)
    assert second.returncode == 0
    assert second.json()["actions"] == [] and second.json()["writes"] == 0
    assert mlflow_server.writes() == before  # counted by the server itself
    assert repo.stagectl("diff", "--registry", url, "--model", names[0], in_process=True).returncode == 0


def test_the_server_refuses_what_the_embedded_store_accepts_and_only_that_model_fails(
    repo: Repo, mlflow_server: Server, prefix: str
) -> None:
    local, good = f"{prefix}-local", f"{prefix}-good"
    repo.write(f"models/{local}.yaml", model_yaml(local, (1, "staging"), source="file:///mnt/models", run_ids=True))
    repo.write(f"models/{good}.yaml", model_yaml(good, (1, "production"), source="s3://b", run_ids=True))
    repo.commit()
    embedded = repo.stagectl("apply", "--registry", f"sqlite:///{repo.path}/embedded.db", in_process=True)
    assert embedded.returncode == 0  # the embedded store takes a local path with a run id it never checks

    result = repo.stagectl("apply", "--registry", mlflow_server.url, "--format", "json", in_process=True)
    assert result.returncode == 1
    (error,) = result.json()["errors"]
    assert error["model"] == local and "Invalid model version source" in error["message"]
    models = {m["model"]: m["status"] for m in result.json()["models"]}
    assert models == {good: "applied", local: "failed"}
    assert state(mlflow_server.url, good)["aliases"] == {"production": 1}


def test_no_registry_at_the_uri_is_exit_2_without_minutes_of_retries(repo: Repo) -> None:
    write_models(repo, ["fraud"], ["production"])
    # The subprocess timeout holds the contract: said within 60 seconds.
    result = repo.stagectl("plan", "--registry", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert result.stderr.startswith("stagectl: error: cannot reach the MLflow registry at http://127.0.0.1:")
    assert "Connection refused" in result.stderr
    assert "(start the server, or point --registry / MLFLOW_TRACKING_URI at it)" in result.stderr


class _Unavailable(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def unavailable() -> Iterator[str]:
    """A proxy that answers 503 to everything: a registry behind it that is down."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_503_is_retried_a_bounded_number_of_times(repo: Repo, unavailable: str) -> None:
    write_models(repo, ["fraud"], ["production"])
    _Unavailable.hits = 0
    result = repo.stagectl("plan", "--registry", unavailable, in_process=True)
    assert result.returncode == 2
    assert result.stderr == (
        f"stagectl: error: the MLflow registry at {unavailable} is failing: the registry kept failing "
        "(HTTP 503 on every attempt) (try again when it is back)\n"
    )
    assert _Unavailable.hits == 3


def _apply_process(repo: Repo, url: str, env: dict[str, str] | None = None) -> WarmProcess | subprocess.Popen[str]:
    return start_stagectl(repo.path, "apply", "--registry", url, "--format", "json", env=env)


def test_server_killed_mid_apply_then_apply_again_converges(
    repo: Repo, tmp_path: Path, mlflow_server: Server, prefix: str
) -> None:
    """A server process dies mid-apply; the next apply, through a server on the same store (the session's
    own, as a restarted or load-balanced process would be), finishes the work and reverts nothing.

    The kill takes the doomed server's workers all at once, whatever their number, so it runs one (each
    costs 3-4 s of CPU to start; the apply's 4 threads still have requests in flight when it dies); the
    session's server, 4 workers on PostgreSQL, does the converging."""
    doomed = mlflow_server.sibling(tmp_path / "own-server")  # its own process, to kill; the session's store
    doomed.start()
    names = [f"{prefix}-m{i:02d}" for i in range(20)]
    stages = ["archived", "production", "staging"]
    sha = write_models(repo, names, stages)
    try:
        running = _apply_process(repo, doomed.url, {"MLFLOW_HTTP_REQUEST_TIMEOUT": "4"})
        deadline = time.monotonic() + 120
        while doomed.writes() < 30 and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        doomed.kill(signal.SIGKILL)  # mid-apply: about 30 of some 120 writes made
        out, err = running.communicate(timeout=120)
        assert running.returncode == 1, out + err
        assert "Traceback" not in err
        assert 0 < _applied(mlflow_server.url, names) < len(names)  # the store holds a half-done apply
    finally:
        doomed.kill()
    before = mlflow_server.writes()
    again = repo.stagectl("apply", "--registry", mlflow_server.url, "--format", "json", in_process=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.json()["reverted"] == []  # what the killed apply left undone is no drift
    assert mlflow_server.writes() > before
    assert_matches_files(mlflow_server.url, names, stages, sha)
    before = mlflow_server.writes()
    no_op = repo.stagectl("apply", "--registry", mlflow_server.url, "--format", "json", in_process=True)
    assert no_op.json()["writes"] == 0
    assert mlflow_server.writes() == before


def _applied(url: str, names: list[str]) -> int:
    """How many of `names` the registry holds with at least one version."""
    mlflow = client(url)
    return sum(1 for name in names if mlflow.search_model_versions(f"name = '{name}'"))


def test_two_applies_racing_end_in_the_files_state(repo: Repo, mlflow_server: Server, prefix: str) -> None:
    names = [f"{prefix}-race{i}" for i in range(8)]
    stages = ["archived", "production", "staging"]
    sha = write_models(repo, names, stages)
    first, second = _apply_process(repo, mlflow_server.url), _apply_process(repo, mlflow_server.url)
    outputs = [p.communicate(timeout=240) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert_matches_files(mlflow_server.url, names, stages, sha)
    mlflow = client(mlflow_server.url)
    for name in names:  # no version number was burnt by the race either
        assert "stagectl.next_version" not in mlflow.get_registered_model(name).tags


def test_three_applies_at_once_converge_without_a_spurious_failure(
    repo: Repo, mlflow_server: Server, prefix: str
) -> None:
    names = [f"{prefix}-three{i}" for i in range(8)]
    stages = ["archived", "production", "staging"]
    sha = write_models(repo, names, stages)
    racers = [_apply_process(repo, mlflow_server.url) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in racers]
    assert [p.returncode for p in racers] == [0, 0, 0], outputs
    assert_matches_files(mlflow_server.url, names, stages, sha)
    mlflow = client(mlflow_server.url)
    for name in names:
        tags = mlflow.get_registered_model(name).tags
        assert "stagectl.next_version" not in tags and tags["stagectl.applied"] == sha


def test_a_registry_that_stops_answering_mid_apply_is_given_up_on_within_two_minutes(
    repo: Repo, tmp_path: Path, registry_template: Path
) -> None:
    """SIGSTOP: the server accepts connections and never answers. Every model is reported.

    A user's MLFLOW_HTTP_REQUEST_TIMEOUT of 4 s (stagectl caps it at 15 s) keeps the test short; the give-up
    is the same: the first call left unanswered stops the run, the rest are not tried. With the cap, about
    a minute and a half here; with 4 s, a fraction of that."""
    server = Server(tmp_path / "stopped-server")
    server.folder.mkdir()
    server.seed(registry_template)  # its own store (it is stopped mid-apply), migrated once for the session
    server.start()
    names = [f"h{i:02d}" for i in range(40)]
    write_models(repo, names, ["archived", "production", "staging"])
    assert server.process is not None
    group = server.process.pid
    try:
        running = _apply_process(repo, server.url, {"MLFLOW_HTTP_REQUEST_TIMEOUT": "4"})
        deadline = time.monotonic() + 120
        while server.writes() < 20 and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(group, signal.SIGSTOP)
        stopped = time.monotonic()
        out, err = running.communicate(timeout=180)
        took = time.monotonic() - stopped
        assert running.returncode == 1, out + err
        assert took < 60, took  # 4 s a call: minutes only if every model waited its own time-outs
        report = json.loads(out)
        statuses = {m["model"]: m["status"] for m in report["models"]}
        assert sorted(statuses) == names  # every model reported
        failed = [m for m, status in statuses.items() if status == "failed"]
        assert failed
        messages = {e["model"]: e["message"] for e in report["errors"]}
        assert all(m in messages for m in failed)
        assert any("not tried: the registry stopped answering earlier in this run" in m for m in messages.values())
        assert all(e["rule"] is None for e in report["errors"])
    finally:
        os.killpg(group, signal.SIGCONT)
        server.kill()


def test_the_scale_out_server_keeps_the_registry_in_postgresql(
    repo: Repo, mlflow_server: Server, prefix: str, request: pytest.FixtureRequest
) -> None:
    """The `postgresql` runs are what they say: what apply wrote over HTTP is in PostgreSQL's tables,
    served by 4 workers."""
    if request.node.callspec.params["mlflow_server"] != "postgresql":
        pytest.skip("the sqlite-backed server: its store is a file")
    import psycopg2

    name = f"{prefix}-pg"
    write_models(repo, [name], ["production"])
    assert repo.stagectl("apply", "--registry", mlflow_server.url, in_process=True).returncode == 0
    connection = psycopg2.connect(mlflow_server.store.replace("+psycopg2", "", 1))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT alias, version FROM registered_model_aliases WHERE name = %s", (name,))
            assert cursor.fetchall() == [("production", 1)]
    finally:
        connection.close()
    assert mlflow_server.workers == 4
    assert len(re.findall(r"Started server process", mlflow_server.log.read_text())) >= 4
