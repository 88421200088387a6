"""The three output formats users and tools parse: text, json, github (plus the step summary)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import clean_env, run_on_terminal
from helpers.gitrepo import Repo
from helpers.models import key_line, model_yaml
from stagectl.display import annotation_data as escape_data
from stagectl.display import annotation_property as escape_property

FRAUD = "models/fraud.yaml"
ESC = "\x1b"


@pytest.fixture
def failing(repo: Repo) -> Repo:
    """A repository whose working tree breaks two rules in two files."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging"), (2, "production")))
    return repo


def run_on_tty(repo: Repo, *args: str, env: dict[str, str] | None = None) -> str:
    """stagectl with its stdout on a pseudo-terminal, as in an interactive shell (the check fails)."""
    result = run_on_terminal(repo.path, *args, env=env)
    assert result.returncode == 1
    return result.stdout


def test_text_is_one_compiler_style_line_per_error_and_a_summary_on_stderr(failing: Repo) -> None:
    result = failing.stagectl("check")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "models/churn.yaml:7:5: illegal-transition: a new version cannot start in production: "
        "add version 2 as none or staging, then promote it",
        "models/fraud.yaml:4:5: illegal-transition: none → production skips staging: move it to staging first",
    ]
    assert result.located() == [
        ("models/churn.yaml", key_line(1), 5, "illegal-transition"),
        (FRAUD, key_line(0), 5, "illegal-transition"),
    ]
    assert ESC not in result.stdout + result.stderr  # piped: no colour
    assert len(result.stderr.splitlines()) == 1
    quiet = failing.stagectl("check", "-q")
    assert (quiet.stdout, quiet.stderr) == (result.stdout, "")


def test_colour_only_on_a_terminal_and_never_with_no_color(failing: Repo) -> None:
    """The TTY case proves colour exists, so the NO_COLOR case can fail."""
    coloured = run_on_tty(failing, "check")
    assert ESC + "[" in coloured
    plain = run_on_tty(failing, "check", env={"NO_COLOR": "1"})
    assert ESC not in plain
    assert "models/fraud.yaml:4:5: illegal-transition:" in plain


