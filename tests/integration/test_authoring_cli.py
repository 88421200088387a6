"""promote / archive / rollback / register / new, run as a user runs them, on real git repositories.

Every edit is asserted byte for byte (only the intended lines change), and `stagectl check` is run
on the result: an editing command must never leave a file `check` rejects, and a refusal must say
exactly what `check` says about the same edit made by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.cli import Result
from helpers.edit_cases import CASES, Case
from helpers.gitrepo import Repo
from helpers.models import model_yaml

FRAUD = "models/fraud.yaml"
# The styles run through the command line too (tests/unit/test_edit.py checks every case's bytes at the
# library level; these cover each command and each kind of oddity once, at a subprocess apiece).
CLI_CASES = tuple(
    case
    for case in CASES
    if case.name
    in (
        "comments",
        "flowline",
        "flowmulti",
        "flowitems",
        "singlequoted",
        "crlf",
        "nonewline",
        "bom",
        "blockscalar",
        "col0stage",
        "empty",
    )
)


def read(repo: Repo, path: str = FRAUD) -> bytes:
    return (repo.path / path).read_bytes()


def errors(result: Result) -> list[str]:
    """The `file:line:col: rule: message` lines of text output."""
    return [line for line in result.stdout.splitlines() if line.startswith("models/")]


def committed(repo: Repo, content: str | bytes, message: str = "change", path: str = FRAUD) -> str:
    repo.write(path, content)
    return repo.commit(message)


def assert_refused(repo: Repo, result: Result, before: bytes, path: str = FRAUD) -> None:
    """Exit 1, and the file exactly as it was."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert read(repo, path) == before
    assert f"{path} is unchanged" in result.stderr


# -- the hand-written styles: one repository, every case edited, then one check of them all ------


@dataclass
class Styled:
    repo: Repo
    results: dict[str, Result]
    check: Result


@pytest.fixture(scope="module")
def styled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Styled]:
    """Every case of tests/helpers/edit_cases.py committed in one repository, then edited by its command."""
    path = tmp_path_factory.mktemp("styled")
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    for case in CLI_CASES:
        repo.write(case.path, case.before.encode("utf-8"))
    repo.commit("hand-written model files")
    results = {case.name: repo.stagectl(*case.args) for case in CLI_CASES}
    yield Styled(repo, results, repo.stagectl("check", "--format", "json"))


@pytest.mark.slow  # `styled` runs every case's command; tests/unit/test_edit.py checks the same bytes in the quick run
@pytest.mark.parametrize("case", CLI_CASES, ids=[case.name for case in CLI_CASES])
def test_cli_edit_of_hand_written_style(styled: Styled, case: Case) -> None:
    """The command edits the file in place to exactly the expected bytes and says what it changed."""
    result = styled.results[case.name]
    assert result.returncode == 0, result.stderr
    assert read(styled.repo, case.path) == case.after.encode("utf-8")
    assert result.stdout.startswith(f"{case.path}: version ")


def test_hand_written_styles_pass_check_after_their_edits(styled: Styled) -> None:
    """`check` (working tree against HEAD) accepts every file the commands wrote."""
    report = styled.check.json()
    assert report["errors"] == []
    assert report["ok"] is True
    assert report["files_checked"] == len(CLI_CASES)
    assert styled.check.returncode == 0


@pytest.mark.slow  # the same `styled` repository
@pytest.mark.parametrize("name", ["bom", "col0stage"])
def test_second_step_on_hand_written_style_is_refused(styled: Styled, name: str) -> None:
    """staging → production right after none → staging, without a commit: refused, bytes untouched."""
    case = next(c for c in CASES if c.name == name)
    before = read(styled.repo, case.path)
    result = styled.repo.stagectl("promote", name, "1")
    assert_refused(styled.repo, result, before, case.path)
    assert [line.split(": ", 2)[1] for line in errors(result)] == ["illegal-transition"]


# -- promote ---------------------------------------------------------------------------------------


def test_promote_moves_one_step_and_a_second_step_needs_a_commit(repo: Repo) -> None:
    """One version cannot go none → staging → production in one uncommitted change."""
    committed(repo, model_yaml("fraud", (1, "none")))
    first = repo.stagectl("promote", "fraud", "1")
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{FRAUD}: version 1: none → staging\n"
    assert read(repo) == model_yaml("fraud", (1, "staging")).encode()
    assert repo.git("diff", "--numstat") == f"1\t1\t{FRAUD}\n"

    second = repo.stagectl("promote", "fraud", "1")
    assert_refused(repo, second, model_yaml("fraud", (1, "staging")).encode())
    assert errors(second) == [
        f"{FRAUD}:4:5: illegal-transition: none → production skips staging: move it to staging first"
    ]

    repo.commit("stage fraud 1")
    third = repo.stagectl("promote", "fraud", "1")
    assert third.returncode == 0, third.stderr
    assert read(repo) == model_yaml("fraud", (1, "production")).encode()
    assert repo.stagectl("check").returncode == 0


