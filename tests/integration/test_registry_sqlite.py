"""plan / apply / diff / import against MLflow's embedded sqlite store, in temp repositories."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers.cli import Result, clean_env
from helpers.gitrepo import Repo
from helpers.models import model_yaml
from helpers.registry import client, seed, sqlite_uri, state
from stagectl.errors import FatalError
from stagectl.registry import location, session
from stagectl.registry.client import Registry

pytestmark = pytest.mark.slow  # MLflow's embedded store: a store per test, MLflow imported


def two_models(repo: Repo) -> str:
    repo.write(
        "models/fraud.yaml",
        model_yaml("fraud", (1, "archived"), (2, "production"), (3, "staging"), source="s3://b", run_ids=True),
    )
    repo.write(
        "models/churn.yaml",
        model_yaml("churn", (1, "production"), extra="description: churn model", source="s3://b", run_ids=True),
    )
    return repo.commit("add models")


def test_with_nothing_configured_apply_uses_mlflow_db_at_the_root_and_converges(repo: Repo) -> None:
    sha = two_models(repo)
    planned = repo.stagectl("plan", "--format", "json", in_process=True)
    assert planned.returncode == 0, planned.stderr
    assert not (repo.path / "mlflow.db").exists()  # plan writes nothing, not even an empty database
    assert [a["action"] for a in planned.json()["actions"] if a["model"] == "fraud"] == [
        "create-model",
        "create-version",
        "create-version",
        "create-version",
        "set-alias",
        "set-alias",
        "set-tag",  # stagectl.applied: the commit the model was applied from, written last
    ]

    applied = repo.stagectl(
        "apply", "--format", "json", cwd=repo.path / "models", in_process=True
    )  # from a subfolder too
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert applied.json()["actions"] == planned.json()["actions"]
    uri = sqlite_uri(repo.path / "mlflow.db")
    fraud = state(uri, "fraud")
    assert fraud["aliases"] == {"production": 2, "staging": 3}
    assert fraud["versions"][2]["source"] == "s3://b/fraud/2"
    assert fraud["versions"][2]["run_id"] == "run-2"
    assert {n: v["tags"] for n, v in fraud["versions"].items()} == {
        1: {"stagectl.stage": "archived", "stagectl.commit": sha},
        2: {"stagectl.stage": "production", "stagectl.commit": sha},
        3: {"stagectl.stage": "staging", "stagectl.commit": sha},
    }
    assert state(uri, "churn")["description"] == "churn model"

    again = repo.stagectl("apply", "--format", "json", in_process=True)
    assert again.returncode == 0
    assert again.json()["actions"] == [] and again.json()["writes"] == 0
    assert (
        repo.stagectl("plan", in_process=True).stdout == f"registry: {uri}\nplan: nothing to do (2 models up to date)\n"
    )


def test_a_merged_promotion_moves_the_alias_demoting_first(repo: Repo, registry_template: Path) -> None:
    two_models(repo)
    seed(registry_template, repo.path / "mlflow.db")  # an empty store, migrated once for the session
    assert repo.stagectl("apply", in_process=True).returncode == 0
    repo.write(
        "models/fraud.yaml",
        model_yaml("fraud", (1, "archived"), (2, "archived"), (3, "production"), source="s3://b", run_ids=True),
    )
    promoted = repo.commit("promote fraud 3")

    actions = repo.stagectl("plan", "--format", "json", in_process=True).json()["actions"]
    steps = [(a["action"], a["version"], a["detail"].split(" ")[0]) for a in actions]
    assert steps == [
        ("set-tag", 2, "stagectl.stage=archived"),
        ("set-tag", 2, "stagectl.commit=" + promoted[:12]),
        ("delete-alias", None, "staging"),
        ("set-alias", 3, "production"),
        ("set-tag", 3, "stagectl.stage=production"),
        ("set-tag", 3, "stagectl.commit=" + promoted[:12]),
        ("set-tag", None, "stagectl.applied=" + promoted[:12]),
    ]
    result = repo.stagectl("apply", in_process=True)
    assert result.returncode == 0
    assert "fraud: applied 7 writes" in result.stdout and "churn: unchanged" in result.stdout
    fraud = state(sqlite_uri(repo.path / "mlflow.db"), "fraud")
    assert fraud["aliases"] == {"production": 3}
    assert fraud["versions"][3]["tags"]["stagectl.commit"] == promoted


def test_stages_mode_sets_mlflow_stages_without_archiving_others_and_says_it_is_deprecated(
    repo: Repo, registry_template: Path
) -> None:
    repo.write("stagectl.yaml", "registry:\n  mode: stages\n")
    two_models(repo)
    seed(registry_template, repo.path / "mlflow.db")  # an empty store, migrated once for the session
    result = repo.stagectl("apply", in_process=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("deprecated in 2.9") == 1
    uri = sqlite_uri(repo.path / "mlflow.db")
    assert [v["stage"] for v in state(uri, "fraud")["versions"].values()] == ["Archived", "Production", "Staging"]

    repo.write(
        "models/fraud.yaml",
        model_yaml("fraud", (1, "archived"), (2, "archived"), (3, "production"), source="s3://b", run_ids=True),
    )
    repo.commit("promote")
    actions = repo.stagectl("plan", "--format", "json", in_process=True).json()["actions"]
    stages = [(a["version"], a["detail"].split(" ")[0]) for a in actions if a["action"] == "set-stage"]
    assert stages == [(2, "Archived"), (3, "Production")]  # never two versions in Production
    assert repo.stagectl("apply", in_process=True).returncode == 0
    fraud = state(uri, "fraud")
    assert [v["stage"] for v in fraud["versions"].values()] == ["Archived", "Archived", "Production"]
    assert fraud["aliases"] == {"production": 3}


def test_drift_is_reported_by_diff_and_reverted_by_apply(repo: Repo, registry_template: Path) -> None:
    two_models(repo)
    seed(registry_template, repo.path / "mlflow.db")  # an empty store, migrated once for the session
    assert repo.stagectl("apply", in_process=True).returncode == 0
    uri = sqlite_uri(repo.path / "mlflow.db")
    mlflow = client(uri)
    mlflow.set_registered_model_alias("fraud", "production", "3")  # someone in the UI
    mlflow.delete_registered_model_alias("fraud", "staging")
    mlflow.create_registered_model("scratch")  # not managed: mentioned, left alone

    diff = repo.stagectl("diff", "--format", "json", in_process=True)
    assert diff.returncode == 1
    assert [(a["action"], a["version"]) for a in diff.json()["actions"]] == [("set-alias", 2), ("set-alias", 3)]
    assert diff.json()["unmanaged"] == ["scratch"]
    text = repo.stagectl("diff", in_process=True).stdout
    assert "production → 2 (was 3, moved outside git)" in text

    applied = repo.stagectl("apply", in_process=True)
    assert applied.returncode == 0
    assert "reverted: alias production was on version 3, not 2 (git wins)" in applied.stdout
    assert "reverted: alias staging was removed (it was on version 3) (git wins)" in applied.stdout
    assert state(uri, "fraud")["aliases"] == {"production": 2, "staging": 3}
    assert repo.stagectl("diff", in_process=True).returncode == 0


def test_what_an_apply_stopped_half_way_left_undone_is_not_called_drift(repo: Repo, registry_template: Path) -> None:
    """The demotions are written first: a crash after them leaves tags no alias followed yet."""
    repo.write(".gitignore", "*.db\n")
    repo.write(
        "models/fraud.yaml", model_yaml("fraud", (1, "production"), (2, "staging"), source="s3://b", run_ids=True)
    )
    repo.commit("fraud")
    seed(registry_template, repo.path / "mlflow.db")  # an empty store, migrated once for the session
    assert repo.stagectl("apply", in_process=True).returncode == 0
    repo.write(
        "models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "production"), source="s3://b", run_ids=True)
    )
    repo.commit("promote fraud 2")
    uri = sqlite_uri(repo.path / "mlflow.db")
    client(uri).set_model_version_tag("fraud", "1", "stagectl.stage", "archived")  # as far as the crashed apply got

    applied = repo.stagectl("apply", "--format", "json", in_process=True)
    assert applied.returncode == 0, applied.stdout
    assert applied.json()["reverted"] == []
    assert "moved outside git" not in repo.stagectl("plan", in_process=True).stdout
    assert state(uri, "fraud")["aliases"] == {"production": 2}

    client(uri).set_registered_model_alias("fraud", "production", "1")  # real drift is still said so
    again = repo.stagectl("apply", "--format", "json", in_process=True)
    assert again.json()["reverted"] == [
        {"model": "fraud", "version": 2, "was": "alias production was on version 1, not 2"}
    ]


def test_a_version_whose_source_differs_is_refused_and_the_other_models_still_applied(
    repo: Repo, registry_template: Path
) -> None:
    uri = seed(registry_template, repo.path / "mlflow.db")
    mlflow = client(uri)
    mlflow.create_registered_model("fraud")
    mlflow.create_model_version("fraud", "s3://somewhere-else/1", run_id="run-1", await_creation_for=0)
    two_models(repo)

    result = repo.stagectl("apply", "--format", "json", in_process=True)
    assert result.returncode == 1
    (error,) = result.json()["errors"]
    assert error["model"] == "fraud" and error["version"] == 1
    assert "'s3://somewhere-else/1' but models/fraud.yaml says 's3://b/fraud/1'" in error["message"]
    assert {a["model"] for a in result.json()["actions"]} == {"churn"}
    assert state(uri, "fraud")["versions"][1]["tags"] == {}  # refused: not a single write


def test_versions_are_created_only_under_the_number_mlflow_assigns(repo: Repo) -> None:
    repo.write("models/gap.yaml", model_yaml("gap", (1, "none"), (3, "staging"), source="s3://b", run_ids=True))
    repo.commit("a gap")
    result = repo.stagectl("plan", in_process=True)
    assert result.returncode == 1
    assert "MLflow will number the next version of gap 2, not 3: number it 2 in models/gap.yaml" in result.stdout


def test_a_number_held_by_a_deleted_version_is_detected_recorded_and_not_retried(
    repo: Repo, registry_template: Path
) -> None:
    uri = sqlite_uri(repo.path / "mlflow.db")
    repo.write("models/m.yaml", model_yaml("m", (1, "production"), source="s3://b", run_ids=True))
    repo.commit("m 1")
    seed(registry_template, repo.path / "mlflow.db")  # an empty store, migrated once for the session
    assert repo.stagectl("apply", in_process=True).returncode == 0
    mlflow = client(uri)
    mlflow.create_model_version("m", "s3://b/m/2", run_id="run-2", await_creation_for=0)
    mlflow.delete_model_version("m", "2")  # number 2 is gone for good

    repo.write("models/m.yaml", model_yaml("m", (1, "production"), (2, "staging"), source="s3://b", run_ids=True))
    repo.commit("m 2")
    first = repo.stagectl("apply", in_process=True)
    assert first.returncode == 1
    assert "MLflow numbered the new version 3, not 2 as git says" in first.stdout
    assert sorted(state(uri, "m")["versions"]) == [1]  # the misnumbered version was deleted again
    second = repo.stagectl("apply", "--format", "json", in_process=True)
    assert second.returncode == 1 and second.json()["writes"] == 0  # no new attempt: the next number is known
    assert "MLflow will number the next version of m 4, not 2" in second.json()["errors"][0]["message"]

    repo.write("models/m.yaml", model_yaml("m", (1, "production"), (2, "archived"), source="s3://b", run_ids=True))
    repo.commit("archive the version the registry cannot hold")
    third = repo.stagectl("apply", in_process=True)
    assert third.returncode == 0
    assert "it is archived, so it is skipped" in third.stdout


@pytest.mark.filterwarnings("ignore:.*transition_model_version_stage.*:FutureWarning")
def test_import_writes_files_that_check_accepts_and_apply_adds_only_bookkeeping(
    repo: Repo, registry_template: Path
) -> None:
    uri = seed(registry_template, repo.path / "legacy.db")
    mlflow = client(uri)
    mlflow.create_registered_model("fraud", tags={"team": "risk"}, description="Card fraud: scores")
    for n in (1, 2, 3, 4):
        mlflow.create_model_version("fraud", f"s3://b/fraud/{n}", run_id=f"run-{n}", await_creation_for=0)
    mlflow.transition_model_version_stage("fraud", "1", "Archived")
    mlflow.set_registered_model_alias("fraud", "production", "2")
    mlflow.set_registered_model_alias("fraud", "staging", "3")
    mlflow.set_model_version_tag("fraud", "3", "note", "yes")  # a YAML 1.1 boolean word: must stay a string
    mlflow.create_registered_model("bad name!")
    repo.write("stagectl.yaml", "registry:\n  uri: sqlite:///legacy.db\n")
    repo.write(".gitignore", "*.db\n")

    imported = repo.stagectl("import", in_process=True)
    assert imported.returncode == 1  # "bad name!" cannot be a file name
    assert "wrote models/fraud.yaml (4 versions: 1 production, 1 staging, 1 none, 1 archived)" in imported.stdout
    assert "'bad name!' cannot be a model file name" in imported.stderr
    text = (repo.path / "models/fraud.yaml").read_text()
    assert 'description: "Card fraud: scores"\n' in text and 'note: "yes"' in text
    assert repo.stagectl("check", "--all", in_process=True).returncode == 0
    repo.commit("import the registry")

    plan = repo.stagectl("plan", "--format", "json", in_process=True).json()
    assert plan["actions"] and {(a["action"], a["detail"].split("=")[0]) for a in plan["actions"]} == {
        ("set-tag", "stagectl.stage"),
        ("set-tag", "stagectl.commit"),
        ("set-tag", "stagectl.applied"),
    }
    assert repo.stagectl("apply", in_process=True).returncode == 0
    assert repo.stagectl("plan", "--format", "json", in_process=True).json()["actions"] == []
    assert state(uri, "fraud")["aliases"] == {"production": 2, "staging": 3}
    again = repo.stagectl("import", "fraud", in_process=True)
    assert again.returncode == 0 and "models/fraud.yaml exists: left as it is" in again.stdout


def test_files_that_do_not_validate_are_refused_before_the_registry_is_touched(repo: Repo) -> None:
    repo.write("models/fraud.yaml", "name: fraud\nversions:\n  - version: 1\n    stgae: none\n    source: s3://x\n")
    repo.commit("typo")
    result = repo.stagectl("apply", in_process=True)
    assert result.returncode == 1
    assert "models/fraud.yaml:4:5: schema: unknown key 'stgae' in version 1: did you mean 'stage'?" in result.stdout
    assert "do not validate, so there is nothing to apply" in result.stderr
    assert not (repo.path / "mlflow.db").exists()


def test_a_shallow_clone_is_refused_before_the_registry_is_touched(repo: Repo, tmp_path: Path) -> None:
    """Depth 1 would make every version's stagectl.commit the clone's one commit: refused, with a hint."""
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging"), source="s3://b", run_ids=True))
    first = repo.commit("register fraud 1")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging"), (2, "none"), source="s3://b", run_ids=True))
    repo.commit("register fraud 2")
    clone = repo.shallow_clone(tmp_path / "shallow")
    for command in ("plan", "apply", "diff"):
        result = clone.stagectl(command, in_process=True)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and "shallow" in result.stderr and "fetch-depth: 0" in result.stderr
    assert not (clone.path / "mlflow.db").exists()

    clone.git("fetch", "-q", "--unshallow", "origin")
    applied = clone.stagectl("apply", "--format", "json", in_process=True)
    assert applied.returncode == 0, applied.stderr
    tags = state(sqlite_uri(clone.path / "mlflow.db"), "fraud")["versions"][1]["tags"]
    assert tags["stagectl.commit"] == first


def test_model_limits_the_models_and_an_unknown_one_is_a_usage_error(repo: Repo) -> None:
    two_models(repo)
    only = repo.stagectl("plan", "--model", "churn", "--format", "json", in_process=True)
    assert {a["model"] for a in only.json()["actions"]} == {"churn"}
    unknown = repo.stagectl("plan", "--model", "nope", in_process=True)
    assert unknown.returncode == 2 and "no model file for nope at HEAD" in unknown.stderr


def test_check_and_version_never_import_mlflow(repo: Repo) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none"), source="s3://b", run_ids=True))
    repo.commit()
    probe = (
        "import sys\nfrom stagectl.cli import main\n"
        "for args in (['check'], ['check', '--all'], ['plan', '--format', 'json']):\n"
        "    main(args)\n"
        "    print(args[0], 'mlflow' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.path, env=clean_env(), capture_output=True, text=True, check=True
    )
    # plan on a registry that does not exist yet reads nothing, so it needs no MLflow either
    found = [line for line in done.stdout.splitlines() if line.endswith((" True", " False"))]
    assert found == ["check False", "check False", "plan False"]


def test_the_console_script_prints_no_mlflow_logging(repo: Repo, tmp_path: Path) -> None:
    two_models(repo)
    result = repo.stagectl("apply", "--registry", sqlite_uri(tmp_path / "fresh.db"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.endswith("apply: 11 writes to 2 models, 0 unchanged\n")


def test_without_mlflow_installed_apply_says_how_to_get_it(repo: Repo) -> None:
    two_models(repo)
    blocked = (
        "import sys\nsys.modules['mlflow'] = None\nfrom stagectl.cli import main\nraise SystemExit(main(['apply']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked], cwd=repo.path, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr == (
        "stagectl: error: MLflow is not installed: install stagectl with its extra, pip install 'stagectl[mlflow]'\n"
    )


def one_line_error(run: Result) -> str:
    """A "cannot run": exit 2, nothing on stdout, one line on stderr (never a traceback or an internal error)."""
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stdout == ""
    assert run.stderr.startswith("stagectl: error: ") and run.stderr.count("\n") == 1, run.stderr
    assert "retried" not in run.stderr and "WARNING" not in run.stderr
    return run.stderr


def never_opened(uri: str) -> Registry:
    raise AssertionError(f"MLflow was asked to open {uri}")


@pytest.mark.parametrize(
    ("registry", "content", "expected"),
    [
        ("sqlite:///", None, "sqlite:/// names no database file: give one, e.g. sqlite:///mlflow.db"),
        ("sqlite:///{tmp}", None, "cannot open the sqlite registry {tmp}: it is a directory"),
        ("sqlite:///{tmp}/no/such/x.db", None, "cannot open the sqlite registry {tmp}/no/such/x.db: the folder"),
        ("sqlite:///{tmp}/corrupt.db", b"hello\n", "{tmp}/corrupt.db is not an MLflow sqlite database"),
        ("sqlite:///{tmp}/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "{tmp}/passwd is not an MLflow sqlite"),
    ],
)
def test_a_sqlite_path_that_cannot_be_a_registry_is_refused_before_mlflow_opens_it(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: str, content: bytes | None, expected: str
) -> None:
    """MLflow would retry opening a directory for minutes, and answer a text file with a SQL error."""
    two_models(repo)
    uri = registry.format(tmp=tmp_path)
    path = location.sqlite_file(uri)
    if content is not None and path:
        Path(path).write_bytes(content)
    monkeypatch.setattr(session, "Registry", never_opened)
    for command in (["plan"], ["diff"], ["apply"], ["import"], ["import", "fraud"]):
        err = one_line_error(repo.stagectl(*command, "--registry", uri, in_process=True))
        assert expected.format(tmp=tmp_path) in err, (command, err)
    if content is not None and path:
        assert Path(path).read_bytes() == content  # left as it was
    assert not (tmp_path / "no").exists()


def test_the_console_script_refuses_a_directory_in_one_line_without_retry_warnings(repo: Repo, tmp_path: Path) -> None:
    two_models(repo)
    result = repo.stagectl("plan", "--registry", sqlite_uri(tmp_path))  # MLflow would log to the real stderr
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"stagectl: error: cannot open the sqlite registry {tmp_path}: it is a directory (name the database file)\n"
    )


def test_mlflow_does_not_retry_opening_a_database_for_minutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What gets past stagectl's own checks fails at once: MLflow's 10 retries (~100 s) are off."""
    from mlflow.store.db import utils

    slept: list[float] = []
    monkeypatch.setattr(utils, "time", SimpleNamespace(sleep=slept.append))
    with pytest.raises(FatalError) as raised:
        Registry(sqlite_uri(tmp_path))  # a directory: SQLite cannot open it
    assert str(raised.value) == (
        f"cannot open the MLflow registry at {sqlite_uri(tmp_path)}: (sqlite3.OperationalError) "
        "unable to open database file"
    )
    assert slept == []


