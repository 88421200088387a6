"""`stagectl status` and `stagectl history` read git, never the working tree, on one realistic history.

The history has a squash-merged PR, a `--no-ff` merge of a pull request whose side commit names
another PR, a `#N` in the middle of a subject, a revert, a commit that only edits metrics and
comments, an unreadable revision, an author date in another time zone, and uncommitted changes
that neither command may show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import run_on_terminal
from helpers.gitrepo import Repo

FRAUD = "models/fraud.yaml"
CHURN = "models/churn.yml"


def fraud(*versions: tuple[int, str], metrics: str = "{auc: 0.91}") -> str:
    """fraud's file: block entries, each with a metrics line."""
    lines = ["name: fraud", "versions:"]
    for number, stage in versions:
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: s3://fraud/{number}"]
        lines.append(f"    metrics: {metrics}")
    return "\n".join(lines) + "\n"


def commit(repo: Repo, message: str, date: str, author_date: str | None = None) -> str:
    """Commit everything with these dates (the author date defaults to the commit date)."""
    repo.git("add", "-A")
    env = {"GIT_AUTHOR_DATE": author_date or date, "GIT_COMMITTER_DATE": date}
    repo.git("commit", "-q", "--allow-empty", "-m", message, env=env)
    return repo.git("rev-parse", "HEAD").strip()


@dataclass
class History:
    repo: Repo
    shas: dict[str, str]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    repo = Repo(tmp_path_factory.mktemp("history"))
    repo.git("init", "-q", "-b", "main")
    shas: dict[str, str] = {}
    repo.write(FRAUD, fraud((1, "none")))
    repo.write(CHURN, "name: churn\nversions:\n- {version: 1, stage: archived, source: s3://churn/1}\n")
    shas["add"] = commit(repo, "Add fraud and churn", "2024-01-01T10:00:00+00:00")

    repo.write(FRAUD, fraud((1, "staging")))
    repo.write(
        CHURN,
        "name: churn\nversions:\n- {version: 1, stage: archived, source: s3://churn/1}\n"
        "- {version: 2, stage: production, source: s3://churn/2}\n"
        "- {version: 3, stage: none, source: s3://churn/3}\n",
    )
    shas["squash"] = commit(
        repo, "Stage fraud 1 (#34)", "2024-01-02T12:00:00+00:00", author_date="2024-01-02T09:30:00+02:00"
    )

    repo.write(FRAUD, "not: [valid\n")
    shas["broken"] = commit(repo, "WIP", "2024-01-03T08:00:00+00:00")
    repo.write(
        FRAUD,
        "# fraud scorer\nname: fraud\nversions:\n"
        "  - {version: 1, stage: staging, source: s3://fraud/1, metrics: {auc: 0.93}}  # retrained\n",
    )
    shas["metrics"] = commit(repo, "Refresh metrics, see #21 for why", "2024-01-03T09:00:00+00:00")

    repo.git("checkout", "-q", "-b", "feature")
    repo.write(FRAUD, fraud((1, "production"), (2, "none"), metrics="{auc: 0.93}"))
    shas["side"] = commit(repo, "Promote fraud 1 (#99)", "2024-01-04T10:00:00+00:00")
    repo.git("checkout", "-q", "main")
    merge_env = {"GIT_AUTHOR_DATE": "2024-01-05T10:00:00+00:00", "GIT_COMMITTER_DATE": "2024-01-05T10:00:00+00:00"}
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #12 from x/y", "feature", env=merge_env)
    shas["merge"] = repo.git("rev-parse", "HEAD").strip()

    repo.write(FRAUD, fraud((1, "production"), (2, "staging"), metrics="{auc: 0.93}"))
    shas["midtext"] = commit(repo, "Fix #56 in the staging list", "2024-01-06T10:00:00+00:00")
    repo.write(FRAUD, fraud((1, "production"), (2, "none"), metrics="{auc: 0.93}"))
    shas["revert"] = commit(repo, 'Revert "Stage fraud 2 (#78)"', "2024-01-07T10:00:00+00:00")
    repo.write(FRAUD, fraud((1, "production"), (2, "none"), (3, "staging"), metrics="{auc: 0.93}"))
    shas["register"] = commit(repo, "Register fraud 3 (#80)", "2024-01-08T10:00:00+00:00")

    # Uncommitted: neither status nor history may see these.
    repo.write(FRAUD, fraud((1, "archived"), (2, "production"), (3, "staging"), metrics="{auc: 0.93}"))
    repo.write("models/ghost.yaml", "name: ghost\nversions: [{version: 1, stage: staging, source: s3://g/1}]\n")
    yield History(repo, shas)