def test_promote_to_production_archives_the_current_one_in_the_same_edit(repo: Repo) -> None:
    """With max_production 1 (the default) the displaced version is archived: two lines change."""
    committed(repo, model_yaml("fraud", (1, "production"), (2, "staging")))
    result = repo.stagectl("promote", "fraud", "2")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [
        f"{FRAUD}: version 1: production → archived",
        f"{FRAUD}: version 2: staging → production",
    ]
    assert read(repo) == model_yaml("fraud", (1, "archived"), (2, "production")).encode()
    assert repo.git("diff", "--numstat") == f"2\t2\t{FRAUD}\n"
    assert repo.stagectl("check").returncode == 0


@pytest.mark.parametrize("limit", ["2", "null"])
def test_promote_keeps_the_current_production_when_the_policy_allows_more(repo: Repo, limit: str) -> None:
    repo.write("stagectl.yaml", f"policy:\n  max_production: {limit}\n")
    committed(repo, model_yaml("fraud", (1, "production"), (2, "staging")))
    result = repo.stagectl("promote", "fraud", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{FRAUD}: version 2: staging → production\n"
    assert read(repo) == model_yaml("fraud", (1, "production"), (2, "production")).encode()


def test_promote_over_a_limit_of_two_archives_the_oldest_production_version(repo: Repo) -> None:
    repo.write("stagectl.yaml", "policy:\n  max_production: 2\n")
    committed(repo, model_yaml("fraud", (1, "production"), (2, "production"), (3, "staging")))
    result = repo.stagectl("promote", "fraud", "3")
    assert result.returncode == 0, result.stderr
    assert read(repo) == model_yaml("fraud", (1, "archived"), (2, "production"), (3, "production")).encode()


def test_promote_keeps_uncommitted_hand_edits_elsewhere_in_the_file(repo: Repo) -> None:
    """The command edits the working tree as it is, not HEAD's copy: a user's pending edit survives."""
    committed(repo, model_yaml("fraud", (1, "production"), (2, "staging")))
    pending = model_yaml("fraud", (1, "production"), (2, "staging")).replace(
        "  - version: 2\n", "  # retrained on Q3 data\n  - version: 2\n"
    )
    repo.write(FRAUD, pending)
    result = repo.stagectl("promote", "fraud", "2")
    assert result.returncode == 0, result.stderr
    assert read(repo).decode() == pending.replace("stage: production", "stage: archived").replace(
        "stage: staging", "stage: production"
    )


def test_promote_uses_heads_policy_not_the_working_trees(repo: Repo) -> None:
    """A policy loosened in the working tree does not judge the edit (HEAD's policy does)."""
    committed(repo, model_yaml("fraud", (1, "none")))
    repo.write("stagectl.yaml", "policy:\n  transitions:\n    none: [production, staging, archived]\n")
    result = repo.stagectl("promote", "fraud", "1", "--to", "production")
    assert_refused(repo, result, model_yaml("fraud", (1, "none")).encode())
    assert [e.split(": ")[1] for e in errors(result)] == ["illegal-transition"]


def test_promote_dry_run_prints_the_diff_and_writes_nothing(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "production"), (2, "staging")))
    before = read(repo)
    result = repo.stagectl("promote", "fraud", "2", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert read(repo) == before
    assert repo.git("status", "--porcelain") == ""
    assert result.stdout == (
        f"--- a/{FRAUD}\n"
        f"+++ b/{FRAUD}\n"
        "@@ -1,8 +1,8 @@\n"
        " name: fraud\n"
        " versions:\n"
        "   - version: 1\n"
        "-    stage: production\n"
        "+    stage: archived\n"
        "     source: s3://models/fraud/1\n"
        "   - version: 2\n"
        "-    stage: staging\n"
        "+    stage: production\n"
        "     source: s3://models/fraud/2\n"
    )


def test_dry_run_of_a_refused_edit_is_refused(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "none")))
    result = repo.stagectl("promote", "fraud", "1", "--to", "production", "--dry-run")
    assert_refused(repo, result, model_yaml("fraud", (1, "none")).encode())
    assert "+++" not in result.stdout


