"""Nothing from a file or the registry reaches a reader raw: every command, every format, job summaries."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from helpers.gitrepo import Repo
from helpers.models import model_yaml
from helpers.registry import Server, client, seed, sqlite_uri

# ESC, BEL, C1 (NEL, CSI), and the bidi embeddings, overrides and isolates.
RAW = re.compile("[\x1b\x07\x80-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = "x\x1b[2J\x1b]0;owned\x07\u202eevil\u2066\x9b"
HTML = "</details><script>alert(1)</script>"


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert not RAW.search(text), f"raw control or bidi character in {text!r}"


def assert_clean_markdown(text: str) -> None:
    assert_clean(text)
    assert "<" not in text and ">" not in text, text  # no HTML at all: not <script>, not </details>


# -- check ------------------------------------------------------------------------------------------


def test_check_shows_hostile_keys_escaped_in_every_format(repo: Repo, tmp_path: Path) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none")))
    repo.commit("base")
    escaped = '"x\\e[2J\\e]0;owned\\a\\u202eevil\\u2066\\x9b"'  # HOSTILE, as a YAML double-quoted scalar
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none")) + f"tags: {{{escaped}: {escaped}, '{HTML}': v}}\n")
    summary = tmp_path / "summary.md"
    for fmt in ("text", "json", "github"):
        result = repo.stagectl("check", "--format", fmt, env={"GITHUB_STEP_SUMMARY": str(summary)})
        assert result.returncode == 1, result
        assert_clean(result.stdout, result.stderr)
    assert "\\x1b[2J" in result.stdout  # shown, escaped
    assert "\\u202e" in result.stdout
    text = summary.read_text(encoding="utf-8")
    assert "&#60;script&#62;" in text  # shown as text
    assert_clean_markdown(text.replace("\u2705", "").replace("\u274c", ""))


@pytest.mark.slow  # thousands of errors, rendered in every format
def test_the_check_summary_stays_under_1_mib_and_counts_what_it_leaves_out(repo: Repo, tmp_path: Path) -> None:
    """60,000 errors once wrote 7.5 MB to $GITHUB_STEP_SUMMARY, which GitHub refuses over 1 MiB."""
    repo.write("models/fraud.yaml", model_yaml("fraud"))
    repo.commit("base")
    unknown = "".join(f"k{n:05d}<b>: 1\n" for n in range(60_000))
    repo.write("models/fraud.yaml", model_yaml("fraud") + unknown)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = repo.stagectl("check", env=env)
    assert result.returncode == 1
    assert result.stdout.count("::error ") == 60_000  # the log keeps every error
    size = summary.stat().st_size
    assert 100_000 < size < 600 * 1024, size
    text = summary.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    last = text.rstrip().splitlines()[-1]
    match = re.fullmatch(
        r"… and ([\d,]+) more errors not shown: run `stagectl check` locally, or see this step's log", last
    )
    assert match, last
    assert len(rows) + int(match.group(1).replace(",", "")) == 60_000
    assert_clean_markdown(text.replace("\u274c", "").replace("`stagectl check`", ""))


# -- plan / apply / diff / import against a real MLflow ----------------------------------------------


def hostile_registry(repo: Repo, template: Path) -> str:
    """A registry someone changed outside git: a hostile tag value, and a hostile unmanaged model."""
    uri = seed(template, repo.path / "mlflow.db")  # ignored by git, as below
    repo.write(".gitignore", "*.db\n")
    repo.write(
        "models/fraud.yaml",
        model_yaml("fraud", (1, "production"), extra=f"description: '{HTML}'", source="s3://b", run_ids=True),
    )
    repo.commit("fraud")
    assert repo.stagectl("apply", in_process=True).returncode == 0
    mlflow = client(uri)
    mlflow.set_registered_model_tag("fraud", "team", HOSTILE)
    mlflow.set_model_version_tag("fraud", "1", "note", HOSTILE)
    mlflow.create_registered_model(f"scratch{HOSTILE}")
    repo.write(
        "models/fraud.yaml",
        model_yaml("fraud", (1, "production"), extra="tags: {team: risk}", source="s3://b", run_ids=True),
    )
    repo.commit("tags")
    return uri


@pytest.mark.slow
def test_plan_apply_diff_escape_what_the_registry_holds_in_text_json_and_the_summary(
    repo: Repo, tmp_path: Path, registry_template: Path
) -> None:
    hostile_registry(repo, registry_template)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    outputs = []
    for command in ("diff", "plan", "diff", "apply"):
        for fmt in ("text", "json"):
            if command == "apply" and fmt == "text":
                continue  # one apply: the second would have nothing to say
            run = repo.stagectl(command, "--format", fmt, env=env, in_process=True)
            assert run.returncode in (0, 1), run.stderr
            assert_clean(run.stdout, run.stderr)
            outputs.append(run.stdout)
    assert any("scratch" in out and "\\u202e" in out for out in outputs)  # the unmanaged name, escaped
    assert_clean_markdown(summary.read_text(encoding="utf-8").replace("\u2014", ""))


def test_a_description_with_html_is_text_in_the_plan_summary(repo: Repo, tmp_path: Path) -> None:
    repo.write(
        "models/fraud.yaml",
        model_yaml("fraud", (1, "staging"), extra=f"description: '{HTML}|`x`'", source="s3://b", run_ids=True),
    )
    repo.commit("fraud")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    run = repo.stagectl("plan", "--registry", sqlite_uri(tmp_path / "r.db"), env=env, in_process=True)
    assert run.returncode == 0, run.stderr
    text = summary.read_text(encoding="utf-8")
    assert "&#60;/details&#62;&#60;script&#62;" in text
    table = [line for line in text.splitlines() if line.startswith("| fraud |")]
    assert table and all(line.count("|") == 5 for line in table)  # the pipe stayed inside its cell
    assert_clean_markdown(text.replace("\u2014", ""))


@pytest.mark.slow
def test_the_registry_summary_stays_under_1_mib(repo: Repo, tmp_path: Path) -> None:
    for m in range(8):
        versions = [(n, "none") for n in range(1, 3001)]
        repo.write(
            f"models/m{m}.yaml",
            model_yaml(f"m{m}", *versions, source="s3://bucket/a-long-prefix/" + "p" * 40, run_ids=True),
        )
    repo.commit("24,000 versions")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    run = repo.stagectl(
        "plan", "--format", "json", "--registry", sqlite_uri(tmp_path / "r.db"), env=env, in_process=True
    )
    assert run.returncode == 0, run.stderr
    assert len(run.json()["actions"]) == 8 + 24_000 + 8  # each model: create, its versions, stagectl.applied
    assert summary.stat().st_size < 600 * 1024
    last = summary.read_text(encoding="utf-8").rstrip().splitlines()[-1]
    assert re.fullmatch(r"… and [\d,]+ more lines not shown: see this step's log", last), last


def test_files_that_do_not_validate_are_listed_escaped_by_plan(repo: Repo, tmp_path: Path) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none"), source="s3://x/\\e]0;t\\a\\u202e", run_ids=True))
    repo.write("models/fraud.yaml", (repo.path / "models/fraud.yaml").read_text().replace("source: ", 'source: "'))
    text = (repo.path / "models/fraud.yaml").read_text().replace("/fraud/1\n", '/fraud/1"\n')
    repo.write("models/fraud.yaml", text)
    repo.commit("hostile source")
    for fmt in ("text", "json"):
        run = repo.stagectl("plan", "--format", fmt, "--registry", sqlite_uri(tmp_path / "r.db"), in_process=True)
        assert run.returncode == 1 and "schema" in run.stdout, run
        assert_clean(run.stdout, run.stderr)


# -- secrets in the registry URI ------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("command", ["plan", "diff", "apply"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_token_in_the_registry_query_is_never_printed(repo: Repo, command: str, fmt: str) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none"), source="s3://b", run_ids=True))
    repo.commit("fraud")
    uri = f"http://user:PASSWORD@127.0.0.1:{closed_port()}/mlflow?token=SECRET-TOKEN&x=1#FRAGMENT"
    started = time.monotonic()
    run = repo.stagectl(command, "--format", fmt, "--registry", uri)
    assert time.monotonic() - started < 30
    assert run.returncode == 2
    assert "cannot reach the MLflow registry at http://user:***@127.0.0.1:" in run.stderr
    assert "?token=***&x=***#***" in run.stderr
    for secret in ("SECRET", "PASSWORD", "FRAGMENT"):
        assert secret not in run.stdout + run.stderr


@pytest.mark.slow
def test_import_never_prints_the_token_either(repo: Repo) -> None:
    run = repo.stagectl("import", "--registry", f"http://127.0.0.1:{closed_port()}/?access_token=SECRET-TOKEN")
    assert run.returncode == 2 and "access_token=***" in run.stderr
    assert "SECRET" not in run.stdout + run.stderr


def test_the_redacted_uri_is_what_json_and_the_summary_show(repo: Repo, tmp_path: Path) -> None:
    from stagectl.registry.client import redact

    assert redact("https://h/api?token=T0K3N&sslmode=require") == "https://h/api?token=***&sslmode=require"
    assert redact("http://h/?T0K3N") == "http://h/?***"
    assert redact("sqlite:////tmp/mlflow.db") == "sqlite:////tmp/mlflow.db"
    assert redact("databricks://profile") == "databricks://profile"
    assert redact("http://u:PW@h:port/?token=T0K3N") == "http://***@h:port/?***"  # not a URL: nothing after the host


# -- the other commands -------------------------------------------------------------------------------


def test_edit_dry_run_history_and_status_escape_what_they_show(repo: Repo) -> None:
    # A comment may hold a bidi override (YAML calls it printable): the diff shows it escaped.
    text = model_yaml("fraud", (1, "staging")).replace("versions:", "# note \u202eevil\u2066\nversions:")
    repo.write("models/fraud.yaml", text)
    repo.commit("base")
    dry = repo.stagectl("promote", "fraud", "1", "--dry-run")
    assert dry.returncode == 0 and "\\u202eevil" in dry.stdout
    assert_clean(dry.stdout, dry.stderr)
    repo.write("models/fraud.yaml", text.replace("stage: staging", "stage: production"))
    repo.git("add", "-A")
    repo.git("commit", "-qm", "promote", env={"GIT_AUTHOR_NAME": f"Mallory{HOSTILE}"})
    history = repo.stagectl("history", "fraud")
    assert history.returncode == 0 and "Mallory" in history.stdout
    assert_clean(history.stdout, history.stderr)
    repo.write("models/bad\u202e.yaml", "name: x\n")
    repo.commit("a bad file name")
    for fmt in ("text", "json"):
        status = repo.stagectl("status", "--format", fmt)
        assert status.returncode == 0
        assert_clean(status.stdout, status.stderr)


@pytest.mark.slow
def test_a_real_server_behind_a_uri_with_a_token_never_shows_it(repo: Repo, mlflow_server: Server) -> None:
    """MLflow appends its API path to the whole URI, query included: the server answers an error that
    quotes the URL. stagectl's message says what happened without the token."""
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none"), source="s3://b", run_ids=True))
    repo.commit("fraud")
    for fmt in ("text", "json"):
        run = repo.stagectl("plan", "--format", fmt, "--registry", f"{mlflow_server.url}/?token=SECRET-TOKEN")
        assert run.returncode in (1, 2), run
        assert "SECRET" not in run.stdout + run.stderr, run
        assert "token=***" in run.stdout + run.stderr
