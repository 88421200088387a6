"""History-aware policy: `min_staging_hours` (rule soak-time) and `gates` (rule gate).

Both are judged by `check` and by the editing commands, and a refusing command must print what
`check` prints for the same edit made by hand. Commit dates are set relative to now (48 hours ago
against 1 hour ago against a 24-hour soak), so no test depends on how fast it runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from helpers.cli import Result
from helpers.gitrepo import Repo
from helpers.marks import quick_first

FRAUD = "models/fraud.yaml"
SOAK = "policy:\n  min_staging_hours: 24\n"
GATES = "policy:\n  gates:\n    production:\n      auc: {min: 0.9}\n    staging:\n      latency_ms: {max: 50}\n"


def hours_ago(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def commit(repo: Repo, message: str, hours: float, author_hours: float | None = None) -> str:
    """Commit everything, committed `hours` ago (and authored `author_hours` ago, default the same)."""
    repo.git("add", "-A")
    author = hours if author_hours is None else author_hours
    env = {"GIT_AUTHOR_DATE": hours_ago(author), "GIT_COMMITTER_DATE": hours_ago(hours)}
    repo.git("commit", "-q", "-m", message, env=env)
    return repo.git("rev-parse", "HEAD").strip()


def model(*versions: tuple[int, str, str]) -> str:
    """fraud with (number, stage, metrics) entries; metrics "" leaves the key out."""
    lines = ["name: fraud", "versions:"]
    for number, stage, metrics in versions:
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: s3://fraud/{number}"]
        if metrics:
            lines.append(f"    metrics: {metrics}")
    return "\n".join(lines) + "\n"


def errors(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("models/")]


def rules(result: Result) -> list[str]:
    return [line.split(": ")[1] for line in errors(result)]


def refused_like_check(repo: Repo, args: tuple[str, ...], hand_edit: str) -> Result:
    """Run the command (must be refused, file untouched), then `check` the same edit made by hand."""
    before = (repo.path / FRAUD).read_bytes()
    refused = repo.stagectl(*args)
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert (repo.path / FRAUD).read_bytes() == before
    repo.write(FRAUD, hand_edit)
    checked = repo.stagectl("check")
    assert checked.returncode == 1
    assert errors(refused) == errors(checked)
    return refused


# -- soak-time -------------------------------------------------------------------------------------


def test_soak_time_met_lets_promote_and_check_pass(repo: Repo) -> None:
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "none", "")))
    commit(repo, "add fraud", 72)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "stage fraud 1", 48)
    result = repo.stagectl("promote", "fraud", "1")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert (repo.path / FRAUD).read_text() == model((1, "production", ""))
    assert repo.stagectl("check").returncode == 0


def test_soak_time_not_met_refuses_promote_with_checks_message(repo: Repo) -> None:
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "none", "")))
    commit(repo, "add fraud", 72)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "stage fraud 1", 1)
    refused = refused_like_check(repo, ("promote", "fraud", "1"), model((1, "production", "")))
    assert len(errors(refused)) == 1
    assert errors(refused)[0].startswith(f"{FRAUD}:4:5: soak-time: version 1 has been in staging for 1.0 of the 24 ")


def test_version_registered_straight_into_staging_soaks_from_that_commit(repo: Repo) -> None:
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "register fraud 1 in staging", 48)
    repo.write(FRAUD, model((1, "production", "")))
    assert repo.stagectl("check").returncode == 0


def test_soak_counts_from_the_latest_entry_into_staging(repo: Repo) -> None:
    """Staging three days ago, back to none, staging again an hour ago: one hour of soak, not 72."""
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "stage", 72)
    repo.write(FRAUD, model((1, "none", "")))
    commit(repo, "unstage", 48)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "stage again", 1)
    repo.write(FRAUD, model((1, "production", "")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert rules(result) == ["soak-time"]


def test_soak_counts_from_the_merge_that_brought_staging_to_the_base_branch(repo: Repo) -> None:
    """Staged on a branch three days ago but merged an hour ago: it has soaked on main for an hour."""
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "none", "")))
    commit(repo, "add fraud", 96)
    repo.git("checkout", "-q", "-b", "stage-fraud")
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "stage fraud 1", 72)
    repo.git("checkout", "-q", "main")
    merged_at = {"GIT_AUTHOR_DATE": hours_ago(1), "GIT_COMMITTER_DATE": hours_ago(1)}
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #3 from x/stage-fraud", "stage-fraud", env=merged_at)
    repo.write(FRAUD, model((1, "production", "")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert rules(result) == ["soak-time"]


def test_soak_refused_in_a_shallow_clone_says_history_is_missing(repo: Repo, tmp_path: Path) -> None:
    """Depth 1 makes the newest commit look like the one that staged v1: the refusal says to fetch more."""
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "register fraud 1 in staging", 48)
    repo.write("README.md", "unrelated\n")
    commit(repo, "docs", 1)
    clone = repo.shallow_clone(tmp_path / "shallow")
    clone.write(FRAUD, model((1, "production", "")))
    refused = clone.stagectl("check")
    assert rules(refused) == ["soak-time"]
    assert "this clone is shallow" in refused.stdout and "fetch-depth: 0" in refused.stdout
    clone.git("fetch", "-q", "--unshallow", "origin")
    assert clone.stagectl("check").returncode == 0


def test_soak_uses_the_commit_date_not_the_author_date(repo: Repo) -> None:
    """A commit authored three days ago but rebased onto main an hour ago has soaked for an hour."""
    repo.write("stagectl.yaml", SOAK)
    repo.write(FRAUD, model((1, "none", "")))
    commit(repo, "add fraud", 96)
    repo.write(FRAUD, model((1, "staging", "")))
    commit(repo, "stage fraud 1", 1, author_hours=72)
    repo.write(FRAUD, model((1, "production", "")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert rules(result) == ["soak-time"]


def test_soak_time_judged_by_check_base_for_a_pull_request(repo: Repo) -> None:
    """`check --base main` on a branch: the soak is counted on main's history."""
    repo.write("stagectl.yaml", SOAK + "  max_production: 2\n")
    repo.write(FRAUD, model((1, "staging", ""), (2, "none", "")))
    commit(repo, "fraud 1 staged, 2 registered", 48)
    repo.write(FRAUD, model((1, "staging", ""), (2, "staging", "")))
    commit(repo, "stage fraud 2", 2)
    repo.git("checkout", "-q", "-b", "promote")
    repo.write(FRAUD, model((1, "production", ""), (2, "production", "")))
    commit(repo, "promote both", 1)
    result = repo.stagectl("check", "--base", "main")
    assert result.returncode == 1
    assert [e.split(": ")[0:2] for e in errors(result)] == [[f"{FRAUD}:7:5", "soak-time"]]