@pytest.mark.parametrize("stage", ["production", "archived"])
def test_promote_without_to_on_a_last_stage_is_a_usage_error(repo: Repo, stage: str) -> None:
    """There is no "next" stage after production or archived: the user must say where with --to."""
    committed(repo, model_yaml("fraud", (1, stage)))
    result = repo.stagectl("promote", "fraud", "1")
    assert result.returncode == 2
    assert "--to" in result.stderr
    assert read(repo) == model_yaml("fraud", (1, stage)).encode()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("promote", "fraud", "9"), "no version 9"),
        (("archive", "fraud", "9"), "no version 9"),
        (("rollback", "ghost"), "stagectl new ghost"),
        (("promote", "../models/fraud", "1"), "not a valid model name"),
        (("promote", "fraud", "1", "--to", "archived"), "invalid choice"),
        (("register", "fraud", "--source", "s3://x", "--stage", "production"), "invalid choice"),
    ],
)
def test_usage_errors_exit_2_and_touch_nothing(repo: Repo, args: tuple[str, ...], says: str) -> None:
    committed(repo, model_yaml("fraud", (1, "none")))
    result = repo.stagectl(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("stage", ["staging", "production"])
def test_promote_to_where_it_already_is_changes_nothing(repo: Repo, stage: str) -> None:
    committed(repo, model_yaml("fraud", (1, stage)))
    result = repo.stagectl("promote", "fraud", "1", "--to", stage)
    assert result.returncode == 0
    assert "nothing to change" in result.stderr
    assert result.stdout == ""
    assert repo.git("status", "--porcelain") == ""


def test_promote_from_a_subdirectory_edits_the_repositorys_file(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "none")))
    result = repo.stagectl("promote", "fraud", "1", cwd=repo.path / "models")
    assert result.returncode == 0, result.stderr
    assert read(repo) == model_yaml("fraud", (1, "staging")).encode()


def test_promote_yml_file(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "none")), path="models/fraud.yml")
    result = repo.stagectl("promote", "fraud", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "models/fraud.yml: version 1: none → staging\n"
    assert read(repo, "models/fraud.yml") == model_yaml("fraud", (1, "staging")).encode()


@pytest.mark.parametrize(
    ("content", "args", "hand_edit"),
    [
        pytest.param(
            "name: fraud\r\nversions:\r\n  - version: 1\r\n    stage: none\r\n    source: s3://f/1\r\n",
            ("promote", "fraud", "1", "--to", "production"),
            "name: fraud\r\nversions:\r\n  - version: 1\r\n    stage: production\r\n    source: s3://f/1\r\n",
            id="crlf-skip-staging",
        ),
        pytest.param(
            "\ufeffname: fraud\nversions: [{version: 1, stage: archived, source: s3://f/1}]\n",
            ("promote", "fraud", "1", "--to", "production"),
            "\ufeffname: fraud\nversions: [{version: 1, stage: production, source: s3://f/1}]\n",
            id="bom-flow-never-in-production",
        ),
        pytest.param(
            "name: fraud\nversions:\n  - {version: 1, stage: none, source: s3://f/1}  # x\n",
            ("register", "fraud", "--source", "s3://f/2", "--stage", "staging"),
            "name: fraud\nversions:\n  - {version: 1, stage: none, source: s3://f/1}  # x\n"
            "  - {version: 2, stage: staging, source: s3://f/2}\n",
            id="new-version-start-forbidden",
        ),
    ],
)
def test_refusal_reports_what_check_reports_for_the_same_edit(
    repo: Repo, content: str, args: tuple[str, ...], hand_edit: str
) -> None:
    """The command's refusal and `check` of the same edit made by hand give identical error lines."""
    repo.write("stagectl.yaml", "policy:\n  transitions:\n    new: [none]\n")
    committed(repo, content.encode())
    before = read(repo)
    refused = repo.stagectl(*args)
    assert_refused(repo, refused, before)
    repo.write(FRAUD, hand_edit.encode())
    checked = repo.stagectl("check")
    assert checked.returncode == 1
    assert errors(refused) == errors(checked)
    assert len(errors(refused)) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(
            "name: fraud\nversions:\n  - version: 1\n    stage: >-\n      none\n    source: s3://f/1\n",
            "spans several lines",
            id="block-scalar-stage",
        ),
        pytest.param(
            "name: fraud\nversions:\n  - version: 1\n    stage: none\n    source: s3://f/1\n".encode("utf-16"),
            "UTF-8",
            id="utf-16",
        ),
    ],
)
def test_edit_the_module_cannot_place_is_refused_and_nothing_written(
    repo: Repo, content: str | bytes, reason: str
) -> None:
    committed(repo, content)
    before = read(repo)
    result = repo.stagectl("promote", "fraud", "1")
    assert_refused(repo, result, before)
    assert reason in result.stderr + result.stdout  # a UTF-16 file: the check error names UTF-8
    assert list((repo.path / "models").iterdir()) == [repo.path / FRAUD]  # no temporary file left


