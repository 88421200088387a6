"""What a check compares: --base (merge-base), --head, --staged, the working tree, --all; and the
repository shapes users have (no commits yet, renames, deletions, .yml, a custom models folder)."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import run_stagectl
from helpers.gitrepo import Repo, init_repo
from helpers.models import key_line, model_yaml

FRAUD = "models/fraud.yaml"


def _pr_branched_before_main_moved_on(repo: Repo) -> tuple[str, str]:
    """main: fraud v1 staging. The PR promotes v1; main then adds churn and fraud v2 and demotes v1."""
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    fork = repo.commit("v1 staging")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    pr_head = repo.commit("promote v1")
    repo.git("checkout", "-q", "main")
    repo.write(FRAUD, model_yaml("fraud", (1, "none"), (2, "none")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    repo.commit("main moves on")
    repo.git("checkout", "-q", "pr")
    return fork, pr_head


def test_base_uses_the_merge_base(repo: Repo) -> None:
    """Main moving on after the PR branched is not the PR's doing: no version-removed, no model-removed."""
    fork, pr_head = _pr_branched_before_main_moved_on(repo)
    result = repo.stagectl("check", "--base", "main", "--format", "json")
    assert result.returncode == 0, result.stdout
    document = result.json()
    assert (document["base"], document["head"], document["files_checked"]) == (fork, pr_head, 1)


def test_base_still_judges_the_pr_itself(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("v1 none")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("skip staging")
    result = repo.stagectl("check", "--base", "main")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]


def test_head_names_the_commit_to_judge(repo: Repo) -> None:
    """--base main --head pr from main's checkout judges the PR branch, not the checkout."""
    fork, pr_head = _pr_branched_before_main_moved_on(repo)
    repo.git("checkout", "-q", "main")
    result = repo.stagectl("check", "--base", "main", "--head", "pr", "--format", "json")
    assert result.returncode == 0
    assert (result.json()["base"], result.json()["head"]) == (fork, pr_head)
    # --head alone: that commit against its first parent.
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "none")))
    bad = repo.commit("none -> production")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    good = repo.commit("v2 staging")
    assert repo.stagectl("check", "--head", good).returncode == 0
    result = repo.stagectl("check", "--head", "HEAD~1", "--format", "json")
    assert result.returncode == 1
    document = result.json()
    assert (document["head"], document["base"]) == (bad, repo.rev("HEAD~2"))
    assert [(e["rule"], e["line"]) for e in document["errors"]] == [("illegal-transition", key_line(0))]


def test_staged_judges_the_index_and_ignores_the_working_tree(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    # A good change staged, then the working tree made bad: --staged passes.
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.git("add", FRAUD)
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.write("models/junk.yaml", "name: [\n")  # untracked: not in the index either
    staged = repo.stagectl("check", "--staged", "--format", "json")
    assert staged.returncode == 0
    assert (staged.json()["head"], staged.json()["base"]) == ("INDEX", repo.rev())
    assert repo.stagectl("check").returncode == 1  # the working tree is bad
    # And vice versa: a bad change staged, the working tree repaired.
    repo.git("add", FRAUD)
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    (repo.path / "models/junk.yaml").unlink()
    staged = repo.stagectl("check", "--staged")
    assert staged.returncode == 1
    assert staged.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]
    assert repo.stagectl("check").returncode == 0


def test_staged_ignores_intent_to_add_entries(repo: Repo) -> None:
    """`git add -N` records a path without content; `git commit` leaves it out, so the hook must too."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    repo.git("add", "--intent-to-add", "models/churn.yaml")
    result = repo.stagectl("check", "--staged")
    assert (result.returncode, result.stdout) == (0, "")


def test_staged_deletion_is_judged(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("base")
    repo.git("rm", "-q", "--cached", FRAUD)  # removed from the index, still in the working tree
    result = repo.stagectl("check", "--staged")
    assert result.located() == [(FRAUD, 1, 1, "model-removed")]


def test_working_tree_counts_untracked_model_files(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "production")))
    result = repo.stagectl("check", "--format", "json")
    assert result.returncode == 1
    document = result.json()
    assert (document["head"], document["base"], document["files_checked"]) == ("WORKTREE", repo.rev(), 1)
    assert [(e["file"], e["rule"]) for e in document["errors"]] == [("models/churn.yaml", "illegal-transition")]
    # A model file ignored by .gitignore is not part of the change.
    repo.write(".gitignore", "models/churn.yaml\n")
    assert repo.stagectl("check").returncode == 0


def test_all_validates_every_file_standalone(repo: Repo) -> None:
    """--all reads every model file on its own: base null, in-file invariants only."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "production")))
    repo.write("models/churn.yml", model_yaml("churn", (1, "production")))
    repo.write("models/ok.yaml", model_yaml("ok", (1, "archived")))
    repo.commit("adopting stagectl")
    result = repo.stagectl("check", "--all", "--format", "json")
    assert result.returncode == 1
    document = result.json()
    assert (document["base"], document["head"], document["files_checked"]) == (None, "WORKTREE", 3)
    assert [(e["file"], e["line"], e["column"], e["rule"]) for e in document["errors"]] == [
        (FRAUD, key_line(1), 5, "production-limit")
    ]
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production")))
    assert repo.stagectl("check", "--all").returncode == 0  # the working tree, uncommitted