def test_a_missing_sqlite_folder_is_exit_2_for_plan_and_diff_as_for_apply(repo: Repo, tmp_path: Path) -> None:
    two_models(repo)
    uri = sqlite_uri(tmp_path / "nonexistent" / "dir" / "x.db")
    errors = {
        one_line_error(repo.stagectl(command, "--registry", uri, in_process=True))
        for command in ("plan", "diff", "apply")
    }
    assert errors == {
        f"stagectl: error: cannot open the sqlite registry {tmp_path}/nonexistent/dir/x.db: "
        f"the folder {tmp_path}/nonexistent/dir does not exist\n"
    }
    assert not (tmp_path / "nonexistent").exists()
    # a missing file in a folder that exists is still an empty registry for plan, and created by apply
    fresh = sqlite_uri(tmp_path / "fresh.db")
    assert repo.stagectl("plan", "--registry", fresh, in_process=True).returncode == 0
    assert not (tmp_path / "fresh.db").exists()
    assert repo.stagectl("apply", "--registry", fresh, in_process=True).returncode == 0


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ("file:///{tmp}/x", "cannot open the MLflow registry at file:///{tmp}/x: The filesystem tracking backend"),
        ("not a uri", "cannot open the MLflow registry at not a uri: "),
        ("garbage://x y", "got unsupported URI 'garbage://x y' for model registry data storage (stagectl works with"),
        ("http://[::1", "cannot open the MLflow registry at http://[::1: Invalid IPv6 URL\n"),
    ],
)
def test_a_uri_mlflow_cannot_open_is_one_line_saying_why(
    repo: Repo, tmp_path: Path, registry: str, expected: str
) -> None:
    two_models(repo)
    err = one_line_error(repo.stagectl("plan", "--registry", registry.format(tmp=tmp_path), in_process=True))
    assert expected.format(tmp=tmp_path) in err
    if not registry.startswith("http"):
        assert "stagectl works with http(s)://HOST, sqlite:///FILE, databricks" in err
    assert len(err) < 400  # MLflow's paragraph, condensed to its first sentence
    assert not (tmp_path / "x").exists() and not (repo.path / "not a uri").exists()