def test_edit_of_a_file_that_does_not_pass_check_is_refused(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "none")))
    broken = model_yaml("fraud", (1, "none")).replace("stage:", "stgae:")
    repo.write(FRAUD, broken)
    result = repo.stagectl("promote", "fraud", "1")
    assert_refused(repo, result, broken.encode())
    assert {e.split(": ")[1] for e in errors(result)} == {"schema"}


# -- archive ---------------------------------------------------------------------------------------


def test_archive_production_version(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "production"), (2, "staging")))
    result = repo.stagectl("archive", "fraud", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{FRAUD}: version 1: production → archived\n"
    assert read(repo) == model_yaml("fraud", (1, "archived"), (2, "staging")).encode()
    assert repo.stagectl("check").returncode == 0


def test_archive_of_an_archived_version_changes_nothing(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "archived")))
    result = repo.stagectl("archive", "fraud", "1")
    assert result.returncode == 0
    assert "nothing to change" in result.stderr
    assert repo.git("status", "--porcelain") == ""


def test_archive_refused_by_policy(repo: Repo) -> None:
    """A policy that does not let staging versions be archived refuses the edit."""
    repo.write("stagectl.yaml", "policy:\n  transitions:\n    staging: [production]\n")
    committed(repo, model_yaml("fraud", (1, "staging")))
    result = repo.stagectl("archive", "fraud", "1")
    assert_refused(repo, result, model_yaml("fraud", (1, "staging")).encode())
    assert [e.split(": ")[1] for e in errors(result)] == ["illegal-transition"]


# -- rollback --------------------------------------------------------------------------------------


def test_rollback_restores_the_previous_production_version(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "production")), "fraud 1 live")
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "production")), "fraud 2 live")
    result = repo.stagectl("rollback", "fraud")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [
        f"{FRAUD}: version 1: archived → production",
        f"{FRAUD}: version 2: production → archived",
    ]
    assert read(repo) == model_yaml("fraud", (1, "production"), (2, "archived")).encode()
    assert repo.stagectl("check").returncode == 0


def test_rollback_after_several_rollbacks_follows_history_not_version_numbers(repo: Repo) -> None:
    """v1 → v2 → (rollback) v1 → v3: rolling back v3 restores v1, the version live just before it."""
    committed(repo, model_yaml("fraud", (1, "production")), "v1 live")
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "production")), "v2 live")
    committed(repo, model_yaml("fraud", (1, "production"), (2, "archived")), "roll back to v1")
    committed(repo, model_yaml("fraud", (1, "production"), (2, "archived"), (3, "staging")), "v3 staged")
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "archived"), (3, "production")), "v3 live")

    result = repo.stagectl("rollback", "fraud")
    assert result.returncode == 0, result.stderr
    assert read(repo) == model_yaml("fraud", (1, "production"), (2, "archived"), (3, "archived")).encode()
    assert repo.stagectl("check").returncode == 0

    # Committed, a second rollback goes back to what was live just before: v3 (as `kubectl rollout undo`).
    repo.commit("roll back to v1 again")
    again = repo.stagectl("rollback", "fraud")
    assert again.returncode == 0, again.stderr
    assert read(repo) == model_yaml("fraud", (1, "archived"), (2, "archived"), (3, "production")).encode()


def test_rollback_with_no_earlier_production_version_is_refused(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "staging")), "two versions")
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "production")), "v2 live, first ever")
    result = repo.stagectl("rollback", "fraud")
    assert_refused(repo, result, model_yaml("fraud", (1, "archived"), (2, "production")).encode())
    assert "nothing to roll back to" in result.stderr


