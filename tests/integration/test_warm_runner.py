"""The warm runner (`helpers.warm`) is only faster: a run forked from it gives what a cold
`python -m stagectl` gives, byte for byte, exit status included."""

from __future__ import annotations

import subprocess

import pytest

from helpers import cli
from helpers.gitrepo import Repo
from helpers.models import model_yaml
from helpers.warm import starts_the_same

ACTIONS = {"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main", "GITHUB_EVENT_NAME": "pull_request"}
RUNS: list[tuple[tuple[str, ...], dict[str, str]]] = [
    (("check", "--all"), {}),
    (("check", "--all", "--format", "json"), {}),
    (("check", "--base", "main"), {}),
    (("check",), ACTIONS),  # the environment decides what is judged and how it is reported
    (("status", "--format", "json"), {}),
    (("history", "fraud"), {}),
    (("promote", "fraud", "1", "--dry-run"), {}),
    (("--help",), {}),
    (("check", "--no-such-flag"), {}),
    (("check", "--base", "no-such-ref"), {}),
]


@pytest.fixture
def mixed_repo(repo: Repo) -> Repo:
    """A committed model and a branch with a broken one: errors, a diff, history."""
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none")))
    repo.commit("fraud")
    repo.git("checkout", "-q", "-b", "change")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production")))
    repo.write("models/churn.yaml", "name: churn\nversions:\n  - version: 1\n    stgae: none\n")
    repo.commit("change")
    return repo


def test_a_warm_run_prints_and_exits_as_a_cold_one(mixed_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    warm = [mixed_repo.stagectl(*args, env=env) for args, env in RUNS]
    monkeypatch.setenv("STAGECTL_TEST_COLD", "1")
    cold = [mixed_repo.stagectl(*args, env=env) for args, env in RUNS]
    assert {result.returncode for result in cold} == {0, 1, 2}  # the runs cover every exit code
    assert warm == cold


def test_a_run_that_changes_how_python_starts_starts_cold(mixed_repo: Repo) -> None:
    base = cli.clean_env()
    assert starts_the_same(base, cli.clean_env({"GIT_CEILING_DIRECTORIES": "/"}))
    assert not starts_the_same(base, cli.clean_env({"PYTHONIOENCODING": "ascii"}))
    assert not starts_the_same(base, cli.clean_env({"LC_ALL": "C"}))
    escaped = mixed_repo.stagectl("check", "--base", "main", env={"PYTHONIOENCODING": "ascii"})
    assert escaped.returncode == 1 and escaped.stdout.isascii()


def test_a_run_past_its_timeout_is_killed_and_the_next_run_works(mixed_repo: Repo) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        cli.run_stagectl(mixed_repo.path, "check", "--all", timeout=1e-6)
    assert mixed_repo.stagectl("check", "--all").returncode == 1
