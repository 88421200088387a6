"""The semantics that make stagectl a policy gate: end states, rollbacks, and whose policy judges."""

from __future__ import annotations

from pathlib import Path

from helpers.gitrepo import Repo
from helpers.models import key_line, model_yaml

FRAUD = "models/fraud.yaml"


def test_archiving_v1_and_promoting_v2_in_one_change_is_legal(repo: Repo) -> None:
    """Rules judge the end state: the swap never has two production versions."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production")))
    result = repo.stagectl("check")
    assert (result.returncode, result.stdout) == (0, "")


def test_two_production_versions_are_refused(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(1), 5, "production-limit")]


def test_old_violation_in_an_untouched_file_is_not_blamed(repo: Repo) -> None:
    """A repository adopting stagectl with an old violation can still merge unrelated changes."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    repo.commit("base, already over the limit")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    assert repo.stagectl("check").returncode == 0
    # Touching the offending file without raising its production count is not blamed either.
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production"), (3, "none")))
    assert repo.stagectl("check").returncode == 0
    # Raising it is.
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production"), (3, "staging")))
    repo.commit("stage v3")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production"), (3, "production")))
    result = repo.stagectl("check")
    assert result.located() == [(FRAUD, key_line(2), 5, "production-limit")]


def _through_production(repo: Repo) -> None:
    """fraud v1: none -> staging -> production -> archived, one commit each, on the current branch."""
    for stage in ("none", "staging", "production", "archived"):
        repo.write(FRAUD, model_yaml("fraud", (1, stage), (2, "staging")))
        repo.commit(f"v1 {stage}")


def test_rollback_of_a_version_once_in_production_is_legal(repo: Repo) -> None:
    _through_production(repo)
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    result = repo.stagectl("check")
    assert (result.returncode, result.stdout) == (0, "")


def test_rollback_of_a_version_never_in_production_is_refused(repo: Repo) -> None:
    """archived -> production for a version that never served is a skipped promotion, not a rollback."""
    for stage in ("none", "archived"):
        repo.write(FRAUD, model_yaml("fraud", (1, stage)))
        repo.commit(f"v1 {stage}")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]


def test_a_rollback_refused_in_a_shallow_clone_says_history_is_missing(repo: Repo, tmp_path: Path) -> None:
    """Depth 1 cuts off the commit that had v1 in production: the refusal says to fetch more history."""
    _through_production(repo)
    clone = repo.shallow_clone(tmp_path / "shallow")
    clone.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    result = clone.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]
    assert "was never in production" in result.stdout and "this clone is shallow" in result.stdout
    assert "fetch-depth: 0" in result.stdout
    # A base older than the clone's history: not a commit here, and the hint says how to get it.
    older = clone.stagectl("check", "--base", "HEAD~1")
    assert older.returncode == 2 and "fetch-depth: 0" in older.stderr
    # history shows what it can, and warns that older history is missing.
    history = clone.stagectl("history", "fraud")
    assert history.returncode == 0 and "this clone is shallow" in history.stderr
    clone.git("fetch", "-q", "--unshallow", "origin")
    assert (clone.stagectl("check").returncode, clone.stagectl("check").stdout) == (0, "")
    assert "shallow" not in clone.stagectl("history", "fraud").stderr
    # A full clone's refusal of a real non-rollback carries no such note.
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "archived")))
    repo.commit("archive v2")
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production")))
    assert "shallow" not in repo.stagectl("check").stdout


def test_rollback_history_on_a_merged_side_branch_counts(repo: Repo) -> None:
    """v1 served only on a hotfix branch merged with --no-ff: the base's history still includes it."""
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.commit("v1 staging")
    repo.git("checkout", "-q", "-b", "hotfix")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("hotfix: v1 production")
    repo.write(FRAUD, model_yaml("fraud", (1, "archived")))
    repo.commit("hotfix: v1 archived")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge hotfix", "hotfix")
    repo.git("branch", "-q", "-D", "hotfix")
    # Along first parents v1 was never in production; only the merged side branch says so.
    first_parent_log = repo.git("log", "--first-parent", "-p", "--format=", "--", FRAUD)
    assert "+    stage: production" not in first_parent_log
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    result = repo.stagectl("check")
    assert (result.returncode, result.stdout) == (0, "")


def test_rollback_history_on_an_unmerged_branch_does_not_count(repo: Repo) -> None:
    """A branch the base never merged is not the base's history."""
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.commit("v1 staging")
    repo.git("checkout", "-q", "-b", "experiment")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("experiment: v1 production")
    repo.git("checkout", "-q", "main")
    repo.write(FRAUD, model_yaml("fraud", (1, "archived")))
    repo.commit("v1 archived")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]


def test_production_inside_the_pull_request_is_not_base_history(repo: Repo) -> None:
    """A PR cannot manufacture rollback history: archived -> staging -> production over two PR commits."""
    repo.write(FRAUD, model_yaml("fraud", (1, "archived")))
    base = repo.commit("v1 archived, never served")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.commit("pr: staging")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("pr: production")
    result = repo.stagectl("check", "--base", base)
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]


def test_policy_rollback_false_forbids_rollbacks(repo: Repo) -> None:
    repo.write("stagectl.yaml", "policy:\n  rollback: false\n")
    _through_production(repo)
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]
    assert "rollback" in result.stdout


