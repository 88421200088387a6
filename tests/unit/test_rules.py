"""Every rule against the library (`parse_model` + `judge`): the exhaustive matrices (every transition,
production counts, custom transitions), where a case costs microseconds instead of a subprocess.

The same rules through the CLI, in real repositories: tests/integration/test_rules_cli.py.
"""

from __future__ import annotations

import pytest

from helpers.models import key_line, model_yaml
from helpers.spec import CHANGE_RULES, GATE_RULES
from stagectl.core.judge import FileChange, judge
from stagectl.core.model import ModelFile, Rejected, Violation
from stagectl.core.policy import DEFAULT_TRANSITIONS, Policy, Settings
from stagectl.core.rules import NoHistory, all_rules
from stagectl.core.stage import STAGES
from stagectl.load.parse import parse_model, parse_settings

FRAUD = "models/fraud.yaml"

# -- the library ------------------------------------------------------------------------------------


def parsed(text: str | None, path: str = FRAUD) -> ModelFile | Rejected | None:
    return None if text is None else parse_model(path, text.encode())


def judge_texts(
    base: str | None, head: str | None, policy: Policy | None = None, path: str = FRAUD, standalone: bool = False
) -> list[Violation]:
    """Judge one model file's change from `base` to `head` (None: the file is absent)."""
    change = FileChange(path, parsed(base, path), parsed(head, path))
    return judge([change], policy or Policy(), NoHistory(), standalone=standalone)


def located(violations: list[Violation]) -> list[tuple[str, str, int, int]]:
    return [(v.rule, v.file, v.line, v.column) for v in violations]


def policy_from(text: str) -> Policy:
    settings = parse_settings(text.encode())
    assert isinstance(settings, Settings), settings
    return settings.policy


def test_rule_ids_are_the_contracts() -> None:
    """Tools match on rule ids: the library runs exactly the change rules of the contract's table and the
    policy's gates, each once."""
    ids = [rule.id for rule in all_rules()]
    assert sorted(ids) == sorted(CHANGE_RULES | GATE_RULES)


DEFAULT_ALLOWED = {
    ("new", "none"),
    ("new", "staging"),
    ("none", "staging"),
    ("none", "archived"),
    ("staging", "production"),
    ("staging", "none"),
    ("staging", "archived"),
    ("production", "archived"),
    ("production", "staging"),
    ("archived", "staging"),
}


@pytest.mark.parametrize(("from_stage", "to_stage"), [(f, t) for f in ("new", *STAGES) for t in STAGES if f != t])
def test_every_transition_of_the_default_policy(from_stage: str, to_stage: str) -> None:
    """The default transition table, cell by cell; a refusal points at the version's `stage:` key."""
    base = model_yaml("fraud") if from_stage == "new" else model_yaml("fraud", (1, from_stage))
    found = judge_texts(base, model_yaml("fraud", (1, to_stage)))
    if (from_stage, to_stage) in DEFAULT_ALLOWED:
        assert found == []
    else:
        assert located(found) == [("illegal-transition", FRAUD, key_line(0), 5)]
        assert found[0].model == "fraud"
        assert found[0].version == 1


def test_default_transitions_match_the_contract() -> None:
    """The defaults written in the SPEC are the defaults the code uses."""
    table = {(f, t) for f, targets in DEFAULT_TRANSITIONS.items() for t in targets}
    assert table == DEFAULT_ALLOWED


def test_unchanged_stage_is_not_a_transition() -> None:
    """A file whose stages do not move passes, whatever stage they are in."""
    text = model_yaml("fraud", (1, "archived"), (2, "production"), (3, "staging"), (4, "none"))
    assert judge_texts(text, text) == []


