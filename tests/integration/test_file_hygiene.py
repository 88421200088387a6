"""Files that look fine but are not: version numbers, encodings, case-only twins, MLflow's limits, `new`'s names."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.gitrepo import Repo
from helpers.marks import quick_first
from helpers.models import model_yaml
from helpers.registry import client, seed, sqlite_uri
from stagectl.load import schemas

FRAUD = "models/fraud.yaml"


def version_file(number: str) -> str:
    return f"name: fraud\nversions:\n  - version: {number}\n    stage: none\n    source: s3://b/fraud/1\n"


@pytest.mark.parametrize(
    ("written", "read"),
    quick_first(("1.0", 1), ("0x10", 16), ("0o7", None), ("1_000", 1000), ("1:30", 90), ("010", 8), ("+3", 3)),
)
def test_a_version_number_not_written_as_a_plain_integer_is_a_schema_error_at_its_line(
    repo: Repo, written: str, read: int | None
) -> None:
    repo.write(FRAUD, version_file("1"))
    repo.commit("base")
    repo.write(FRAUD, version_file(written))
    for args in (("check",), ("check", "--all")):
        result = repo.stagectl(*args)
        assert result.returncode == 1
        assert result.located() == [(FRAUD, 3, 5, "schema")], result.stdout
        if read is not None:
            assert f"is written '{written}', which YAML reads as {read}: " in result.stdout
            assert f"(version: {read})" in result.stdout


def test_plain_version_numbers_and_float_metrics_still_pass(repo: Repo) -> None:
    text = version_file("16") + "    metrics: {auc: 1.0, rows: 1_000, loss: 0x10, time: 1:30}\n"
    repo.write(FRAUD, text)
    assert repo.stagectl("check", "--all").returncode == 0


@pytest.mark.parametrize("encoding", quick_first("utf-16", "utf-16-be", "utf-32", "utf-32-le"))
def test_a_utf16_or_utf32_file_is_refused_at_1_1(repo: Repo, encoding: str) -> None:
    content = model_yaml("fraud", (1, "none"))
    bom = "\ufeff" if encoding.endswith(("-be", "-le")) else ""
    repo.write(FRAUD, (bom + content).encode(encoding))
    result = repo.stagectl("check", "--all")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, 1, 1, "yaml-syntax")]
    name = encoding.upper()[:6]
    assert f"the file is {name}, not UTF-8: save it as UTF-8 (reviewers cannot read its diff)" in result.stdout


def test_bytes_that_are_not_utf8_are_refused(repo: Repo) -> None:
    repo.write(FRAUD, b"name: fraud\nversions: []\ndescription: caf\xe9\n")
    result = repo.stagectl("check", "--all")
    assert result.returncode == 1 and result.located()[0][3] == "yaml-syntax"


def test_a_utf8_byte_order_mark_is_harmless(repo: Repo) -> None:
    repo.write(FRAUD, b"\xef\xbb\xbf" + model_yaml("fraud", (1, "none")).encode())
    assert repo.stagectl("check", "--all").returncode == 0


# -- case-only twins ------------------------------------------------------------------------------


@pytest.mark.slow  # every mode: several checks a case
@pytest.mark.parametrize("twin", ["models/Fraud.yaml", "models/FRAUD.yml"])
def test_case_only_twins_are_one_name_in_every_mode(repo: Repo, twin: str) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    repo.git("branch", "base")
    stem = twin.split("/")[1].split(".")[0]
    repo.write(twin, model_yaml(stem, (1, "none")))
    expected = [(twin, 1, 1, "model-name")]
    worktree = repo.stagectl("check")
    assert worktree.located() == expected and "differ only in case" in worktree.stdout
    repo.git("add", "-A")
    assert repo.stagectl("check", "--staged").located() == expected
    repo.commit("twin")
    assert repo.stagectl("check", "--base", "base").located() == expected
    assert repo.stagectl("check", "--head", "HEAD").located() == expected
    assert repo.stagectl("check", "--all").located() == sorted([*expected, (FRAUD, 1, 1, "model-name")])


def test_new_refuses_a_name_that_differs_only_in_case(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    made = repo.stagectl("new", "Fraud")
    assert made.returncode == 1
    assert "models/fraud.yaml is the same model name up to case" in made.stderr
    assert sorted(p.name for p in (repo.path / "models").iterdir()) == ["fraud.yaml"]


def test_a_change_to_one_file_of_distinct_names_lists_nothing_extra(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.write("models/fraud-2.yaml", model_yaml("fraud-2", (1, "none")))
    repo.commit("base")
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "none")))
    assert repo.stagectl("check").returncode == 0


# -- what MLflow would refuse -------------------------------------------------------------------------


KEYS = [
    "team",
    "a b:c/d.e-f_g",
    "modèle",
    "x" * 250,
    "x" * 251,
    "a\x1bb",
    "a\u202eb",
    "tab\tkey",
    "../up",
    "..x",
    "a//b",
    "/abs",
    "trail/",
    "./a",
    "a/./b",
    "a/../b",
    ".",
    "a.b",
    "a=b",
    "a,b",
    "",
]


@pytest.mark.slow  # imports MLflow (seconds), for its own validation functions
@pytest.mark.parametrize("key", KEYS)
def test_check_refuses_exactly_the_tag_keys_mlflow_refuses(key: str) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.utils.validation import _validate_model_version_tag, _validate_registered_model_tag

    try:
        _validate_registered_model_tag(key, "v")
        _validate_model_version_tag(key, "v")
        mlflow_accepts = bool(key)
    except MlflowException:
        mlflow_accepts = False
    document = {"name": "m", "tags": {key: "v"}, "versions": []}
    assert (schemas.schema_errors(document, "model") == []) == mlflow_accepts


def test_mlflow_limits_are_schema_errors_that_say_the_limit(repo: Repo) -> None:
    text = (
        "name: fraud\n"
        'tags: {"bad\\ekey": v, "ok": "bell\\a"}\n'
        'description: "two\\nlines\\tand a tab are fine"\n'
        "versions:\n"
        "  - version: 1\n"
        "    stage: none\n"
        f"    source: s3://b/{'x' * 500}\n"
        f"    run_id: {'r' * 33}\n"
        '    description: "\\u202egnp.exe"\n'
    )
    repo.write(FRAUD, text)
    result = repo.stagectl("check", "--all")
    assert result.returncode == 1
    assert [line[1:] for line in result.located()] == [
        (2, 8, "schema"),
        (2, 23, "schema"),
        (7, 5, "schema"),
        (8, 5, "schema"),
        (9, 5, "schema"),
    ]
    assert "is not a tag key the MLflow registry accepts" in result.stdout
    assert "holds a control character or a bidi control" in result.stdout
    assert "source of version 1 is longer than 500 characters, the most the MLflow registry stores" in result.stdout
    assert "run_id of version 1 is longer than 32 characters" in result.stdout


@pytest.mark.slow
def test_what_check_accepts_apply_writes(repo: Repo, registry_template: Path) -> None:
    text = (
        "name: fraud\n"
        "description: |\n  two lines,\n  \ttabbed\n"
        "tags: {'a b:c/d.e-f_g': 'v', modèle: 'ünïcode'}\n"
        "versions:\n  - version: 1\n    stage: staging\n    source: s3://b/fraud/1\n"
        f"    run_id: {'a' * 32}\n"
    )
    repo.write(FRAUD, text)
    repo.write(".gitignore", "*.db\n")
    repo.commit("fraud")
    seed(registry_template, repo.path / "mlflow.db")  # an empty store, migrated once for the session
    assert repo.stagectl("check", "--all", in_process=True).returncode == 0
    applied = repo.stagectl("apply", in_process=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    model = client(sqlite_uri(repo.path / "mlflow.db")).get_registered_model("fraud")
    assert model.tags["modèle"] == "ünïcode"


# -- new ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", quick_first("true", "null", "No", "007", "1.5", "0x10", "yes", "On", "1e3", "Null"))
def test_new_quotes_a_name_yaml_would_read_as_something_else(repo: Repo, name: str) -> None:
    repo.write("README", "x\n")
    repo.commit("base")
    made = repo.stagectl("new", name)
    assert made.returncode == 0, made.stderr
    assert (repo.path / f"models/{name}.yaml").read_text().startswith(f'name: "{name}"\n')
    assert repo.stagectl("check", "--all").returncode == 0
    registered = repo.stagectl("register", name, "--source", "s3://b/1")
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert repo.stagectl("check", "--all").returncode == 0