def test_a_change_cannot_loosen_the_policy_that_judges_it(repo: Repo) -> None:
    """The base's stagectl.yaml judges: raising max_production and using it in one PR is refused."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging"), (3, "staging")))
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "loosen")
    repo.write("stagectl.yaml", "policy:\n  max_production: 3\n  transitions:\n    none: [production]\n")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    repo.commit("add churn")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production"), (3, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "production")))
    repo.commit("loosen the policy and use it")
    result = repo.stagectl("check", "--base", "main")
    assert result.returncode == 1
    assert result.located() == [
        ("models/churn.yaml", key_line(0), 5, "illegal-transition"),
        (FRAUD, key_line(2), 5, "production-limit"),
    ]
    # Once the looser policy is merged, it judges the next change.
    repo.git("checkout", "-q", "main")
    repo.write("stagectl.yaml", "policy:\n  max_production: 3\n  transitions:\n    none: [production]\n")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    repo.commit("policy first")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production"), (3, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "production")))
    assert repo.stagectl("check").returncode == 0
    assert base != repo.rev()


def test_a_staged_policy_change_does_not_judge_its_own_commit(repo: Repo) -> None:
    """The pre-commit case: HEAD's policy judges the index, even when the index loosens it."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.write("stagectl.yaml", "policy:\n  transitions:\n    none: [production]\n")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.git("add", "-A")
    for args in (["--staged"], []):
        result = repo.stagectl("check", *args)
        assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")], args


def test_moving_models_dir_in_a_change_does_not_hide_it(repo: Repo) -> None:
    """A change that points models_dir at a folder that is not there hides nothing: the folder's absence
    is `policy`, and every live model of the base is a deletion (see test_settings_change.py for moves)."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none"), (2, "production")))
    repo.commit("base")
    repo.write("stagectl.yaml", "models_dir: elsewhere\n")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "archived")))
    (repo.path / "models/churn.yaml").write_text(model_yaml("churn", (1, "production")), encoding="utf-8")
    result = repo.stagectl("check")
    assert result.located() == [(FRAUD, 1, 1, "model-removed"), ("stagectl.yaml", 1, 1, "policy")]


def test_an_invalid_stagectl_yaml_in_the_change_is_rule_policy(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.write("stagectl.yaml", "models_dir: models\npolicy:\n  rollbak: false\n  max_production: -1\n")
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [("stagectl.yaml", 3, 3, "policy"), ("stagectl.yaml", 4, 3, "policy")]
    repo.write("stagectl.yaml", "policy: [\n")
    result = repo.stagectl("check")
    assert [(f, rule) for f, _line, _col, rule in result.located()] == [("stagectl.yaml", "policy")]


def test_an_invalid_stagectl_yaml_at_the_base_is_exit_2_with_one_line(repo: Repo) -> None:
    """The change cannot be judged at all: not a pass, not a rule violation."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.write("stagectl.yaml", "policy:\n  max_production: many\n")
    repo.commit("broken policy")
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    for args in (["check"], ["check", "--staged"], ["check", "--format", "json"]):
        result = repo.stagectl(*args)
        assert result.returncode == 2, args
        assert '"ok": true' not in result.stdout
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "stagectl.yaml" in result.stderr


def test_policy_transitions_replace_only_named_rows_through_the_cli(repo: Repo) -> None:
    """`none: [production]` at the base allows none -> production and drops none -> staging only."""
    repo.write("stagectl.yaml", "policy:\n  transitions:\n    none: [production]\n")
    repo.write(FRAUD, model_yaml("fraud", (1, "none"), (2, "none"), (3, "staging")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging"), (3, "archived")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(1), 5, "illegal-transition")]


def test_all_errors_in_all_files_are_reported(repo: Repo) -> None:
    """Not just the first: several files, several errors each, in file and line order."""
    repo.write("models/a.yaml", model_yaml("a", (1, "none"), (2, "staging")))
    repo.write("models/b.yaml", model_yaml("b", (1, "production")))
    repo.write("models/c.yaml", model_yaml("c", (1, "none")))
    repo.commit("base")
    repo.write("models/a.yaml", model_yaml("a", (1, "production"), (2, "none"), (3, "production")))
    (repo.path / "models/b.yaml").unlink()
    repo.write("models/c.yaml", "name: c\nname: c\nversions: []\n")
    repo.write("models/d.yaml", model_yaml("x", (1, "archived")))
    result = repo.stagectl("check", "--format", "json")
    assert result.returncode == 1
    found = [(e["file"], e["line"], e["column"], e["rule"]) for e in result.json()["errors"]]
    assert found == [
        ("models/a.yaml", key_line(0), 5, "illegal-transition"),
        ("models/a.yaml", key_line(2), 5, "illegal-transition"),
        ("models/a.yaml", key_line(2), 5, "production-limit"),
        ("models/b.yaml", 1, 1, "model-removed"),
        ("models/c.yaml", 2, 1, "yaml-duplicate-key"),
        ("models/d.yaml", 1, 1, "model-name"),
        ("models/d.yaml", key_line(0), 5, "illegal-transition"),
    ]