def test_transitions_in_the_policy_replace_only_the_named_from_stages() -> None:
    """`transitions: {none: [production]}` replaces the none row; the other rows keep their defaults."""
    policy = policy_from("policy:\n  transitions:\n    none: [production]\n")
    none_base = model_yaml("fraud", (1, "none"))
    assert judge_texts(none_base, model_yaml("fraud", (1, "production")), policy) == []
    refused = judge_texts(none_base, model_yaml("fraud", (1, "staging")), policy)
    assert located(refused) == [("illegal-transition", FRAUD, key_line(0), 5)]
    # Rows it does not name keep the defaults: staging -> production, new -> none, archived -> staging.
    assert judge_texts(model_yaml("fraud", (1, "staging")), model_yaml("fraud", (1, "production")), policy) == []
    assert judge_texts(model_yaml("fraud"), model_yaml("fraud", (1, "none")), policy) == []
    assert judge_texts(model_yaml("fraud", (1, "archived")), model_yaml("fraud", (1, "staging")), policy) == []
    assert judge_texts(model_yaml("fraud", (1, "archived")), model_yaml("fraud", (1, "none")), policy) != []


def test_new_row_of_the_policy_decides_where_new_versions_start() -> None:
    policy = policy_from("policy:\n  transitions:\n    new: [none]\n")
    found = judge_texts(model_yaml("fraud"), model_yaml("fraud", (1, "staging")), policy)
    assert located(found) == [("illegal-transition", FRAUD, key_line(0), 5)]
    assert "new version" in found[0].message


def test_rollback_without_history_is_refused_and_rollback_false_says_so() -> None:
    """Judged with no history, archived -> production is not a rollback of anything."""
    base, head = model_yaml("fraud", (1, "archived")), model_yaml("fraud", (1, "production"))
    assert located(judge_texts(base, head)) == [("illegal-transition", FRAUD, key_line(0), 5)]
    off = judge_texts(base, head, policy_from("policy:\n  rollback: false\n"))
    assert located(off) == [("illegal-transition", FRAUD, key_line(0), 5)]
    assert "rollback" in off[0].message


@pytest.mark.parametrize(
    ("base_stages", "head_stages", "limit", "blamed"),
    [
        (["production", "staging"], ["archived", "production"], 1, None),  # swap in one change: legal
        (["production", "staging"], ["production", "production"], 1, 1),  # two at once
        (["staging", "staging"], ["production", "production"], 1, 1),  # both new in production: newest blamed
        (["production", "staging"], ["production", "production"], 2, None),
        (["production", "production", "staging"], ["production", "production", "production"], 2, 2),
        (["production", "staging"], ["production", "production"], None, None),  # null: no limit
        (["production", "production"], ["production", "production"], 1, None),  # old violation, not raised
        (["production", "production", "staging"], ["archived", "production", "production"], 1, None),  # not raised
        (["production", "production", "staging"], ["production", "production", "production"], 1, 2),  # raised
    ],
)
def test_production_limit_is_blamed_only_when_the_change_raises_the_count(
    base_stages: list[str], head_stages: list[str], limit: int | None, blamed: int | None
) -> None:
    base = model_yaml("fraud", *enumerate(base_stages, 1))
    head = model_yaml("fraud", *enumerate(head_stages, 1))
    found = [v for v in judge_texts(base, head, Policy(max_production=limit)) if v.rule == "production-limit"]
    if blamed is None:
        assert found == []
    else:
        assert located(found) == [("production-limit", FRAUD, key_line(blamed), 5)]
        assert found[0].version == blamed + 1


def test_new_file_over_the_production_limit_is_blamed() -> None:
    """A new model file starting with two production versions breaks both transition and limit rules."""
    found = judge_texts(None, model_yaml("fraud", (1, "production"), (2, "production")))
    assert ("production-limit", FRAUD, key_line(1), 5) in located(found)


def test_version_rules() -> None:
    """version-duplicate, version-number and version-removed point at the key that causes them."""
    base = model_yaml("fraud", (1, "archived"), (3, "staging"))
    assert judge_texts(base, model_yaml("fraud", (1, "archived"), (3, "staging"), (4, "none"))) == []
    assert located(judge_texts(base, model_yaml("fraud", (1, "archived"), (3, "staging"), (2, "none")))) == [
        ("version-number", FRAUD, key_line(2, "version"), 5)
    ]
    assert located(judge_texts(base, model_yaml("fraud", (3, "staging")))) == [("version-removed", FRAUD, 2, 1)]
    duplicate = judge_texts(None, model_yaml("fraud", (1, "none"), (1, "none")))
    assert located(duplicate) == [("version-duplicate", FRAUD, key_line(1, "version"), 5)]