def test_a_linked_models_folder_is_file_type_in_every_mode(repo: Repo) -> None:
    """A link where the models folder belongs hides what is checked: refused in each mode alike."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    (repo.path / "models").rename(repo.path / "elsewhere")
    (repo.path / "models").symlink_to("elsewhere")
    linked = ("models", 1, 1, "file-type")
    for args in (("check",), ("check", "--all")):
        result = repo.stagectl(*args)
        assert result.returncode == 1
        assert linked in result.located(), (args, result.stdout)
    repo.git("add", "-A")
    assert linked in repo.stagectl("check", "--staged").located()


def test_a_merge_conflict_is_named_as_one(repo: Repo) -> None:
    """Mid-merge: --staged cannot judge an unmerged file (exit 2); the markers are named, at their line."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "none")))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "staging")))
    repo.commit("stage v2")
    repo.git("checkout", "-q", "-")
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "archived")))
    repo.commit("archive v2")
    assert repo.try_git("merge", "-q", "side").returncode != 0
    staged = repo.stagectl("check", "--staged")
    assert staged.returncode == 2 and staged.stdout == ""
    assert staged.stderr == (
        f"stagectl: error: {FRAUD} has an unresolved merge conflict: resolve it and 'git add' it, then check again\n"
    )
    marker = (repo.path / FRAUD).read_text().splitlines().index("<<<<<<< HEAD") + 1
    for args in (("check",), ("check", "--all")):
        result = repo.stagectl(*args)
        assert result.located() == [(FRAUD, marker, 1, "yaml-syntax")], args
        assert "unresolved merge conflict" in result.stdout