def test_text_stays_one_line_per_error_whatever_the_file_contains(repo: Repo) -> None:
    """A key with a newline, a carriage return or an escape sequence must not forge extra output lines
    or terminal colours in a CI log: one error, one line, no control characters."""
    repo.write(FRAUD, model_yaml("fraud"))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud") + '"a\\nmodels/x.yaml:1:1: forged: line": 1\n"b\\rc": 2\n"\\e[31mred": 3\n')
    result = repo.stagectl("check", env={"NO_COLOR": "1"})
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines
    assert [rule for _f, _l, _c, rule in result.located()] == ["schema"] * 3
    assert not any(ch in result.stdout for ch in (ESC, "\r")), repr(result.stdout)


def test_json_is_exactly_one_object_with_the_contracts_keys(failing: Repo) -> None:
    result = failing.stagectl("check", "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)  # the whole of stdout is one JSON value
    assert isinstance(document, dict)
    assert set(document) == {"ok", "base", "head", "files_checked", "errors"}
    assert document["ok"] is False
    assert document["base"] == failing.rev()
    assert document["head"] == "WORKTREE"
    assert document["files_checked"] == 2
    for error in document["errors"]:
        assert set(error) == {"rule", "file", "line", "column", "model", "version", "message"}
    assert document["errors"][1] == {
        "rule": "illegal-transition",
        "file": FRAUD,
        "line": 4,
        "column": 5,
        "model": "fraud",
        "version": 1,
        "message": "none → production skips staging: move it to staging first",
    }
    failing.git("checkout", "--", ".")
    clean = failing.stagectl("check", "--format", "json")
    assert clean.returncode == 0
    assert clean.json() == {
        "ok": True,
        "base": failing.rev(),
        "head": "WORKTREE",
        "files_checked": 0,
        "errors": [],
    }


def test_json_head_is_the_commit_sha_with_base(failing: Repo) -> None:
    head = failing.commit("the change")
    result = failing.stagectl("check", "--base", "HEAD~1", "--format", "json")
    document = result.json()
    assert (document["base"], document["head"], document["files_checked"]) == (failing.rev("HEAD~1"), head, 2)
    assert len(document["errors"]) == 2


def test_json_nulls_for_errors_without_model_or_version(repo: Repo) -> None:
    repo.commit("empty")
    repo.write("stagectl.yaml", "polcy: {}\n")
    repo.write("models/sub/x.yaml", model_yaml("x"))
    errors = repo.stagectl("check", "--format", "json").json()["errors"]
    assert [(e["rule"], e["file"], e["model"], e["version"]) for e in errors] == [
        ("file-type", "models/sub/x.yaml", None, None),
        ("policy", "stagectl.yaml", None, None),
    ]


def test_github_annotations(failing: Repo) -> None:
    result = failing.stagectl("check", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "::error file=models/fraud.yaml,line=4,col=5,title=illegal-transition::"
        "none → production skips staging: move it to staging first"
    )
    assert [line.split("::")[1] for line in lines] == [
        "error file=models/churn.yaml,line=7,col=5,title=illegal-transition",
        "error file=models/fraud.yaml,line=4,col=5,title=illegal-transition",
    ]


def test_github_escapes_file_names_and_messages(repo: Repo) -> None:
    """A file named `50%,a:b.yaml` is escaped as @actions/core escapes properties; keys with CR/LF
    are shown as their escapes (`\\n`), so no control character reaches the annotation."""
    path = "models/50%,a:b.yaml"
    repo.write(path, "name: x\nversions: []\n")
    repo.commit("base")
    repo.write(path, 'name: "50%,a:b"\nversions: []\n"bad\\nkey": 1\n"cr\\rkey": 2\n')
    result = repo.stagectl("check", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines
    prefix = "::error file=models/50%25%2Ca%3Ab.yaml,"
    assert all(line.startswith(prefix) for line in lines), lines
    assert lines[0].startswith(prefix + "line=1,col=1,title=model-name::name '50%25,a:b' is not a valid model name")
    assert lines[1].startswith(prefix + "line=3,col=1,title=schema::unknown key 'bad\\nkey'")
    assert lines[2].startswith(prefix + "line=4,col=1,title=schema::unknown key 'cr\\rkey'")


def test_escape_functions_match_the_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"
    assert escape_data("%0A") == "%250A"  # escaping is not undone by a second reading
    assert escape_property("models/a.yaml") == "models/a.yaml"


def test_step_summary_gets_a_markdown_table_appended(failing: Repo, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = failing.stagectl("check", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")  # appended, not overwritten
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert rows[:2] == ["| file | line | rule | message |", "|---|---|---|---|"]
    assert len(rows) == 2 + 2
    assert rows[3].startswith("| `models/fraud.yaml` | 4:5 | `illegal-transition` | none → production")
    failing.git("checkout", "--", ".")
    assert failing.stagectl("check", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)}).returncode == 0
    assert summary.read_text(encoding="utf-8").startswith(text)


def test_github_summary_cells_cannot_break_the_table(repo: Repo, tmp_path: Path) -> None:
    """A pipe or newline in a message stays inside its cell."""
    repo.write(FRAUD, model_yaml("fraud"))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud") + '"a|b\\nc": 1\n')
    summary = tmp_path / "summary.md"
    repo.stagectl("check", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    rows = [line for line in summary.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    assert len(rows) == 3
    assert rows[2].count(" | ") == 3


# -- streams a user's shell may hand over ---------------------------------------------------------


def test_a_terminal_without_unicode_gets_look_alikes_and_the_edit_is_reported_not_crashed(repo: Repo) -> None:
    """cp1252 / ASCII consoles: the arrow in a message must not fail a command after it edited the file."""
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.commit("base")
    for encoding in ("cp1252", "ascii"):
        env = {"PYTHONIOENCODING": encoding}
        promoted = repo.stagectl("promote", "fraud", "1", env=env)
        assert (promoted.returncode, promoted.stdout) == (0, f"{FRAUD}: version 1: staging -> production\n")
        assert (repo.path / FRAUD).read_text() == model_yaml("fraud", (1, "production"))
        repo.git("checkout", "--", FRAUD)
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("promote")
    history = repo.stagectl("history", "fraud", env={"PYTHONIOENCODING": "cp1252"})
    assert history.returncode == 0 and "staging -> production" in history.stdout
    repo.write("models/modèle.yaml", model_yaml("modele", (1, "none")))
    named = repo.stagectl("check", "--all", env={"PYTHONIOENCODING": "ascii"})
    assert named.returncode == 1 and named.stdout.startswith("models/mod\\xe8le.yaml:1:1: model-name: ")


def test_a_closed_or_full_stdout_is_one_line_and_exit_2(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.commit("base")
    command = [sys.executable, "-m", "stagectl", "status"]
    closed = subprocess.run(
        command,
        cwd=repo.path,
        env=clean_env(),
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        close_fds=True,
        preexec_fn=lambda: os.close(1),
    )
    assert (closed.returncode, closed.stderr) == (2, "stagectl: error: standard output is closed\n")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            command, cwd=repo.path, env=clean_env(), stdout=full, stderr=subprocess.PIPE, text=True, check=False
        )
    assert (done.returncode, done.stderr) == (2, "stagectl: error: cannot write: No space left on device\n")