def test_immutable_fields_and_configured_immutables() -> None:
    """source and run_id never change; a policy can make more fields immutable (or fewer)."""
    base = model_yaml("fraud", (1, "staging")).replace("source: s3://models/fraud/1", "source: s3://a\n    run_id: r1")
    changed_source = base.replace("s3://a", "s3://b")
    found = judge_texts(base, changed_source)
    assert located(found) == [("immutable-field", FRAUD, 5, 5)]
    added_run = model_yaml("fraud", (1, "staging"))
    removed = judge_texts(base.replace("source: s3://a", "source: s3://models/fraud/1"), added_run)
    assert located(removed) == [("immutable-field", FRAUD, key_line(0, "version"), 5)]  # run_id gone: the entry
    relaxed = policy_from("policy:\n  immutable: [run_id]\n")
    assert judge_texts(base, changed_source, relaxed) == []
    with_description = base + "    description: one\n"
    stricter = policy_from("policy:\n  immutable: [source, run_id, description]\n")
    found = judge_texts(with_description, with_description.replace("one", "two"), stricter)
    assert located(found) == [("immutable-field", FRAUD, 7, 5)]


def test_model_removed_only_while_a_version_is_live() -> None:
    assert judge_texts(model_yaml("fraud", (1, "archived"), (2, "archived")), None) == []
    for stage in ("none", "staging", "production"):
        found = judge_texts(model_yaml("fraud", (1, "archived"), (2, stage)), None)
        assert located(found) == [("model-removed", FRAUD, 1, 1)]


def test_model_name_must_equal_the_stem() -> None:
    assert judge_texts(None, model_yaml("fraud")) == []
    found = judge_texts(None, model_yaml("fraud"), path="models/churn.yaml")
    assert located(found) == [("model-name", "models/churn.yaml", 1, 1)]
    bad = parse_model(FRAUD, b"versions: []\nname: ../../etc/passwd\n")
    assert isinstance(bad, Rejected)
    assert located(list(bad.violations)) == [("model-name", FRAUD, 2, 1)]


def test_twin_files_for_one_model_are_a_model_name_error() -> None:
    """fraud.yaml beside fraud.yml declares one model twice."""
    change = FileChange(FRAUD, None, parsed(model_yaml("fraud")), twins=("models/fraud.yml",))
    found = judge([change], Policy(), NoHistory())
    assert located(found) == [("model-name", FRAUD, 1, 1)]
    assert "models/fraud.yml" in found[0].message


def test_standalone_judging_runs_only_the_rules_that_need_no_base() -> None:
    """--all semantics: a new file starting in production is fine alone, two in production are not."""
    assert judge_texts(None, model_yaml("fraud", (1, "production")), standalone=True) == []
    found = judge_texts(None, model_yaml("fraud", (1, "production"), (2, "production")), standalone=True)
    assert located(found) == [("production-limit", FRAUD, key_line(1), 5)]


def test_judge_reports_every_error_of_every_file_sorted() -> None:
    changes = [
        FileChange("models/b.yaml", parsed(model_yaml("b", (1, "none")), "models/b.yaml"), None),
        FileChange(
            "models/a.yaml",
            parsed(model_yaml("a", (1, "none"), (2, "none")), "models/a.yaml"),
            parsed(model_yaml("a", (1, "production"), (2, "archived"), (2, "none")), "models/a.yaml"),
        ),
    ]
    found = judge(changes, Policy(), NoHistory())
    assert located(found) == [
        ("illegal-transition", "models/a.yaml", key_line(0), 5),
        ("version-duplicate", "models/a.yaml", key_line(2, "version"), 5),
        ("model-removed", "models/b.yaml", 1, 1),
    ]