def test_rollback_in_a_shallow_clone_says_history_may_be_missing(repo: Repo, tmp_path: Path) -> None:
    committed(repo, model_yaml("fraud", (1, "production"), (2, "staging")), "v1 live")
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "production")), "v2 live")
    clone = repo.shallow_clone(tmp_path / "shallow")
    result = clone.stagectl("rollback", "fraud")
    assert_refused(clone, result, model_yaml("fraud", (1, "archived"), (2, "production")).encode())
    assert "nothing to roll back to" in result.stderr and "this clone is shallow" in result.stderr
    clone.git("fetch", "-q", "--unshallow", "origin")
    assert clone.stagectl("rollback", "fraud").returncode == 0
    assert (clone.path / FRAUD).read_text() == model_yaml("fraud", (1, "production"), (2, "archived"))


def test_rollback_with_nothing_in_production_is_refused(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "production")), "v1 live")
    committed(repo, model_yaml("fraud", (1, "archived"), (2, "staging")), "v1 retired")
    result = repo.stagectl("rollback", "fraud")
    assert_refused(repo, result, model_yaml("fraud", (1, "archived"), (2, "staging")).encode())
    assert "no version in production" in result.stderr


def test_rollback_dry_run_on_a_commented_file(repo: Repo) -> None:
    """A hand-written file: the rollback's diff is exactly the two stage lines."""
    v1_live = (
        "name: fraud  # card fraud\n"
        "versions:\n"
        "  # the original\n"
        "  - version: 1\n"
        "    stage: production  # since May\n"
        "    source: 's3://f/1'\n"
        "\n"
        "  - version: 2\n"
        "    stage: staging\n"
        "    source: 's3://f/2'\n"
    )
    committed(repo, v1_live, "v1 live")
    committed(repo, v1_live.replace("production  #", "archived  #").replace("staging", "production"), "v2 live")
    before = read(repo)
    result = repo.stagectl("rollback", "fraud", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert read(repo) == before
    assert [line for line in result.stdout.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        "-    stage: archived  # since May",
        "+    stage: production  # since May",
        "-    stage: production",
        "+    stage: archived",
    ]


# -- register --------------------------------------------------------------------------------------


def test_register_numbers_one_above_the_highest_whatever_the_order(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (3, "archived"), (1, "archived"), (7, "production")))
    result = repo.stagectl("register", "fraud", "--source", "s3://models/fraud/8", "--run-id", "abc123")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{FRAUD}: version 8: registered in none (s3://models/fraud/8)\n"
    assert read(repo).decode() == (
        model_yaml("fraud", (3, "archived"), (1, "archived"), (7, "production"))
        + "  - version: 8\n    stage: none\n    source: s3://models/fraud/8\n    run_id: abc123\n"
    )
    assert repo.stagectl("check").returncode == 0


def test_register_in_staging_then_promote_after_commit(repo: Repo) -> None:
    committed(repo, model_yaml("fraud", (1, "production")))
    result = repo.stagectl("register", "fraud", "--source", "s3://models/fraud/2", "--stage", "staging")
    assert result.returncode == 0, result.stderr
    assert read(repo) == model_yaml("fraud", (1, "production"), (2, "staging")).encode()
    assert repo.stagectl("promote", "fraud", "2").returncode == 1  # not in staging at HEAD yet
    repo.commit("register fraud 2")
    assert repo.stagectl("promote", "fraud", "2").returncode == 0
    assert read(repo) == model_yaml("fraud", (1, "archived"), (2, "production")).encode()


def test_register_twice_without_commit_numbers_on(repo: Repo) -> None:
    """The second registration counts the uncommitted first one: versions 2 and 3, both new."""
    committed(repo, model_yaml("fraud", (1, "none")))
    assert repo.stagectl("register", "fraud", "--source", "s3://models/fraud/2").returncode == 0
    assert repo.stagectl("register", "fraud", "--source", "s3://models/fraud/3").returncode == 0
    assert read(repo) == model_yaml("fraud", (1, "none"), (2, "none"), (3, "none")).encode()
    assert repo.stagectl("check").returncode == 0


def test_register_with_metrics_meets_a_gate_without_hand_editing(repo: Repo) -> None:
    """--metric writes the metrics a production gate reads; a bad one is exit 2, file untouched."""
    repo.write("stagectl.yaml", "policy:\n  gates:\n    production: {auc: {min: 0.9}}\n")
    committed(repo, model_yaml("fraud", (1, "production")))
    result = repo.stagectl(
        "register",
        "fraud",
        "--source",
        "s3://models/fraud/2",
        "--stage",
        "staging",
        "--metric",
        "auc=0.93",
        "--metric",
        "rows=1000",
    )
    assert result.returncode == 0, result.stderr
    assert read(repo).decode() == (
        model_yaml("fraud", (1, "production"))
        + "  - version: 2\n    stage: staging\n    source: s3://models/fraud/2\n    metrics: {auc: 0.93, rows: 1000}\n"
    )
    repo.commit("register fraud 2")
    assert repo.stagectl("promote", "fraud", "2").returncode == 0

    before = read(repo)
    bad = repo.stagectl("register", "fraud", "--source", "s3://models/fraud/3", "--metric", "auc=high")
    assert bad.returncode == 2
    assert bad.stderr == "stagectl: error: --metric 'auc=high' is not NAME=NUMBER (e.g. auc=0.93)\n"
    assert read(repo) == before


# -- new -------------------------------------------------------------------------------------------


def test_new_writes_a_valid_empty_model_that_register_can_fill(repo: Repo) -> None:
    repo.write("schemas/model.schema.json", "{}\n")
    repo.commit("schemas")
    result = repo.stagectl("new", "fraud")
    assert result.returncode == 0, result.stderr
    assert read(repo) == b"# yaml-language-server: $schema=../schemas/model.schema.json\nname: fraud\nversions: []\n"
    assert repo.stagectl("check", "--all").returncode == 0
    assert repo.stagectl("check").returncode == 0  # an untracked new model counts, and passes

    registered = repo.stagectl("register", "fraud", "--source", "s3://models/fraud/1")
    assert registered.returncode == 0, registered.stderr
    assert read(repo) == (
        b"# yaml-language-server: $schema=../schemas/model.schema.json\nname: fraud\nversions:\n"
        b"  - version: 1\n    stage: none\n    source: s3://models/fraud/1\n"
    )
    assert repo.stagectl("check").returncode == 0


def test_new_honours_models_dir(repo: Repo) -> None:
    repo.write("stagectl.yaml", "models_dir: registry/models\n")
    repo.commit("policy")
    result = repo.stagectl("new", "churn.v2")
    assert result.returncode == 0, result.stderr
    assert (repo.path / "registry/models/churn.v2.yaml").read_bytes() == b"name: churn.v2\nversions: []\n"
    assert repo.stagectl("check", "--all").returncode == 0


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_new_refuses_an_existing_model(repo: Repo, suffix: str) -> None:
    existing = model_yaml("fraud", (1, "production"))
    committed(repo, existing, path=f"models/fraud{suffix}")
    result = repo.stagectl("new", "fraud")
    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert read(repo, f"models/fraud{suffix}") == existing.encode()
    assert sorted(p.name for p in (repo.path / "models").iterdir()) == [f"fraud{suffix}"]


def test_new_refuses_a_model_deleted_only_in_the_working_tree(repo: Repo) -> None:
    """An empty file in its place would drop the committed versions: point at `git checkout` instead."""
    committed(repo, model_yaml("fraud", (1, "production")))
    (repo.path / FRAUD).unlink()
    result = repo.stagectl("new", "fraud")
    assert result.returncode == 1
    assert f"git checkout HEAD -- {FRAUD}" in result.stderr
    assert not (repo.path / FRAUD).exists()


@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_edits_refuse_a_models_folder_that_is_not_a_real_folder(repo: Repo, kind: str) -> None:
    """Nothing is written through a linked models folder, nor beside a file called `models`."""
    committed(repo, model_yaml("fraud", (1, "none")))
    (repo.path / "models").rename(repo.path / "elsewhere")
    if kind == "symlink":
        (repo.path / "models").symlink_to("elsewhere")
    else:
        (repo.path / "models").write_text("not a folder\n")
    for args in (("new", "churn"), ("promote", "fraud", "1")):
        result = repo.stagectl(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and "models is " in result.stderr
    assert sorted(p.name for p in (repo.path / "elsewhere").iterdir()) == ["fraud.yaml"]
    assert (repo.path / "elsewhere/fraud.yaml").read_text() == model_yaml("fraud", (1, "none"))


@pytest.mark.parametrize("name", ["../x", "a..b", ".hidden"])
def test_new_refuses_an_invalid_name(repo: Repo, tmp_path: Path, name: str) -> None:
    """Exit 2, and nothing written anywhere (a name like `../x` must not escape the models folder)."""
    repo.commit("empty")
    result = repo.stagectl("new", name)
    assert result.returncode == 2
    assert "not a valid model name" in result.stderr
    assert not (repo.path / "models").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
    assert repo.git("status", "--porcelain") == ""