def test_repository_with_no_commits_yet(repo: Repo) -> None:
    """The first commit: --staged and the plain check judge against nothing; --base cannot run."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    result = repo.stagectl("check", "--format", "json")
    assert result.returncode == 0
    assert (result.json()["base"], result.json()["head"], result.json()["files_checked"]) == (None, "WORKTREE", 1)
    repo.git("add", FRAUD)
    staged = repo.stagectl("check", "--staged", "--format", "json")
    assert staged.returncode == 0
    assert (staged.json()["base"], staged.json()["head"]) == (None, "INDEX")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.git("add", FRAUD)
    staged = repo.stagectl("check", "--staged")
    assert staged.returncode == 1
    assert staged.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]
    assert repo.stagectl("check", "--all").returncode == 0
    based = repo.stagectl("check", "--base", "main")
    assert based.returncode == 2
    assert based.stdout == ""
    assert len(based.stderr.splitlines()) == 1


def test_rename_is_a_deletion_plus_a_new_model(repo: Repo) -> None:
    """git mv of a live model: the old file is removed with live versions, the new one is a new model."""
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production")))
    repo.commit("base")
    repo.git("mv", FRAUD, "models/fraud-v2.yaml")
    repo.commit("rename")
    result = repo.stagectl("check", "--head", "HEAD")
    assert result.returncode == 1
    assert result.located() == [
        ("models/fraud-v2.yaml", 1, 1, "model-name"),
        ("models/fraud-v2.yaml", key_line(0), 5, "illegal-transition"),
        ("models/fraud-v2.yaml", key_line(1), 5, "illegal-transition"),
        (FRAUD, 1, 1, "model-removed"),
    ]


def test_deleting_a_fully_archived_model_is_fine(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "archived")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.commit("base")
    repo.git("rm", "-q", FRAUD)
    assert repo.stagectl("check", "--staged").returncode == 0
    assert repo.stagectl("check").returncode == 0
    repo.git("rm", "-q", "models/churn.yaml")
    assert repo.stagectl("check", "--staged").located() == [("models/churn.yaml", 1, 1, "model-removed")]


def test_yml_files_are_model_files(repo: Repo) -> None:
    repo.write("models/churn.yml", model_yaml("churn", (1, "none")))
    repo.commit("base")
    repo.write("models/churn.yml", model_yaml("churn", (1, "production")))
    assert repo.stagectl("check").located() == [("models/churn.yml", key_line(0), 5, "illegal-transition")]
    # fraud.yaml beside fraud.yml: one model declared twice.
    repo.git("checkout", "--", "models/churn.yml")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert ("models/churn.yaml", 1, 1, "model-name") in result.located()


def test_files_outside_the_models_folder_are_ignored(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    broken = "name: [\n"
    for path in ("other/fraud.yaml", "models-old/fraud.yaml", "fraud.yaml", "docs/models/x.yaml", "models/notes.md"):
        repo.write(path, broken)
    result = repo.stagectl("check", "--format", "json")
    assert result.returncode == 0, result.stdout
    assert result.json()["files_checked"] == 0
    repo.commit("unrelated files")
    assert repo.stagectl("check", "--head", "HEAD").returncode == 0
    assert repo.stagectl("check", "--all").returncode == 0


def test_models_dir_setting_moves_the_models_folder(repo: Repo) -> None:
    repo.write("stagectl.yaml", "models_dir: registry/models\n")
    repo.write("registry/models/fraud.yaml", model_yaml("fraud", (1, "none")))
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))  # not the models folder any more
    assert repo.stagectl("check").returncode == 0
    repo.write("registry/models/fraud.yaml", model_yaml("fraud", (1, "production")))
    result = repo.stagectl("check")
    assert result.located() == [("registry/models/fraud.yaml", key_line(0), 5, "illegal-transition")]
    all_files = repo.stagectl("check", "--all", "--format", "json")
    assert all_files.json()["files_checked"] == 1


def test_unknown_ref_is_exit_2_with_one_line(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    for args in (
        ["--base", "no-such-branch"],
        ["--head", "no-such-ref"],
        ["--base", "--staged"],
        ["--base", "HEAD..HEAD"],
        ["--base", ""],
    ):
        result = repo.stagectl("check", *args)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        if args[1] != "--staged":  # that one is argparse's: --base takes a value
            assert "is not a commit in this repository" in result.stderr, result.stderr


def test_unrelated_histories_are_exit_2(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit("unrelated root")
    result = repo.stagectl("check", "--base", "main")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_outside_a_repository_is_exit_2_with_one_line(tmp_path: Path) -> None:
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    result = run_stagectl(plain, "check", env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_flags_that_contradict_each_other_are_exit_2(repo: Repo) -> None:
    repo.commit("empty")
    for args in (["--staged", "--base", "main"], ["--all", "--head", "HEAD"], ["--staged", "--all"], ["--bogus"]):
        result = repo.stagectl("check", *args)
        assert result.returncode == 2, args
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_console_script_runs_from_a_subdirectory(repo: Repo) -> None:
    """The `stagectl` entry point pip installed, run from inside the repository's models folder."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    result = run_stagectl(repo.path / "models", "check", script=True)
    assert result.returncode == 1
    assert result.located() == [(FRAUD, key_line(0), 5, "illegal-transition")]
    version = run_stagectl(repo.path, "--version", script=True)
    assert (version.returncode, version.stdout.split()[0]) == (0, "stagectl")


def test_clone_of_a_repo_checks_like_the_original(tmp_path: Path) -> None:
    """A fresh clone (what CI checks out) judges a PR branch against origin/main."""
    origin = init_repo(tmp_path / "origin")
    origin.write(FRAUD, model_yaml("fraud", (1, "staging")))
    origin.commit("base")
    origin.git("checkout", "-q", "-b", "pr")
    origin.write(FRAUD, model_yaml("fraud", (1, "production")))
    origin.commit("promote")
    clone = Repo(tmp_path / "clone")
    origin.git("clone", "-q", "--branch", "pr", str(origin.path), str(clone.path))
    assert clone.stagectl("check", "--base", "origin/main").returncode == 0
