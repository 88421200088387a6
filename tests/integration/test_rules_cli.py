"""Every rule of the contract's table through the CLI: a change that passes and one that breaks it, in
a real repository, asserting rule id, file, line, column and exit code.

The exhaustive matrices run against the library: tests/unit/test_rules.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from helpers.gitrepo import Repo
from helpers.models import key_line, model_yaml
from helpers.spec import CHANGE_RULES

FRAUD = "models/fraud.yaml"


# -- the CLI: one passing and one failing change per rule -------------------------------------------


@dataclass(frozen=True)
class Link:
    """A symbolic link to `target`, instead of file content."""

    target: str


Files = dict[str, "str | Link | None"]  # None: delete the file


@dataclass(frozen=True)
class Case:
    rule: str
    base: Files
    good: Files
    bad: Files
    where: tuple[str, int, int]
    extra: dict[str, str] = field(default_factory=dict)


STAGE_PROD = model_yaml("fraud", (1, "production"), (2, "staging"))
V_1_3 = model_yaml("fraud", (1, "archived"), (3, "staging"))
DUP_STAGE = "name: fraud\nversions:\n  - version: 1\n    stage: none\n    stage: production\n    source: s3://x\n"
TYPO = model_yaml("fraud", (1, "none")) + "    descripton: first cut\n"

CASES = [
    Case(
        "yaml-syntax",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "staging"))},
        {FRAUD: "name: fraud\nversions: ]\n"},
        (FRAUD, 2, 11),
    ),
    Case(
        "yaml-duplicate-key",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "staging"))},
        {FRAUD: DUP_STAGE},
        (FRAUD, 5, 5),
    ),
    Case(
        "yaml-unsafe",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "none"), extra="owners: [risk]")},
        {FRAUD: model_yaml("fraud", (1, "none"), extra="owners: &team [risk]")},
        (FRAUD, 2, 9),
    ),
    Case(
        "schema",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "staging"))},
        {FRAUD: TYPO},
        (FRAUD, key_line(0, "source") + 1, 5),
    ),
    Case(
        "model-name",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "none"), extra="description: renamed")},
        {FRAUD: model_yaml("fraud", (1, "none")).replace("name: fraud", "name: fraud2")},
        (FRAUD, 1, 1),
    ),
    Case(
        "file-type",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {"models/churn.yaml": model_yaml("churn", (1, "none"))},
        {"models/churn.yaml": Link("fraud.yaml")},
        ("models/churn.yaml", 1, 1),
    ),
    Case(
        "version-duplicate",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "none"), (2, "none"))},
        {FRAUD: model_yaml("fraud", (1, "none"), (1, "staging"))},
        (FRAUD, key_line(1, "version"), 5),
    ),
    Case(
        "version-number",
        {FRAUD: V_1_3},
        {FRAUD: model_yaml("fraud", (1, "archived"), (3, "staging"), (4, "none"))},
        {FRAUD: model_yaml("fraud", (1, "archived"), (3, "staging"), (2, "none"))},
        (FRAUD, key_line(2, "version"), 5),
    ),
    Case(
        "version-removed",
        {FRAUD: model_yaml("fraud", (1, "archived"), (2, "staging"))},
        {FRAUD: model_yaml("fraud", (1, "archived"), (2, "archived"))},
        {FRAUD: model_yaml("fraud", (1, "archived"))},
        (FRAUD, 2, 1),
    ),
    Case(
        "immutable-field",
        {FRAUD: model_yaml("fraud", (1, "staging"))},
        {FRAUD: model_yaml("fraud", (1, "production"))},
        {FRAUD: model_yaml("fraud", (1, "staging")).replace("s3://models/fraud/1", "s3://elsewhere/1")},
        (FRAUD, key_line(0, "source"), 5),
    ),
    Case(
        "illegal-transition",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {FRAUD: model_yaml("fraud", (1, "staging"))},
        {FRAUD: model_yaml("fraud", (1, "production"))},
        (FRAUD, key_line(0), 5),
    ),
    Case(
        "production-limit",
        {FRAUD: STAGE_PROD},
        {FRAUD: model_yaml("fraud", (1, "archived"), (2, "production"))},
        {FRAUD: model_yaml("fraud", (1, "production"), (2, "production"))},
        (FRAUD, key_line(1), 5),
    ),
    Case(
        "model-removed",
        {FRAUD: model_yaml("fraud", (1, "production")), "models/churn.yaml": model_yaml("churn", (1, "archived"))},
        {"models/churn.yaml": None},
        {FRAUD: None},
        (FRAUD, 1, 1),
    ),
    Case(
        "policy",
        {FRAUD: model_yaml("fraud", (1, "none"))},
        {"stagectl.yaml": "policy:\n  max_production: 2\n"},
        {"stagectl.yaml": "policy:\n  max_production: 0\n"},
        ("stagectl.yaml", 2, 3),
    ),
]


def apply(repo: Repo, files: Files) -> None:
    for relpath, content in files.items():
        target = repo.path / relpath
        if target.is_symlink() or target.exists():
            target.unlink()
        if isinstance(content, Link):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(content.target, target)
        elif content is not None:
            repo.write(relpath, content)


def reset(repo: Repo) -> None:
    repo.git("reset", "-q", "--hard")
    repo.git("clean", "-qfd")


def test_every_rule_of_the_spec_has_a_cli_case() -> None:
    spec_rules = {"yaml-syntax", "yaml-duplicate-key", "yaml-unsafe", "schema", "file-type", "policy"}
    assert {case.rule for case in CASES} == spec_rules | CHANGE_RULES


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_rule_through_the_cli(repo: Repo, case: Case) -> None:
    """The working tree against HEAD: the legal change exits 0, the breaking one exits 1 with one error."""
    apply(repo, case.base)
    repo.commit("base")
    apply(repo, case.good)
    good = repo.stagectl("check")
    assert (good.returncode, good.stdout) == (0, ""), good.stdout + good.stderr
    reset(repo)
    apply(repo, case.bad)
    bad = repo.stagectl("check")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.located() == [(*case.where, case.rule)]


JSON_CASES = [c for c in CASES if c.rule in ("illegal-transition", "model-removed", "policy")]


@pytest.mark.parametrize("case", JSON_CASES, ids=[case.rule for case in JSON_CASES])
def test_rule_through_the_cli_in_json(repo: Repo, case: Case) -> None:
    """The same errors as JSON: rule, file, line, column, and the model and version where they apply."""
    apply(repo, case.base)
    repo.commit("base")
    apply(repo, case.bad)
    result = repo.stagectl("check", "--format", "json")
    assert result.returncode == 1
    [error] = result.json()["errors"]
    assert (error["rule"], error["file"], error["line"], error["column"]) == (case.rule, *case.where)
    expected_model = None if case.rule == "policy" else "fraud"
    expected_version = 1 if case.rule == "illegal-transition" else None
    assert (error["model"], error["version"]) == (expected_model, expected_version)