def event(h: History, version: int, from_: str | None, to: str, at: str, date: str, pr: int | None) -> dict[str, Any]:
    return {
        "version": version,
        "from": from_,
        "to": to,
        "commit": h.shas[at],
        "author": "Test Author",
        "date": date,
        "pr": pr,
    }


def all_fraud_events(h: History) -> list[dict[str, Any]]:
    return [
        event(h, 1, None, "none", "add", "2024-01-01T10:00:00+00:00", None),
        event(h, 1, "none", "staging", "squash", "2024-01-02T09:30:00+02:00", 34),
        event(h, 1, "staging", "production", "merge", "2024-01-05T10:00:00+00:00", 12),
        event(h, 2, None, "none", "merge", "2024-01-05T10:00:00+00:00", 12),
        event(h, 2, "none", "staging", "midtext", "2024-01-06T10:00:00+00:00", None),
        event(h, 2, "staging", "none", "revert", "2024-01-07T10:00:00+00:00", None),
        event(h, 3, None, "staging", "register", "2024-01-08T10:00:00+00:00", 80),
    ]


# -- history ---------------------------------------------------------------------------------------


def test_history_json_one_event_per_stage_change_oldest_first(history: History) -> None:
    """Metric, comment and style edits, and an unreadable revision, are no events; merges are one."""
    result = history.repo.stagectl("history", "fraud", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json() == {"model": "fraud", "events": all_fraud_events(history)}


def test_history_of_one_version(history: History) -> None:
    result = history.repo.stagectl("history", "fraud", "--version", "2", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json()["events"] == [e for e in all_fraud_events(history) if e["version"] == 2]


def test_history_at_a_date_keeps_what_had_landed_by_the_end_of_that_day(history: History) -> None:
    """The side commit is dated the 4th but landed with the merge on the 5th: not in by the 4th."""
    result = history.repo.stagectl("history", "fraud", "--at", "2024-01-04", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json()["events"] == all_fraud_events(history)[:2]


def test_history_at_a_date_and_time(history: History) -> None:
    result = history.repo.stagectl("history", "fraud", "--at", "2024-01-06T10:00:00+00:00", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json()["events"] == all_fraud_events(history)[:5]


def test_history_at_a_ref(history: History) -> None:
    result = history.repo.stagectl("history", "fraud", "--at", history.shas["midtext"], "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json()["events"] == all_fraud_events(history)[:5]


def test_history_text(history: History) -> None:
    result = history.repo.stagectl("history", "fraud")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["DATE", "VERSION", "CHANGE", "COMMIT", "PR", "AUTHOR"]
    rows = lines[1:8]
    expected = [(e["version"], e["commit"][:10], e["pr"]) for e in all_fraud_events(history)]
    for row, (version, sha, pr) in zip(rows, expected, strict=True):
        assert f" {version} " in row
        assert sha in row
        assert (f"#{pr}" in row) if pr else ("#" not in row)
        assert row.endswith("Test Author")
    assert "new → none" in rows[0]
    assert "staging → production" in rows[2]
    assert lines[-1] == "In production now: version 1"
    assert "\x1b" not in result.stdout


def test_history_text_at_a_date_before_any_production(history: History) -> None:
    result = history.repo.stagectl("history", "fraud", "--at", "2024-01-03")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "In production at 2024-01-03: nothing"


def test_history_of_a_yml_model_with_flow_entries(history: History) -> None:
    result = history.repo.stagectl("history", "churn", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [(e["version"], e["from"], e["to"], e["pr"]) for e in result.json()["events"]] == [
        (1, None, "archived", None),
        (2, None, "production", 34),
        (3, None, "none", 34),
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("history", "ghost"),
        ("history", "fraud", "--at", "no-such-ref"),
        ("history", "../fraud"),
        ("history", "fraud", "--version", "99"),
    ],
    ids=["uncommitted-model", "bad-ref", "bad-name", "unknown-version"],
)
def test_history_usage_errors(history: History, args: tuple[str, ...]) -> None:
    result = history.repo.stagectl(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("stagectl: error: ")


def test_history_of_a_file_with_old_mac_line_ends(repo: Repo) -> None:
    """CR alone is a line break in YAML (and `check` accepts such a file): history must read it too."""
    content = "name: fraud\rversions:\r  - version: 1\r    stage: none\r    source: s3://fraud/1\r"
    repo.write(FRAUD, content.encode())
    commit(repo, "add fraud", "2024-02-01T10:00:00+00:00")
    repo.write(FRAUD, content.replace("none", "staging").encode())
    commit(repo, "stage fraud 1", "2024-02-02T10:00:00+00:00")
    result = repo.stagectl("history", "fraud", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [(e["from"], e["to"]) for e in result.json()["events"]] == [(None, "none"), ("none", "staging")]


# -- status ----------------------------------------------------------------------------------------


def test_status_json_reads_head_not_the_working_tree(history: History) -> None:
    result = history.repo.stagectl("status", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json() == {
        "ref": history.shas["register"],
        "models": [
            {
                "name": "churn",
                "versions": [
                    {"version": 2, "stage": "production"},
                    {"version": 3, "stage": "none"},
                    {"version": 1, "stage": "archived"},
                ],
            },
            {
                "name": "fraud",
                "versions": [
                    {"version": 1, "stage": "production"},
                    {"version": 3, "stage": "staging"},
                    {"version": 2, "stage": "none"},
                ],
            },
        ],
    }


def test_status_text_is_plain_when_piped(history: History) -> None:
    result = history.repo.stagectl("status")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "churn\t2\tproduction\nchurn\t3\tnone\nchurn\t1\tarchived\n"
        "fraud\t1\tproduction\nfraud\t3\tstaging\nfraud\t2\tnone\n"
    )


def test_status_of_one_model_at_a_ref(history: History) -> None:
    result = history.repo.stagectl("status", "fraud", "--ref", history.shas["squash"], "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.json() == {
        "ref": history.shas["squash"],
        "models": [{"name": "fraud", "versions": [{"version": 1, "stage": "staging"}]}],
    }


def test_status_by_stage(history: History) -> None:
    result = history.repo.stagectl("status", "--stage", "production")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "churn\t2\tproduction\nfraud\t1\tproduction\n"


def test_status_at_a_revision_where_a_file_is_unreadable(history: History) -> None:
    """The unreadable file is left out with a warning; the others are still listed."""
    result = history.repo.stagectl("status", "--ref", history.shas["broken"], "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [m["name"] for m in result.json()["models"]] == ["churn"]
    assert FRAUD in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("status", "ghost"),
        ("status", "--ref", "no-such-ref"),
        ("status", "--stage", "live"),
        ("status", "--ref", ""),
        ("status", "../fraud"),
    ],
    ids=["uncommitted-model", "bad-ref", "bad-stage", "empty-ref", "bad-name"],
)
def test_status_usage_errors(history: History, args: tuple[str, ...]) -> None:
    result = history.repo.stagectl(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    if args[-1] == "../fraud":  # refused as `new` refuses it, not looked for
        assert "is not a valid model name" in result.stderr


def run_on_tty(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run stagectl with its stdout on a pseudo-terminal; return what it printed there."""
    result = run_on_terminal(cwd, *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_status_colours_a_terminal_unless_no_color(history: History) -> None:
    coloured = run_on_tty(history.repo.path, "status")
    assert "\x1b[" in coloured
    assert "production" in coloured
    plain = run_on_tty(history.repo.path, "status", env={"NO_COLOR": "1"})
    assert "\x1b" not in plain
    assert plain.startswith("MODEL ") and "\t" not in plain  # still the table, only without colour


def test_a_model_with_no_versions_yet_is_listed_and_has_an_empty_history(repo: Repo) -> None:
    repo.write("models/fraud.yaml", fraud((1, "production")))
    repo.write("models/empty.yaml", "name: empty\nversions: []\n")
    repo.commit("two models")
    status = repo.stagectl("status", "--format", "json")
    assert status.returncode == 0
    assert status.json()["models"] == [
        {"name": "empty", "versions": []},
        {"name": "fraud", "versions": [{"version": 1, "stage": "production"}]},
    ]
    table = run_on_tty(repo.path, "status", "empty", env={"NO_COLOR": "1"})
    assert table.splitlines() == ["MODEL  VERSION  STAGE", "empty        -  no versions yet"]
    by_stage = repo.stagectl("status", "--stage", "production", "--format", "json").json()["models"]
    assert [m["name"] for m in by_stage] == ["fraud"]
    history = repo.stagectl("history", "empty", "--format", "json")
    assert (history.returncode, history.json()) == (0, {"model": "empty", "events": []})