def test_a_missing_database_driver_is_named_not_mlflow(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow is installed; the driver SQLAlchemy picks for postgresql:// is not (blocked, wherever it is)."""
    two_models(repo)
    for driver in ("psycopg2", "psycopg"):
        monkeypatch.setitem(sys.modules, driver, None)
    err = one_line_error(repo.stagectl("plan", "--registry", "postgresql://u:secret@127.0.0.1:9/db", in_process=True))
    assert "MLflow is not installed" not in err and "secret" not in err
    assert re.fullmatch(
        r"stagectl: error: the registry URI postgresql://u:\*\*\*@127\.0\.0\.1:9/db needs the Python module "
        r"(psycopg2|psycopg), which is not installed: pip install \S+\n",
        err,
    ), err


def test_databricks_without_credentials_is_one_line_without_mlflow_logging(repo: Repo, tmp_path: Path) -> None:
    two_models(repo)
    result = repo.stagectl("plan", "--registry", "databricks", env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("stagectl: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "WARNING" not in result.stderr and "…" not in result.stderr


def test_import_says_1_version_and_diff_escapes_a_registered_name_with_a_newline(
    repo: Repo, registry_template: Path
) -> None:
    uri = seed(registry_template, repo.path / "mlflow.db")
    mlflow = client(uri)
    mlflow.create_registered_model("solo")
    mlflow.create_model_version("solo", "s3://b/solo/1", run_id="run-1", await_creation_for=0)
    mlflow.set_registered_model_alias("solo", "production", "1")
    mlflow.create_registered_model("scratch\nline\x1b[31m")
    repo.write(".gitignore", "*.db\n")

    imported = repo.stagectl("import", "solo", in_process=True)
    assert imported.returncode == 0, imported.stderr
    assert "wrote models/solo.yaml (1 version: 1 production)\n" in imported.stdout
    repo.commit("import solo")

    diff = repo.stagectl("diff", in_process=True)
    assert "not managed (registered, no model file): scratch\\nline\\x1b[31m (`stagectl import`" in diff.stdout
    assert "\x1b" not in diff.stdout and "line\n" not in diff.stdout


@pytest.mark.parametrize("name", ["", "..", "../x", "a/b"])
def test_an_invalid_model_name_is_exit_2_for_import_and_model_as_for_new(repo: Repo, name: str) -> None:
    two_models(repo)
    expected = f"stagectl: error: {name!r} is not a valid model name (letters, digits, '.', '_', '-'; at most 128)\n"
    assert repo.stagectl("new", name, in_process=True).stderr == expected
    for command in (["import", name], ["plan", "--model", name], ["diff", "--model", name], ["apply", "--model", name]):
        assert one_line_error(repo.stagectl(*command, in_process=True)) == expected, command
    assert not (repo.path / "mlflow.db").exists()


def test_importing_a_model_the_registry_does_not_have_is_exit_1(repo: Repo, registry_template: Path) -> None:
    """Asked for and not done, like a write apply could not make; the other models named are imported."""
    uri = seed(registry_template, repo.path / "mlflow.db")
    client(uri).create_registered_model("there")
    result = repo.stagectl("import", "nope", "there", in_process=True)
    assert result.returncode == 1
    assert result.stderr == f"stagectl: no registered model 'nope' in {uri}: not imported\n"
    assert "wrote models/there.yaml (0 versions)" in result.stdout


def test_a_sql_error_mlflow_logs_with_its_traceback_is_one_line(repo: Repo, tmp_path: Path) -> None:
    """MLflow logs a failed query at ERROR, traceback included, before raising it: stagectl says it once."""
    path = tmp_path / "damaged.db"
    client(sqlite_uri(path)).create_registered_model("fraud")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("ALTER TABLE registered_models DROP COLUMN description")
        db.commit()
    two_models(repo)
    result = repo.stagectl("plan", "--registry", sqlite_uri(path))  # a subprocess: MLflow logs to the real stderr
    assert result.returncode == 2
    assert result.stderr == (
        f"stagectl: error: the MLflow registry at {sqlite_uri(path)} refused to answer: (sqlite3.OperationalError) "
        "no such column: registered_models.description (check the URI, and that the database is an MLflow "
        "tracking database)\n"
    )


def test_a_sqlite_database_that_is_not_mlflows_is_refused_and_left_alone(repo: Repo, tmp_path: Path) -> None:
    """MLflow would add its tables to any database, even for a plan; one without tables is an empty registry."""
    two_models(repo)
    other, bare = tmp_path / "app.db", tmp_path / "bare.db"
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
        db.commit()
    with contextlib.closing(sqlite3.connect(bare)) as db:
        db.execute("PRAGMA user_version = 3")  # a database file with no tables
        db.commit()
    before = other.read_bytes(), bare.read_bytes()
    for command in ("plan", "diff", "apply", "import"):
        err = one_line_error(repo.stagectl(command, "--registry", sqlite_uri(other), in_process=True))
        assert f"{other} is not an MLflow sqlite database (it is some other SQLite database)" in err
    planned = repo.stagectl("plan", "--registry", sqlite_uri(bare), in_process=True)
    assert planned.returncode == 0 and planned.stdout.endswith("plan: 11 writes to 2 models, 0 up to date\n")
    assert (other.read_bytes(), bare.read_bytes()) == before