# -- gates -----------------------------------------------------------------------------------------


@pytest.fixture
def gated(repo: Repo) -> Repo:
    """v1 in staging with a low auc, v2 in staging with a good one, v3 in none without metrics."""
    repo.write("stagectl.yaml", GATES)
    repo.write(
        FRAUD,
        model((1, "staging", "{auc: 0.85}"), (2, "staging", "{auc: 0.95, latency_ms: 20}"), (3, "none", "")),
    )
    repo.commit("gated fraud")
    return repo


def test_gate_refuses_promotion_below_the_threshold(gated: Repo) -> None:
    hand_edit = model((1, "production", "{auc: 0.85}"), (2, "staging", "{auc: 0.95, latency_ms: 20}"), (3, "none", ""))
    refused = refused_like_check(gated, ("promote", "fraud", "1"), hand_edit)
    assert errors(refused) == [f"{FRAUD}:6:15: gate: auc 0.85 of version 1 misses the production gate (auc ≥ 0.9)"]


def test_gate_lets_a_version_over_the_threshold_through(gated: Repo) -> None:
    result = gated.stagectl("promote", "fraud", "2")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert gated.stagectl("check").returncode == 0


def test_gate_refuses_a_version_without_the_metric(gated: Repo) -> None:
    hand_edit = model((1, "staging", "{auc: 0.85}"), (2, "staging", "{auc: 0.95, latency_ms: 20}"), (3, "staging", ""))
    refused = refused_like_check(gated, ("promote", "fraud", "3"), hand_edit)
    assert rules(refused) == ["gate"]
    assert "without the metric 'latency_ms'" in errors(refused)[0]


def test_gate_applies_to_a_new_version_registered_into_a_gated_stage(gated: Repo) -> None:
    before = (gated.path / FRAUD).read_bytes()
    result = gated.stagectl("register", "fraud", "--source", "s3://fraud/4", "--stage", "staging")
    assert result.returncode == 1
    assert rules(result) == ["gate"]
    assert (gated.path / FRAUD).read_bytes() == before
    assert gated.stagectl("register", "fraud", "--source", "s3://fraud/4").returncode == 0  # none has no gate


def test_gate_judges_the_end_state_so_metrics_can_arrive_with_the_promotion(gated: Repo) -> None:
    gated.write(
        FRAUD,
        model((1, "production", "{auc: 0.91}"), (2, "staging", "{auc: 0.95, latency_ms: 20}"), (3, "none", "")),
    )
    assert gated.stagectl("check").returncode == 0


def test_soak_and_gate_are_both_reported(repo: Repo) -> None:
    repo.write("stagectl.yaml", SOAK + "  gates:\n    production:\n      auc: {min: 0.9}\n")
    repo.write(FRAUD, model((1, "none", "{auc: 0.5}")))
    commit(repo, "add", 72)
    repo.write(FRAUD, model((1, "staging", "{auc: 0.5}")))
    commit(repo, "stage", 1)
    refused = refused_like_check(repo, ("promote", "fraud", "1"), model((1, "production", "{auc: 0.5}")))
    assert sorted(rules(refused)) == ["gate", "soak-time"]


@pytest.mark.parametrize(
    "policy",
    quick_first(
        "policy:\n  min_staging_hours: -1\n",
        "policy:\n  min_staging_hours: a day\n",
        "policy:\n  gates:\n    production:\n      auc: {}\n",
        "policy:\n  gates:\n    live:\n      auc: {min: 0.9}\n",
        "policy:\n  gates:\n    production:\n      auc: {least: 0.9}\n",
    ),
    ids=["negative-hours", "hours-not-a-number", "empty-bound", "unknown-stage", "unknown-bound"],
)
def test_invalid_history_policy_at_head_means_the_edit_cannot_be_judged(repo: Repo, policy: str) -> None:
    repo.write("stagectl.yaml", policy)
    repo.write(FRAUD, model((1, "none", "")))
    repo.commit("bad policy")
    result = repo.stagectl("promote", "fraud", "1")
    assert result.returncode == 2
    assert "stagectl.yaml" in result.stderr
    assert repo.git("status", "--porcelain") == ""
