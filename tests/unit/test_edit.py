"""stagectl.authoring.inplace at the library level: in-place edits of hand-written files, and the refuse guard.

The command-line tests run the same cases (tests/helpers/edit_cases.py) through `stagectl`; here each edit
is made directly, so a wrong byte points at authoring/inplace.py rather than at the command around it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from helpers.edit_cases import CASES, Case
from stagectl.authoring import inplace as edit
from stagectl.core.model import Document
from stagectl.load import yamlsafe


def document(content: bytes) -> Document:
    """The file loaded with spans, as the editing commands load it."""
    loaded = yamlsafe.load(content, spans=True)
    assert loaded.document is not None, loaded.problems
    return loaded.document


def data(content: bytes) -> Any:
    loaded = yamlsafe.load(content)
    assert loaded.document is not None, loaded.problems
    return loaded.document.data


def new_entry(version: int, stage: str = "none", source: str | None = None) -> dict[str, Any]:
    return {"version": version, "stage": stage, "source": f"s3://m/{version}" if source is None else source}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_odd_style_edit_changes_only_the_intended_bytes(case: Case) -> None:
    """Each hand-written style keeps its comments, quoting, key order, line ends and BOM."""
    before = case.before.encode("utf-8")
    if case.stages:
        after = edit.set_stages(before, document(before), case.stages)
    else:
        after = edit.append_version(before, document(before), case.entry)
    assert after.decode("utf-8") == case.after
    assert after == case.after.encode("utf-8")


def test_comment_on_last_flow_item_stays_on_its_line() -> None:
    """A comment after the last item of a multi-line flow list belongs to that item, not the new one."""
    before = (
        b"name: m\n"
        b"versions: [\n"
        b"  {version: 1, stage: none, source: s3://m/1},\n"
        b"  {version: 2, stage: none, source: s3://m/2}   # newest\n"
        b"]\n"
    )
    after = edit.append_version(before, document(before), new_entry(3))
    assert after == (
        b"name: m\n"
        b"versions: [\n"
        b"  {version: 1, stage: none, source: s3://m/1},\n"
        b"  {version: 2, stage: none, source: s3://m/2},   # newest\n"
        b"  {version: 3, stage: none, source: s3://m/3}\n"
        b"]\n"
    )


def test_two_stages_on_one_line_are_rewritten_right_to_left() -> None:
    """Stages of different lengths on one line: the second edit must not use a shifted column."""
    before = b"name: m\nversions: [{version: 1, stage: none, source: a}, {version: 2, stage: production, source: b}]\n"
    after = edit.set_stages(before, document(before), {0: "production", 1: "archived"})
    assert after == (
        b"name: m\nversions: [{version: 1, stage: production, source: a}, {version: 2, stage: archived, source: b}]\n"
    )


def test_stage_edit_with_non_ascii_before_it_on_the_line() -> None:
    """Columns count characters, not bytes: a multi-byte character earlier on the line shifts nothing."""
    before = "name: m\nversions: [{description: Café ünïcode, version: 1, stage: none, source: a}]\n".encode()
    after = edit.set_stages(before, document(before), {0: "staging"})
    assert after == "name: m\nversions: [{description: Café ünïcode, version: 1, stage: staging, source: a}]\n".encode()


def test_stage_in_double_quotes_with_escapes_elsewhere_keeps_double_quotes() -> None:
    before = b'name: m\nversions:\n  - {version: 1, stage: "none", source: "s3://m/\\u00e91"}\n'
    after = edit.set_stages(before, document(before), {0: "staging"})
    assert after == b'name: m\nversions:\n  - {version: 1, stage: "staging", source: "s3://m/\\u00e91"}\n'


@pytest.mark.parametrize(
    ("source", "written"),
    [
        ("s3://m/2", "s3://m/2"),
        ("null", '"null"'),
        ("123", '"123"'),
        ("yes", '"yes"'),
        ("*alias", '"*alias"'),
        ("!tag x", '"!tag x"'),
        ("a #b", '"a #b"'),
        ("a: b", '"a: b"'),
        ("", '""'),
        ("line\nbreak", '"line\\nbreak"'),
        ("é/ü", "é/ü"),
    ],
)
def test_appended_values_read_back_as_written(source: str, written: str) -> None:
    """A source that plain YAML would read as something else (null, a number, an alias) is quoted."""
    before = b"name: m\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n"
    after = edit.append_version(before, document(before), new_entry(2, source=source))
    expected = before + f"  - version: 2\n    stage: none\n    source: {written}\n".encode()
    assert after == expected
    assert data(after)["versions"][1]["source"] == source


def test_flow_entry_value_with_flow_indicators_is_quoted() -> None:
    """In a flow mapping `,` and `}` end a plain scalar: such a value must be quoted there."""
    before = b"name: m\nversions: [{version: 1, stage: none, source: s3://m/1}]\n"
    after = edit.append_version(before, document(before), new_entry(2, source="s3://m/a,b}"))
    assert after == (
        b'name: m\nversions: [{version: 1, stage: none, source: s3://m/1}, {version: 2, stage: none, source: "s3://m/a,b}"}]\n'
    )


# -- the guard: an edit the module cannot place safely is refused, never written half-right ------


@pytest.mark.parametrize(
    ("content", "stages", "entry", "reason"),
    [
        pytest.param(
            b"name: m\nversions:\n  - version: 1\n    stage: >-\n      none\n    source: a\n",
            {0: "staging"},
            None,
            "spans several lines",
            id="stage-as-block-scalar",
        ),
        pytest.param(
            b'name: m\nversions:\n  - version: 1\n    stage: "sta\\\n      ging"\n    source: a\n',
            {0: "production"},
            None,
            "spans several lines",
            id="stage-split-over-lines",
        ),
        pytest.param(
            b"name: m\nversions:\n  -   # the first\n    version: 1\n    stage: none\n    source: a\n",
            None,
            new_entry(2),
            "does not start its line",
            id="entry-not-on-dash-line",
        ),
        pytest.param(
            b"name: m\nversions: [\n]\n", None, new_entry(1), re.escape("not written as '[]'"), id="empty-list-split"
        ),
    ],
)
def test_unsafe_edit_raises_edit_error(
    content: bytes, stages: dict[int, str] | None, entry: dict[str, Any] | None, reason: str
) -> None:
    """When the edit cannot be placed with certainty, EditError says so and no bytes come back."""
    loaded = yamlsafe.load(content, spans=True)
    assert loaded.document is not None  # every one of these is a valid file
    with pytest.raises(edit.EditError, match=reason):
        if stages is not None:
            edit.set_stages(content, loaded.document, stages)
        else:
            assert entry is not None
            edit.append_version(content, loaded.document, entry)


def test_keep_block_scalar_at_the_end_is_placed_after_its_blank_lines_or_refused() -> None:
    """`|+` keeps trailing blank lines in the value: a new entry above them would change the description.

    Either the entry goes after the kept lines or the edit is refused; a changed description never.
    """
    before = (
        b"name: m\nversions:\n  - version: 1\n    stage: none\n    source: a\n"
        b"    description: |+\n      kept\n\n\nowners: [a]\n"
    )
    try:
        after = edit.append_version(before, document(before), new_entry(2))
    except edit.EditError as error:
        assert "too unusual" in str(error)
        return
    assert data(after)["versions"][0]["description"] == "kept\n\n\n"
    assert after == before.replace(b"owners", b"  - version: 2\n    stage: none\n    source: s3://m/2\nowners")


def test_stale_spans_are_caught_by_verification() -> None:
    """Spans from another revision point at the wrong bytes: the result is parsed and refused."""
    old = b"name: m\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n"
    new = b"# a comment added since\nname: m\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n"
    with pytest.raises(edit.EditError, match="too unusual"):
        edit.set_stages(new, document(old), {0: "staging"})


def test_an_edit_never_changes_the_input_bytes_object() -> None:
    """Editing returns new bytes; the caller's content (what a refusal leaves on disk) is untouched."""
    before = b"name: m\nversions:\n  - version: 1\n    stage: none\n    source: a\n"
    copy = bytes(before)
    parsed = document(before)
    edit.set_stages(before, parsed, {0: "staging"})
    edit.append_version(before, parsed, new_entry(2))
    assert before == copy
    assert parsed.data == data(before)
