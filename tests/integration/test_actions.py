"""Inside GitHub Actions: the base comes from the event payload, annotations by default, flags win,
and a clone too shallow to hold the base is an error with a hint, never a silent pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.gitrepo import Repo, init_repo
from helpers.models import key_line, model_yaml

FRAUD = "models/fraud.yaml"


@pytest.fixture
def pr(tmp_path: Path) -> tuple[Repo, str]:
    """origin: main (fraud v1 none, then main moves on) and a PR branch that skips staging.

    Returns the repository, checked out at the PR, and main's tip (the event's base sha).
    """
    repo = init_repo(tmp_path / "origin")
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("v1 none")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("skip staging")
    repo.git("checkout", "-q", "main")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    base = repo.commit("main moves on")
    repo.git("checkout", "-q", "pr")
    return repo, base


def actions_env(tmp_path: Path, event: str, payload: dict[str, object]) -> dict[str, str]:
    path = tmp_path / f"{event}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def pull_request(tmp_path: Path, base: str) -> dict[str, str]:
    return actions_env(tmp_path, "pull_request", {"pull_request": {"number": 7, "base": {"sha": base}}})


GITHUB_LINE = "::error file=models/fraud.yaml,line=4,col=5,title=illegal-transition::"


def test_pull_request_event_gives_the_base_and_the_github_format(pr: tuple[Repo, str], tmp_path: Path) -> None:
    repo, base = pr
    result = repo.stagectl("check", env=pull_request(tmp_path, base))
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1  # the merge-base is the base: churn.yaml is not blamed
    assert result.stdout.startswith(GITHUB_LINE)
    assert "illegal-transition" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_pull_request_merge_commit_checkout(pr: tuple[Repo, str], tmp_path: Path) -> None:
    """actions/checkout checks out the PR merged into the base tip: judged against that tip, only the
    PR's own change is blamed."""
    repo, base = pr
    repo.git("checkout", "-q", "--detach", base)
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pr into main", "pr")
    result = repo.stagectl("check", "--format", "json", env=pull_request(tmp_path, base))
    assert result.returncode == 1
    document = result.json()
    assert (document["base"], document["head"]) == (base, repo.rev())
    assert [(e["file"], e["line"], e["column"], e["rule"]) for e in document["errors"]] == [
        (FRAUD, key_line(0), 5, "illegal-transition")
    ]


def test_merge_group_event_gives_the_base(pr: tuple[Repo, str], tmp_path: Path) -> None:
    repo, base = pr
    env = actions_env(tmp_path, "merge_group", {"merge_group": {"base_sha": base, "head_sha": repo.rev()}})
    result = repo.stagectl("check", "--format", "json", env=env)
    assert result.returncode == 1
    document = result.json()
    assert (document["base"], document["head"]) == (repo.rev("main~1"), repo.rev())
    assert [(e["file"], e["line"], e["rule"]) for e in document["errors"]] == [
        (FRAUD, key_line(0), "illegal-transition")
    ]


def test_explicit_flags_win_over_the_actions_environment(pr: tuple[Repo, str], tmp_path: Path) -> None:
    repo, base = pr
    env = pull_request(tmp_path, base)
    as_json = repo.stagectl("check", "--format", "json", env=env)
    assert as_json.json()["base"] == repo.rev("main~1")
    as_text = repo.stagectl("check", "--format", "text", env=env)
    assert as_text.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]
    # --base names the PR's own tip: nothing changed, whatever the event says.
    own = repo.stagectl("check", "--base", "pr", "--format", "json", env=env)
    assert (own.returncode, own.json()["base"], own.json()["errors"]) == (0, repo.rev(), [])
    # --staged judges the index, not the event's range.
    staged = repo.stagectl("check", "--staged", "--format", "json", env=env)
    assert (staged.returncode, staged.json()["head"]) == (0, "INDEX")


def test_other_events_check_the_working_tree(pr: tuple[Repo, str], tmp_path: Path) -> None:
    repo, _base = pr
    env = actions_env(tmp_path, "workflow_dispatch", {})
    result = repo.stagectl("check", env=env)
    assert (result.returncode, result.stdout) == (0, "")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production")))
    result = repo.stagectl("check", env=env)
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=models/fraud.yaml,line=7,col=5,title=illegal-transition::")


def test_event_without_a_base_is_exit_2(pr: tuple[Repo, str], tmp_path: Path) -> None:
    repo, _base = pr
    for env in (
        actions_env(tmp_path, "pull_request", {"pull_request": {}}),
        {**pull_request(tmp_path, "x"), "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")},
    ):
        result = repo.stagectl("check", env=env)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_base_missing_from_a_shallow_clone_is_exit_2_with_a_hint(pr: tuple[Repo, str], tmp_path: Path) -> None:
    """actions/checkout's default depth 1: the event's base is not in the clone. Never a silent pass."""
    origin, base = pr
    clone = origin.shallow_clone(tmp_path / "shallow", branch="pr")
    assert clone.git("rev-parse", "--is-shallow-repository").strip() == "true"
    result = clone.stagectl("check", env=pull_request(tmp_path, base))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "fetch" in result.stderr
    # The base fetched, but still no common ancestor in the clone: the same error, not a pass.
    clone.git("fetch", "-q", "--depth", "1", "origin", "main")
    assert clone.git("cat-file", "-t", base).strip() == "commit"
    result = clone.stagectl("check", env=pull_request(tmp_path, base))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "fetch" in result.stderr
    # With the whole history, the check runs and fails the PR as it should.
    clone.git("fetch", "-q", "--unshallow", "origin")
    result = clone.stagectl("check", env=pull_request(tmp_path, base))
    assert result.returncode == 1
    assert result.stdout.startswith(GITHUB_LINE)
