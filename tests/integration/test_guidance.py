"""What a newcomer is told: the traps named in one line, and messages that say what to do."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from helpers.cli import run_stagectl
from helpers.gitrepo import Repo
from helpers.models import model_yaml
from stagectl.load import yamlsafe

POLICY_NOTE = "stagectl: note: stagectl.yaml has uncommitted changes"


def _committed(repo: Repo, *versions: tuple[int, str], policy: str = "policy:\n  max_production: 1\n") -> None:
    repo.write("stagectl.yaml", policy)
    repo.write("models/fraud.yaml", model_yaml("fraud", *versions))
    repo.commit("start")


# -- an uncommitted stagectl.yaml ---------------------------------------------------------------


def test_an_edit_under_an_uncommitted_policy_says_which_policy_judges_it(repo: Repo) -> None:
    _committed(repo, (1, "production"), (2, "staging"))
    quiet = repo.stagectl("promote", "fraud", "2", "--dry-run")
    assert quiet.returncode == 0 and "note:" not in quiet.stderr
    repo.write("stagectl.yaml", "policy:\n  max_production: 2\n")
    edited = repo.stagectl("promote", "fraud", "2", "--dry-run")
    assert edited.returncode == 0
    assert edited.stderr.splitlines() == [
        f"{POLICY_NOTE}; this edit is judged under the committed policy (HEAD) — commit it to put it in force"
    ]


def test_a_new_uncommitted_policy_file_is_named_too(repo: Repo) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging")))
    repo.commit("start")
    repo.write("stagectl.yaml", "policy:\n  max_production: 2\n")
    assert POLICY_NOTE in repo.stagectl("archive", "fraud", "1", "--dry-run").stderr


def test_a_working_tree_check_names_an_uncommitted_policy_but_not_a_touched_one(repo: Repo) -> None:
    _committed(repo, (1, "staging"))
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production")))
    os.utime(repo.path / "stagectl.yaml", (1, 1))  # stat-dirty only: the same bytes
    assert "note:" not in repo.stagectl("check").stderr
    repo.write("stagectl.yaml", "policy:\n  max_production: 3\n")
    result = repo.stagectl("check")
    assert result.returncode == 0
    assert result.stderr.splitlines()[-1] == (
        f"{POLICY_NOTE}; the working tree is judged under the committed policy (HEAD) — commit it to put it in force"
    )
    assert "note:" not in repo.stagectl("check", "-q").stderr


# -- a pull request that edits the policy --------------------------------------------------------


def test_a_change_that_edits_the_policy_is_told_the_base_policy_judged_it(repo: Repo) -> None:
    _committed(repo, (1, "production"), (2, "staging"))
    base = repo.rev()
    repo.git("switch", "-q", "-c", "raise-limit")
    repo.write("stagectl.yaml", "policy:\n  max_production: 2\n")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production"), (2, "production")))
    repo.commit("two in production")
    note = (
        f"this change edits stagectl.yaml; it was judged under the base's policy ({base[:12]}) — "
        "policy changes take effect after they merge"
    )
    text = repo.stagectl("check", "--base", "main")
    assert text.returncode == 1 and "the policy allows 1" in text.stdout
    assert text.stderr.splitlines()[-1] == f"stagectl: note: {note}"
    github = repo.stagectl("check", "--base", "main", "--format", "github")
    assert github.stdout.splitlines()[-1] == f"::notice title=stagectl::{note}"
    document = repo.stagectl("check", "--base", "main", "--format", "json").json()
    assert set(document) == {"ok", "base", "head", "files_checked", "errors"}  # the contract's shape, unchanged


def test_a_change_that_leaves_the_policy_alone_gets_no_note(repo: Repo) -> None:
    _committed(repo, (1, "staging"))
    repo.git("switch", "-q", "-c", "promote")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production")))
    repo.commit("promote")
    assert "note:" not in repo.stagectl("check", "--base", "main").stderr


# -- a clean working tree on a branch -------------------------------------------------------------


def test_a_clean_branch_is_told_how_to_judge_it_as_a_pull_request(repo: Repo) -> None:
    _committed(repo, (1, "staging"))
    on_main = repo.stagectl("check")
    assert on_main.stderr == "stagectl: 0 model files checked, no errors\n"
    repo.git("switch", "-q", "-c", "promote")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production")))
    repo.commit("promote")
    clean = repo.stagectl("check")
    assert clean.stderr.splitlines() == [
        "stagectl: 0 model files checked, no errors",
        "stagectl: note: nothing changed in the working tree; to judge this branch as a pull request: "
        "stagectl check --base main",
    ]
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "archived")))
    assert "note:" not in repo.stagectl("check").stderr  # something to judge: no hint


def test_the_hint_names_master_where_that_is_the_branch(repo: Repo) -> None:
    repo.git("branch", "-m", "master")
    _committed(repo, (1, "staging"))
    repo.git("switch", "-q", "-c", "topic")
    repo.commit("empty")
    assert "stagectl check --base master" in repo.stagectl("check").stderr


# -- YAML syntax: what to do ------------------------------------------------------------------------


def test_a_tab_is_told_to_be_spaces_at_the_tab(repo: Repo) -> None:
    repo.write("models/fraud.yaml", "name: fraud\nversions:\n  - version: 1\n\tstage: none\n    source: s3://x\n")
    result = repo.stagectl("check", "--all")
    assert result.returncode == 1
    assert result.located() == [("models/fraud.yaml", 4, 1, "yaml-syntax")]
    assert result.stdout.rstrip().endswith("YAML indents with spaces, not tabs: replace the tab at line 4")


@pytest.mark.parametrize(
    ("text", "line", "lines_up_with"),
    [
        # over-indented: libyaml says "mapping values are not allowed in this context"
        ("name: fraud\nversions:\n  - version: 1\n      stage: none\n    source: s3://x\n", 4, 3),
        # under-indented by one: "did not find expected '-' indicator"
        ("name: fraud\nversions:\n  - version: 1\n    stage: none\n   source: s3://x\n", 5, 4),
        # a key after a block, one column in: "did not find expected key"
        ("name: fraud\n description: x\nversions: []\n", 2, 1),
    ],
)
def test_an_indentation_error_names_the_line_to_line_up_with(
    repo: Repo, text: str, line: int, lines_up_with: int
) -> None:
    repo.write("models/fraud.yaml", text)
    result = repo.stagectl("check", "--all")
    (_file, at_line, _column, rule), *_ = result.located()
    assert (at_line, rule) == (line, "yaml-syntax")
    assert f"check the indentation of line {line}: it should line up with line {lines_up_with}" in result.stdout


def test_a_colon_inside_a_value_is_told_to_quote_it(repo: Repo) -> None:
    repo.write("models/fraud.yaml", "name: fraud\ndescription: fraud: cards\nversions: []\n")
    result = repo.stagectl("check", "--all")
    assert "a value containing ': ' must be quoted: put quotes around the value on line 2" in result.stdout


def test_both_parsers_give_the_same_advice() -> None:
    pure = yamlsafe._PureLoader
    for text in (
        b"name: fraud\nversions:\n  - version: 1\n\tstage: none\n",
        b"name: fraud\nversions:\n  - version: 1\n      stage: none\n    source: s3://x\n",
        b"name: fraud\nversions:\n  - version: 1\n    stage: none\n   source: s3://x\n",
    ):
        advice = {
            p.message.rpartition(": ")[2]
            for loaded in (yamlsafe.load(text), yamlsafe._load_with(pure, text, False))
            for p in loaded.problems
        }
        assert len(advice) == 1, advice


# -- version positions ----------------------------------------------------------------------------


def test_schema_errors_name_the_version_number_not_a_list_index(repo: Repo) -> None:
    repo.write(
        "models/fraud.yaml",
        "name: fraud\nversions:\n"
        "  - version: 1\n    stage: archived\n    source: s3://x/1\n"
        "  - version: 3\n    stgae: none\n    source: s3://x/3\n"
        "  - stage: none\n    source: s3://x/4\n"
        "  - version: 5\n    stage: prod\n    source: s3://x/5\n",
    )
    messages = [line.split(": schema: ", 1)[1] for line in repo.stagectl("check", "--all").stdout.splitlines()]
    assert "unknown key 'stgae' in version 3: did you mean 'stage'?" in messages
    assert "version 3 is missing 'stage': add one of none, staging, production, archived" in messages
    assert "the 3rd version entry is missing 'version': every version needs its number" in messages
    assert "stage of version 5 must be one of none, staging, production, archived, not 'prod'" in messages
    assert not [m for m in messages if "versions[" in m]


# -- version-removed ------------------------------------------------------------------------------


def test_removing_an_archived_version_is_told_to_restore_it(repo: Repo) -> None:
    _committed(repo, (1, "archived"), (2, "staging"), (3, "production"))
    repo.write("models/fraud.yaml", model_yaml("fraud", (3, "production")))
    lines = repo.stagectl("check").stdout.splitlines()
    assert any(
        "version-removed: version 1 (archived at the base) was removed: versions are never deleted, even archived "
        "ones: restore its entry as it is at the base" in line
        for line in lines
    )
    assert any("version 2 (staging at the base) was removed" in line and "stage: archived" in line for line in lines)
    assert not [line for line in lines if "version 1" in line and "stage: archived" in line]


# -- --help ------------------------------------------------------------------------------------------

COMMANDS = ("check", "promote", "archive", "rollback", "register", "new", "status", "history")
REGISTRY = ("plan", "apply", "diff", "import")


@pytest.mark.parametrize("command", COMMANDS + REGISTRY)
def test_every_command_help_shows_exit_codes_and_an_example(tmp_path: Path, command: str) -> None:
    result = run_stagectl(tmp_path, command, "--help")
    assert result.returncode == 0
    text = result.stdout
    assert "exit status:" in text and re.search(r"^  0  ", text, re.MULTILINE) and re.search(r"^  2  ", text, re.M)
    assert re.search(rf"^example.*:\n  .*stagectl {command}\b", text, re.MULTILINE), text


def test_format_help_describes_each_format(tmp_path: Path) -> None:
    text = " ".join(run_stagectl(tmp_path, "check", "--help").stdout.split())
    for described in ("text: one 'file:line:col: rule: message' line", "json: one JSON object", "github: an ::error"):
        assert described in text


# -- plan / diff name the registry ---------------------------------------------------------------------


@pytest.mark.slow
def test_plan_and_diff_name_the_registry_and_say_it_does_not_exist_yet(repo: Repo) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging")))
    repo.commit("start")
    database = repo.path / "mlflow.db"
    for command in ("plan", "diff"):
        result = repo.stagectl(command)
        assert result.stdout.splitlines()[0] == (
            f"registry: sqlite:///{database} (does not exist yet: apply will create it)"
        ), result.stdout
    assert not database.exists()
    applied = repo.stagectl("apply")
    assert applied.returncode == 0 and applied.stdout.splitlines()[0] == f"registry: sqlite:///{database}"
    assert repo.stagectl("plan").stdout.splitlines()[0] == f"registry: sqlite:///{database}"
    assert "registry" not in repo.stagectl("plan", "--format", "json").stdout.splitlines()[0]


def test_git_is_asked_nothing_more_when_the_policy_is_as_committed(repo: Repo, tmp_path: Path) -> None:
    """The uncommitted-policy note is free while stagectl.yaml is unchanged: no extra git process."""
    _committed(repo, (1, "staging"))
    log = tmp_path / "git.log"
    shim = tmp_path / "bin"
    shim.mkdir()
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout.strip()
    (shim / "git").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
    (shim / "git").chmod(0o755)
    env = {"PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    repo.stagectl("promote", "fraud", "1", "--dry-run", env=env)
    unchanged = log.read_text().split()
    log.unlink()
    repo.write("stagectl.yaml", "policy:\n  max_production: 2\n")
    repo.stagectl("promote", "fraud", "1", "--dry-run", env=env)
    edited = log.read_text().split()
    assert "diff" not in unchanged
    assert sorted(edited) == sorted([*unchanged, "diff"])  # asked only once the bytes differ
