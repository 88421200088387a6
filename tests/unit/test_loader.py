"""The hostile-YAML loader as a library: what it accepts, what it refuses, and where it points.

Includes property-based tests: random bytes and random YAML-ish text never raise out of
`stagectl.load.yamlsafe.load` / `stagectl.load.parse.parse_model`, and every problem has a 1-based position.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.models import model_yaml
from stagectl.core.judge import FileChange, judge
from stagectl.core.model import ModelFile, Position, Rejected
from stagectl.core.policy import Policy, Settings
from stagectl.core.rules import NoHistory
from stagectl.load import yamlsafe
from stagectl.load.parse import parse_model, parse_settings


def problems(text: str | bytes) -> list[tuple[str, int, int]]:
    loaded = yamlsafe.load(text.encode() if isinstance(text, str) else text)
    return [(p.rule, p.position.line, p.position.column) for p in loaded.problems]


def test_plain_document_with_positions_of_keys_and_items() -> None:
    text = b"name: fraud\nversions:\n  - version: 1\n    stage: none\n  - {version: 2, stage: staging}\n"
    loaded = yamlsafe.load(text)
    assert loaded.problems == ()
    document = loaded.document
    assert document is not None
    assert document.data == {
        "name": "fraud",
        "versions": [{"version": 1, "stage": "none"}, {"version": 2, "stage": "staging"}],
    }
    assert document.position(("name",)) == Position(1, 1)
    assert document.position(("versions",)) == Position(2, 1)
    assert document.position(("versions", 0)) == Position(3, 5)
    assert document.position(("versions", 0, "stage")) == Position(4, 5)
    assert document.position(("versions", 1, "stage")) == Position(5, 18)
    assert document.position(("versions", 1, "missing")) == Position(5, 5)  # nearest ancestor


def test_scalars_get_their_yaml_types() -> None:
    loaded = yamlsafe.load(b'a: 1\nb: 0.5\nc: "1"\nd: null\ne: true\nf: no\ng: text\n')
    assert loaded.document is not None
    assert loaded.document.data == {"a": 1, "b": 0.5, "c": "1", "d": None, "e": True, "f": False, "g": "text"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x 1\nb: 2\n", [("yaml-unsafe", 1, 4)]),
        ("a: [1]\nb: *x\n", [("yaml-unsafe", 2, 4)]),
        ("a: !!python/object/apply:os.system [ls]\n", [("yaml-unsafe", 1, 4)]),
        ("!!map {a: 1}\n", [("yaml-unsafe", 1, 1)]),
        ("a: {<<: {b: 1}}\n", [("yaml-unsafe", 1, 5)]),
        ("a: 1\na: 2\n", [("yaml-duplicate-key", 2, 1)]),
        ("a:\n  b: 1\n  c: 1\n  b: 2\n", [("yaml-duplicate-key", 4, 3)]),
        ("a: 1\n---\nb: 2\n", [("yaml-syntax", 2, 1)]),
        ("a: [1, 2\n", [("yaml-syntax", 2, 1)]),
        ("a: b: c\n", [("yaml-syntax", 1, 5)]),
        ("a: 2020-13-45\n", [("yaml-syntax", 1, 4)]),
        ("a: \x00\n", [("yaml-syntax", 1, 1)]),
        ("1: a\n", [("schema", 1, 1)]),
        ("[a]: b\n", [("schema", 1, 1)]),
        ("[" * 65 + "]" * 65, [("yaml-unsafe", 1, 65)]),
    ],
)
def test_refusals_point_at_the_offending_token(text: str, expected: list[tuple[str, int, int]]) -> None:
    loaded = yamlsafe.load(text.encode())
    assert loaded.document is None
    assert problems(text) == expected


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = yamlsafe.MAX_DEPTH
    loaded = yamlsafe.load(("[" * depth + "]" * depth).encode())
    assert loaded.problems == ()


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"[" * 100_000, (1, 65)),
        (b"{a: " * 100_000, (1, 257)),
        (b"- " * 100_000 + b"x\n", (1, 129)),
        (b"name: x\ndescription: " + b"[" * 2_000 + b"]" * 2_000, (2, 77)),
    ],
)
def test_nesting_limit_is_the_same_whatever_libyaml_the_wheel_brings(content: bytes, where: tuple[int, int]) -> None:
    """libyaml 0.2.6 stops at 1,000 levels while scanning ahead; the rule and position must not change with it."""
    loaded = yamlsafe.load(content)
    assert [(p.rule, p.position.line, p.position.column) for p in loaded.problems] == [("yaml-unsafe", *where)]
    pure = yamlsafe._load_with(yamlsafe._PureLoader, content, False)
    assert pure == loaded


def test_several_duplicate_keys_are_all_reported() -> None:
    assert problems("a: 1\nb: 1\na: 2\nb: 2\n") == [("yaml-duplicate-key", 3, 1), ("yaml-duplicate-key", 4, 1)]


def test_size_limit_is_checked_before_parsing() -> None:
    assert problems(b"a: 1\n" + b"#" * yamlsafe.MAX_BYTES) == [("yaml-unsafe", 1, 1)]
    assert yamlsafe.load(b"a: 1\n#" + b"#" * (yamlsafe.MAX_BYTES - 7) + b"\n").problems == ()


def test_empty_and_comment_only_documents_load_as_null() -> None:
    for text in (b"", b"\n", b"# comment\n", b"~\n"):
        loaded = yamlsafe.load(text)
        assert loaded.problems == ()
        assert loaded.document is not None
        assert loaded.document.data is None


def test_parse_model_returns_a_model_file_or_every_reason() -> None:
    model = parse_model("models/fraud.yaml", b"name: fraud\nversions:\n  - {version: 2, stage: none, source: s}\n")
    assert isinstance(model, ModelFile)
    assert (model.name, [(v.number, v.stage) for v in model.versions]) == ("fraud", [(2, "none")])
    rejected = parse_model("models/fraud.yaml", b"name: Fraud!\nversions:\n  - {version: 0, stage: live}\nx: 1\n")
    assert isinstance(rejected, Rejected)
    found = sorted((v.rule, v.line, v.column) for v in rejected.violations)
    assert found == [
        ("model-name", 1, 1),
        ("schema", 3, 5),  # missing source: the entry
        ("schema", 3, 6),  # version 0: its key
        ("schema", 3, 18),  # stage live: its key
        ("schema", 4, 1),  # unknown key
    ]


def test_parse_settings_defaults_and_policy_errors() -> None:
    assert parse_settings(None) == Settings()
    assert parse_settings(b"# nothing to change\n") == Settings()
    loaded = parse_settings(b"models_dir: ml/models\npolicy:\n  max_production: null\n  rollback: false\n")
    assert isinstance(loaded, Settings)
    assert (loaded.models_dir, loaded.policy.max_production, loaded.policy.rollback) == (
        "ml/models",
        None,
        False,
    )
    for text, where in [
        (b"models_dir: ../outside\n", (1, 1)),
        (b"models_dir: /abs\n", (1, 1)),
        (b"policy:\n  transitions:\n    staging: [live]\n", (3, 15)),  # the item
        (b"policy:\n  immutable: [stage]\n", (2, 15)),
        (b"registry:\n  mode: both\n", (2, 3)),
        (b"a: &x 1\n", (1, 4)),
    ]:
        rejected = parse_settings(text)
        assert isinstance(rejected, Rejected), text
        assert [(v.rule, v.file) for v in rejected.violations] == [("policy", "stagectl.yaml")], text
        assert (rejected.violations[0].line, rejected.violations[0].column) == where, text


# -- property-based: nothing escapes, every position is 1-based -------------------------------------

YAMLISH = st.text(
    alphabet=st.sampled_from(
        list(":-[]{},&*!|>'\"#%@`?~ \t\n\r\\") + list("abcnosxyz019") + ["\x00", "\x1b", "\u00e9", "\ufeff"]
    ),
    max_size=200,
)

KEYS = st.sampled_from(["name", "versions", "version", "stage", "source", "tags", "metrics", "x", "<<", "no"])
SCALARS = st.one_of(
    st.sampled_from(["none", "staging", "production", "archived", "no", "~", "1", "-1", "0x1f", "1e3", ".nan", "'q'"]),
    st.text(alphabet=string.ascii_letters + string.digits + " :-#&*!", max_size=12),
)


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """Block-style YAML built line by line from model-file vocabulary, with random indentation."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        indent = " " * draw(st.integers(0, 6))
        dash = draw(st.sampled_from(["", "- "]))
        key = draw(KEYS)
        value = draw(st.one_of(SCALARS, st.just(""), st.just("[]"), st.just("{a: 1}")))
        lines.append(f"{indent}{dash}{key}: {value}".rstrip())
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def assert_well_formed(content: bytes) -> None:
    loaded = yamlsafe.load(content)
    assert (loaded.document is None) == bool(loaded.problems)
    for problem in loaded.problems:
        assert problem.position.line >= 1
        assert problem.position.column >= 1
        assert problem.rule in ("yaml-syntax", "yaml-duplicate-key", "yaml-unsafe", "schema")
        assert problem.message
    parsed = parse_model("models/m.yaml", content)
    if isinstance(parsed, Rejected):
        assert parsed.violations
        for violation in parsed.violations:
            assert violation.line >= 1
            assert violation.column >= 1
            assert violation.file == "models/m.yaml"
    else:
        assert isinstance(parsed, ModelFile)
        assert loaded.document is not None


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_never_escape(content: bytes) -> None:
    assert_well_formed(content)


@FAST
@given(YAMLISH)
def test_random_yamlish_text_never_escapes(text: str) -> None:
    assert_well_formed(text.encode("utf-8", "surrogatepass"))


@FAST
@given(yaml_documents())
def test_random_block_documents_never_escape(text: str) -> None:
    assert_well_formed(text.encode())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["none", "staging", "production", "archived"]), max_size=5),
    st.lists(st.sampled_from(["none", "staging", "production", "archived"]), max_size=5),
)
def test_judging_random_valid_changes_points_inside_the_file(before: list[str], after: list[str]) -> None:
    """Any change between valid files: every violation points at a real line of the head file."""
    base_text = model_yaml("m", *enumerate(before, 1))
    head_text = model_yaml("m", *enumerate(after, 1))
    base, head = parse_model("models/m.yaml", base_text.encode()), parse_model("models/m.yaml", head_text.encode())
    found = judge([FileChange("models/m.yaml", base, head)], Policy(), NoHistory())
    lines = head_text.splitlines()
    for violation in found:
        assert 1 <= violation.line <= len(lines)
        assert 1 <= violation.column <= len(lines[violation.line - 1]) + 1
