"""Apply judges what it writes: per model, one first-parent step at a time, never backwards.

Each story runs the CLI against MLflow's embedded sqlite store in a real git repository: what
reached the branch (merged in a race, pushed directly, checked out stale) against what the
registry ends up holding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.cli import Result
from helpers.gitrepo import Repo, init_repo
from helpers.registry import client, seed, sqlite_uri, state

pytestmark = pytest.mark.slow  # MLflow's embedded store, several applies a story

GATES = "policy:\n  gates:\n    production:\n      auc: {min: 0.9}\n"


@pytest.fixture
def repo(tmp_path: Path, registry_template: Path) -> Repo:
    """A repository whose registry file (mlflow.db at its root, empty, ready) is ignored: merges never touch it."""
    made = init_repo(tmp_path / "repo")
    made.write(".gitignore", "*.db\n")
    seed(registry_template, made.path / "mlflow.db")
    return made


def fraud(*versions: tuple[int, str, float | None]) -> str:
    """fraud with (number, stage, auc) entries; the metrics sit two lines below the stage, so that a
    change to one and a change to the other merge without a conflict."""
    lines = ["name: fraud", "versions:"]
    for number, stage, auc in versions:
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: s3://b/fraud/{number}"]
        lines.append(f"    run_id: run-{number}")
        if auc is not None:
            lines.append(f"    metrics: {{auc: {auc}}}")
    return "\n".join(lines) + "\n"


def simple(name: str, *versions: tuple[int, str]) -> str:
    lines = [f"name: {name}", "versions:"]
    for number, stage in versions:
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: s3://b/{name}/{number}"]
    return "\n".join(lines) + "\n"


def apply(repo: Repo, command: str = "apply") -> Result:
    assert (repo.path / ".gitignore").exists(), "the registry file must not be committed"
    return repo.stagectl(command, "--format", "json", in_process=True)


def errors(run: Result) -> list[tuple[str, int | None, str | None]]:
    return [(e["model"], e["version"], e["rule"]) for e in run.json()["errors"]]


def registry(repo: Repo, name: str) -> dict[str, Any]:
    return state(sqlite_uri(repo.path / "mlflow.db"), name)


def merge(repo: Repo, branch: str, number: int) -> str:
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from team/{branch}", branch)
    return repo.rev()


def branch(repo: Repo, name: str, content: str, start: str = "main") -> None:
    repo.git("checkout", "-q", "-b", name, start)
    repo.write("models/fraud.yaml", content)
    repo.commit(f"{name}")
    repo.git("checkout", "-q", "main")


def test_two_legal_merges_that_together_miss_a_gate_are_refused_until_a_fix_commit(repo: Repo) -> None:
    repo.write("stagectl.yaml", GATES)
    repo.write("models/fraud.yaml", fraud((1, "production", 0.95), (2, "staging", 0.95)))
    repo.commit("fraud 1 in production, 2 in staging")
    assert apply(repo).returncode == 0
    # Two pull requests, each legal alone, from the same base.
    branch(repo, "lower-auc", fraud((1, "production", 0.95), (2, "staging", 0.5)))
    branch(repo, "promote-2", fraud((1, "archived", 0.95), (2, "production", 0.95)))
    merge(repo, "lower-auc", 1)
    merged = merge(repo, "promote-2", 2)
    assert "auc: 0.5" in (repo.path / "models/fraud.yaml").read_text()  # merged without a conflict
    assert "stage: production" in (repo.path / "models/fraud.yaml").read_text()

    planned = apply(repo, "plan")
    assert planned.returncode == 1
    assert errors(planned) == [("fraud", 2, "gate")]
    assert merged[:12] in planned.json()["errors"][0]["message"]
    before = registry(repo, "fraud")

    applied = apply(repo)
    assert applied.returncode == 1, applied.stdout
    assert errors(applied) == [("fraud", 2, "gate")]
    assert "auc 0.5 of version 2 misses the production gate" in applied.json()["errors"][0]["message"]
    after = registry(repo, "fraud")
    assert after["aliases"] == {"production": 1, "staging": 2}  # production NOT moved to version 2
    assert after["versions"] == before["versions"]
    assert {m["model"]: m["status"] for m in applied.json()["models"]} == {"fraud": "refused"}
    again = apply(repo)
    assert again.returncode == 1 and errors(again) == [("fraud", 2, "gate")]  # said on every run until fixed

    repo.write("models/fraud.yaml", fraud((1, "archived", 0.95), (2, "production", 0.93)))
    fix = repo.commit("raise the auc of fraud 2")
    fixed = apply(repo)
    assert fixed.returncode == 0, fixed.stdout
    assert registry(repo, "fraud")["aliases"] == {"production": 2}
    assert registry(repo, "fraud")["tags"]["stagectl.applied"] == fix
    assert apply(repo).json()["actions"] == []


def test_a_fix_that_demotes_instead_lets_the_model_move_on_too(repo: Repo) -> None:
    repo.write("stagectl.yaml", GATES)
    repo.write("models/fraud.yaml", fraud((1, "production", 0.95), (2, "staging", 0.5)))
    repo.commit("fraud")
    assert apply(repo).returncode == 0
    repo.write("models/fraud.yaml", fraud((1, "archived", 0.95), (2, "production", 0.5)))
    repo.commit("pushed straight to main: misses the gate")
    assert errors(apply(repo)) == [("fraud", 2, "gate")]
    repo.write("models/fraud.yaml", fraud((1, "production", 0.95), (2, "none", 0.5)))
    repo.commit("demote 2 instead")
    fixed = apply(repo)
    assert fixed.returncode == 0, fixed.stdout
    found = registry(repo, "fraud")
    assert found["aliases"] == {"production": 1}
    assert found["versions"][2]["tags"]["stagectl.stage"] == "none"


def test_a_direct_push_from_none_to_production_is_refused_and_the_other_model_applied(repo: Repo) -> None:
    repo.write("models/fraud.yaml", simple("fraud", (1, "none")))
    repo.write("models/churn.yaml", simple("churn", (1, "staging")))
    repo.commit("two models")
    assert apply(repo).returncode == 0
    before = registry(repo, "fraud")

    repo.write("models/fraud.yaml", simple("fraud", (1, "production")))
    repo.write("models/churn.yaml", simple("churn", (1, "production")))
    repo.commit("straight to production")
    planned = repo.stagectl("plan", in_process=True)  # the same refusal, before anything is written
    assert planned.returncode == 1
    assert "fraud:\n  error: models/fraud.yaml:4:5: illegal-transition: none → production" in planned.stdout
    assert planned.stdout.endswith("; 1 refused\n")
    result = apply(repo)
    assert result.returncode == 1
    assert errors(result) == [("fraud", 1, "illegal-transition")]
    assert "none → production skips staging" in result.json()["errors"][0]["message"]
    assert registry(repo, "fraud") == before  # untouched
    assert registry(repo, "churn")["aliases"] == {"production": 1}
    assert {m["model"]: m["status"] for m in result.json()["models"]} == {"churn": "applied", "fraud": "refused"}
    text = repo.stagectl("apply", in_process=True)
    assert text.returncode == 1
    assert "fraud: refused\n" in text.stdout
    assert "error: models/fraud.yaml:" in text.stdout and ": illegal-transition: none → production" in text.stdout


def test_a_stale_checkout_never_takes_the_registry_back(repo: Repo) -> None:
    repo.write("models/fraud.yaml", simple("fraud", (1, "staging")))
    first = repo.commit("fraud 1 in staging")
    assert apply(repo).returncode == 0
    repo.write("models/fraud.yaml", simple("fraud", (1, "production")))
    second = repo.commit("promote fraud 1")
    assert apply(repo).returncode == 0
    before = registry(repo, "fraud")
    assert before["tags"]["stagectl.applied"] == second

    repo.git("checkout", "-q", first)  # an old workflow run re-run, or a stale checkout
    for command in ("plan", "apply"):
        result = apply(repo, command)
        assert result.returncode == 1, (command, result.stdout)
        assert errors(result) == [("fraud", None, "never-backwards")]
        message = result.json()["errors"][0]["message"]
        assert second[:12] in message and "not an ancestor of HEAD" in message and "revert" in message
        assert result.json()["actions"] == []
    assert registry(repo, "fraud") == before

    repo.git("checkout", "-q", "main")
    repo.git("revert", "--no-edit", second)  # the way back: a new commit, judged like any other
    reverted = apply(repo)
    assert reverted.returncode == 0, reverted.stdout
    assert registry(repo, "fraud")["aliases"] == {"staging": 1}


def test_an_invalid_model_file_holds_back_only_itself_and_a_rollback_still_applies(repo: Repo) -> None:
    repo.write("models/fraud.yaml", simple("fraud", (1, "production")))
    repo.write("models/churn.yaml", simple("churn", (1, "staging")))
    repo.commit("two models")
    assert apply(repo).returncode == 0
    repo.write("models/fraud.yaml", simple("fraud", (1, "archived"), (2, "staging")))
    repo.commit("register fraud 2")
    repo.write("models/fraud.yaml", simple("fraud", (1, "archived"), (2, "production")))
    repo.commit("promote fraud 2")
    assert apply(repo).returncode == 0
    churn = registry(repo, "churn")

    repo.write("models/fraud.yaml", simple("fraud", (1, "production"), (2, "archived")))  # the urgent rollback
    repo.write("models/churn.yaml", "name: churn\nversions:\n  - version: 1\n    stgae: production\n")
    repo.commit("roll fraud back; a typo in churn")
    result = apply(repo)
    assert result.returncode == 1
    assert {(model, rule) for model, _version, rule in errors(result)} == {("churn", "schema")}
    assert registry(repo, "fraud")["aliases"] == {"production": 1}
    assert registry(repo, "churn") == churn


def test_a_model_with_no_record_is_judged_on_its_own(repo: Repo) -> None:
    """A first apply: the file as `check --all` judges it (two versions in production is refused)."""
    repo.write("models/fraud.yaml", simple("fraud", (1, "production"), (2, "production")))
    repo.write("models/churn.yaml", simple("churn", (1, "production")))
    repo.commit("adopt")
    result = apply(repo)
    assert result.returncode == 1
    assert errors(result) == [("fraud", 2, "production-limit")]
    assert registry(repo, "churn")["aliases"] == {"production": 1}
    assert "do not validate, so there is nothing to apply for it" in result.stderr


def test_several_legal_merges_applied_at_once_stay_legal(repo: Repo) -> None:
    repo.write("models/fraud.yaml", simple("fraud", (1, "none")))
    repo.commit("fraud 1")
    assert apply(repo).returncode == 0
    branch(repo, "to-staging", simple("fraud", (1, "staging")))
    merge(repo, "to-staging", 1)
    branch(repo, "to-production", simple("fraud", (1, "production")))
    last = merge(repo, "to-production", 2)
    result = apply(repo)
    assert result.returncode == 0, result.stdout
    found = registry(repo, "fraud")
    assert found["aliases"] == {"production": 1}
    assert found["tags"]["stagectl.applied"] == last
    assert found["versions"][1]["tags"]["stagectl.commit"] == last


def test_a_record_that_names_no_commit_of_this_repository_is_refused_and_shown_escaped(repo: Repo) -> None:
    repo.write("models/fraud.yaml", simple("fraud", (1, "staging")))
    repo.commit("fraud")
    assert apply(repo).returncode == 0
    uri = sqlite_uri(repo.path / "mlflow.db")
    client(uri).set_registered_model_tag("fraud", "stagectl.applied", "\x1b[31mnot-a-commit")
    result = apply(repo)
    assert result.returncode == 1
    assert errors(result) == [("fraud", None, "never-backwards")]
    assert "\x1b" not in result.stdout and "\\x1b[31mnot" in result.stdout


def test_a_deleted_model_file_with_a_live_version_holds_the_model(repo: Repo) -> None:
    """model-removed after merge: the model stays as applied, said on every run (exit 1), never dropped silently."""
    repo.write("models/fraud.yaml", simple("fraud", (1, "staging"), (2, "none")))
    repo.write("models/churn.yaml", simple("churn", (1, "staging")))
    applied_from = repo.commit("two models")
    assert apply(repo).returncode == 0
    before = registry(repo, "fraud")

    (repo.path / "models/fraud.yaml").unlink()
    repo.write("models/churn.yaml", simple("churn", (1, "production")))
    deleted = repo.commit("delete fraud while version 1 is in staging; promote churn")
    for command in ("plan", "apply"):
        result = apply(repo, command)
        assert result.returncode == 1, (command, result.stdout)
        assert errors(result) == [("fraud", None, "model-removed")]
        message = result.json()["errors"][0]["message"]
        assert "models/fraud.yaml was deleted while version 1 is staging" in message
        assert deleted[:12] in message and applied_from[:12] in message
    assert {m["model"]: m["status"] for m in result.json()["models"]} == {"churn": "applied", "fraud": "refused"}
    assert registry(repo, "fraud") == before  # held where it was
    assert registry(repo, "churn")["aliases"] == {"production": 1}
    text = repo.stagectl("apply", in_process=True)
    assert text.returncode == 1
    assert "fraud: refused\n" in text.stdout and "model-removed" in text.stdout


def test_a_legal_removal_applies_the_archive_before_it_and_then_leaves_the_model_alone(repo: Repo) -> None:
    repo.write("models/fraud.yaml", simple("fraud", (1, "production")))
    repo.commit("fraud 1 in production")
    assert apply(repo).returncode == 0
    repo.write("models/fraud.yaml", simple("fraud", (1, "archived")))
    repo.commit("archive fraud 1")
    (repo.path / "models/fraud.yaml").unlink()
    deleted = repo.commit("retire fraud")

    result = apply(repo)
    assert result.returncode == 0, result.stdout
    assert errors(result) == []
    found = registry(repo, "fraud")
    assert found["aliases"] == {}  # the archive before the removal reached the registry
    assert found["versions"][1]["tags"]["stagectl.stage"] == "archived"
    assert found["tags"]["stagectl.applied"] == deleted
    again = apply(repo)
    assert again.returncode == 0 and again.json()["actions"] == [] and again.json()["models"] == []
    assert repo.stagectl("diff", "--format", "json", in_process=True).json()["unmanaged"] == ["fraud"]


def test_a_model_another_repository_applied_to_the_same_registry_is_left_alone(repo: Repo, tmp_path: Path) -> None:
    """A registry shared by two models repositories: neither judges the other's models as removed."""
    repo.write("models/fraud.yaml", simple("fraud", (1, "staging")))
    repo.commit("fraud")
    assert apply(repo).returncode == 0
    uri = sqlite_uri(repo.path / "mlflow.db")
    other = init_repo(tmp_path / "other")
    other.write("models/churn.yaml", simple("churn", (1, "staging")))
    other.commit("churn, in another repository")
    result = other.stagectl("apply", "--registry", uri, "--format", "json", in_process=True)
    assert result.returncode == 0, result.stdout
    assert errors(result) == [] and {m["model"] for m in result.json()["models"]} == {"churn"}
    assert other.stagectl("diff", "--registry", uri, "--format", "json", in_process=True).json()["unmanaged"] == [
        "fraud"
    ]
    assert apply(repo).json()["actions"] == []
