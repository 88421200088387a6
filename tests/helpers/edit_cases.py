"""Model files written by hand in odd but valid styles, each with one edit and its exact result.

Shared by the library tests (tests/unit/test_edit.py calls stagectl.authoring.inplace directly) and the
command-line tests (tests/integration/test_authoring_cli.py runs the same edit through
`stagectl promote/archive/register`),
so both levels are held to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOM = "\ufeff"


@dataclass(frozen=True)
class Case:
    """One hand-written file, the edit made to it, and the exact file that edit must leave."""

    name: str  # the model name (and the file's stem)
    before: str
    after: str
    args: tuple[str, ...]  # the stagectl command that makes the edit
    stages: dict[int, str] = field(default_factory=dict)  # library level: list index -> new stage
    entry: dict[str, Any] = field(default_factory=dict)  # library level: the appended version entry
    suffix: str = ".yaml"

    @property
    def path(self) -> str:
        return f"models/{self.name}{self.suffix}"


def _entry(version: int, stage: str, run_id: str | None = None, model: str = "m") -> dict[str, Any]:
    entry: dict[str, Any] = {"version": version, "stage": stage, "source": f"s3://{model}/{version}"}
    if run_id:
        entry["run_id"] = run_id
    return entry


CASES = (
    Case(
        name="comments",
        suffix=".yml",
        before=(
            "# yaml-language-server: $schema=../schemas/model.schema.json\n"
            "# Written by hand: keys in an unusual order, four-space indents.\n"
            "\n"
            "versions:   # oldest first\n"
            "\n"
            "    # the first cut, retired\n"
            "    -   stage: archived   # since 2024-01\n"
            "        version: 1\n"
            "        source: s3://m/1\n"
            "\n"
            "    -   source: 's3://m/2'  # quoted on purpose\n"
            "        stage: production\n"
            "        version: 2\n"
            "        metrics:\n"
            "            auc: 0.93   # on the March holdout\n"
            "\n"
            "    # add new versions above this line\n"
            "name: comments  # must equal the file's stem\n"
            "owners: [risk-team]\n"
        ),
        after=(
            "# yaml-language-server: $schema=../schemas/model.schema.json\n"
            "# Written by hand: keys in an unusual order, four-space indents.\n"
            "\n"
            "versions:   # oldest first\n"
            "\n"
            "    # the first cut, retired\n"
            "    -   stage: archived   # since 2024-01\n"
            "        version: 1\n"
            "        source: s3://m/1\n"
            "\n"
            "    -   source: 's3://m/2'  # quoted on purpose\n"
            "        stage: production\n"
            "        version: 2\n"
            "        metrics:\n"
            "            auc: 0.93   # on the March holdout\n"
            "    -   source: 's3://m/3'\n"
            "        stage: staging\n"
            "        version: 3\n"
            "        run_id: run-3\n"
            "\n"
            "    # add new versions above this line\n"
            "name: comments  # must equal the file's stem\n"
            "owners: [risk-team]\n"
        ),
        args=("register", "comments", "--source", "s3://m/3", "--run-id", "run-3", "--stage", "staging"),
        entry=_entry(3, "staging", "run-3"),
    ),
    Case(
        name="flowline",
        before=(
            "name: flowline\n"
            "versions: [{version: 1, stage: production, source: s3://m/1}, "
            "{version: 2, stage: staging, source: s3://m/2}]  # one line\n"
        ),
        after=(
            "name: flowline\n"
            "versions: [{version: 1, stage: archived, source: s3://m/1}, "
            "{version: 2, stage: production, source: s3://m/2}]  # one line\n"
        ),
        args=("promote", "flowline", "2"),
        stages={1: "production", 0: "archived"},
    ),
    Case(
        name="flowappend",
        before="name: flowappend\nversions: [{version: 1, stage: none, source: 's3://m/1'}]  # one line\n",
        after=(
            "name: flowappend\n"
            "versions: [{version: 1, stage: none, source: 's3://m/1'}, "
            "{version: 2, stage: none, source: 's3://m/2'}]  # one line\n"
        ),
        args=("register", "flowappend", "--source", "s3://m/2"),
        entry=_entry(2, "none"),
    ),
    Case(
        name="flowmulti",
        before=(
            "name: flowmulti\n"
            "versions: [\n"
            "    {version: 1, stage: production, source: s3://m/1},\n"
            '    {version: 2, stage: none, source: "s3://m/2"}\n'
            "]\n"
            "tags: {team: risk}\n"
        ),
        after=(
            "name: flowmulti\n"
            "versions: [\n"
            "    {version: 1, stage: production, source: s3://m/1},\n"
            '    {version: 2, stage: none, source: "s3://m/2"},\n'
            '    {version: 3, stage: none, source: "s3://m/3"}\n'
            "]\n"
            "tags: {team: risk}\n"
        ),
        args=("register", "flowmulti", "--source", "s3://m/3"),
        entry=_entry(3, "none"),
    ),
    Case(
        name="flowhang",
        before=(
            "name: flowhang\n"
            "versions: [{version: 1, stage: none, source: s3://m/1},\n"
            "           {version: 2, stage: none, source: s3://m/2}]\n"
        ),
        after=(
            "name: flowhang\n"
            "versions: [{version: 1, stage: none, source: s3://m/1},\n"
            "           {version: 2, stage: none, source: s3://m/2},\n"
            "           {version: 3, stage: staging, source: s3://m/3}]\n"
        ),
        args=("register", "flowhang", "--source", "s3://m/3", "--stage", "staging"),
        entry=_entry(3, "staging"),
    ),
    Case(
        name="flowitems",
        before=(
            "name: flowitems\n"
            "versions:\n"
            "  - {version: 1, stage: production, source: s3://m/1}  # live since May\n"
            "  - {version: 2, stage: 'staging', source: 's3://m/2'}\n"
        ),
        after=(
            "name: flowitems\n"
            "versions:\n"
            "  - {version: 1, stage: archived, source: s3://m/1}  # live since May\n"
            "  - {version: 2, stage: 'production', source: 's3://m/2'}\n"
        ),
        args=("promote", "flowitems", "2", "--to", "production"),
        stages={0: "archived", 1: "production"},
    ),
    Case(
        name="flowitemsadd",
        before=(
            "name: flowitemsadd\n"
            "versions:\n"
            "  - {version: 1, stage: production, source: s3://m/1}  # live since May\n"
            "  - {version: 2, stage: 'staging', source: 's3://m/2'}\n"
        ),
        after=(
            "name: flowitemsadd\n"
            "versions:\n"
            "  - {version: 1, stage: production, source: s3://m/1}  # live since May\n"
            "  - {version: 2, stage: 'staging', source: 's3://m/2'}\n"
            "  - {version: 3, stage: 'none', source: 's3://m/3', run_id: r3}\n"
        ),
        args=("register", "flowitemsadd", "--source", "s3://m/3", "--run-id", "r3"),
        entry=_entry(3, "none", "r3"),
    ),
    Case(
        name="quoted",
        before=(
            'name: "quoted"\n'
            "description: 'Card fraud: the \"main\" scorer'\n"
            "versions:\n"
            "  - version: 1\n"
            '    stage: "production"\n'
            '    source: "s3://m/1"\n'
            "    run_id: 'run-1'\n"
        ),
        after=(
            'name: "quoted"\n'
            "description: 'Card fraud: the \"main\" scorer'\n"
            "versions:\n"
            "  - version: 1\n"
            '    stage: "production"\n'
            '    source: "s3://m/1"\n'
            "    run_id: 'run-1'\n"
            "  - version: 2\n"
            '    stage: "none"\n'
            '    source: "s3://m/2"\n'
            "    run_id: 'run-2'\n"
        ),
        args=("register", "quoted", "--source", "s3://m/2", "--run-id", "run-2"),
        entry=_entry(2, "none", "run-2"),
    ),
    Case(
        name="singlequoted",
        before=(
            "name: 'singlequoted'\n"
            "versions:\n"
            "  - version: 1\n"
            "    stage: 'production'   # 'live'\n"
            "    source: 's3://m/1'\n"
        ),
        after=(
            "name: 'singlequoted'\n"
            "versions:\n"
            "  - version: 1\n"
            "    stage: 'archived'   # 'live'\n"
            "    source: 's3://m/1'\n"
        ),
        args=("archive", "singlequoted", "1"),
        stages={0: "archived"},
    ),
    Case(
        name="crlf",
        before="name: crlf\r\nversions:\r\n  - version: 1\r\n    stage: none\r\n    source: s3://m/1\r\n",
        after=(
            "name: crlf\r\nversions:\r\n  - version: 1\r\n    stage: none\r\n    source: s3://m/1\r\n"
            "  - version: 2\r\n    stage: none\r\n    source: s3://m/2\r\n"
        ),
        args=("register", "crlf", "--source", "s3://m/2"),
        entry=_entry(2, "none"),
    ),
    Case(
        name="crlfstage",
        before="name: crlfstage\r\nversions:\r\n  - version: 1\r\n    stage: none # new\r\n    source: s3://m/1\r\n",
        after="name: crlfstage\r\nversions:\r\n  - version: 1\r\n    stage: staging # new\r\n    source: s3://m/1\r\n",
        args=("promote", "crlfstage", "1"),
        stages={0: "staging"},
    ),
    Case(
        name="nonewline",
        before="name: nonewline\nversions:\n  - version: 1\n    stage: staging\n    source: s3://m/1",
        after=(
            "name: nonewline\nversions:\n  - version: 1\n    stage: staging\n    source: s3://m/1\n"
            "  - version: 2\n    stage: staging\n    source: s3://m/2"
        ),
        args=("register", "nonewline", "--source", "s3://m/2", "--stage", "staging"),
        entry=_entry(2, "staging"),
    ),
    Case(
        name="nonewlinestage",
        before="name: nonewlinestage\nversions:\n  - version: 1\n    source: s3://m/1\n    stage: none",
        after="name: nonewlinestage\nversions:\n  - version: 1\n    source: s3://m/1\n    stage: staging",
        args=("promote", "nonewlinestage", "1"),
        stages={0: "staging"},
    ),
    Case(
        name="bom",
        before=BOM + "{name: bom, versions: [{version: 1, stage: none, source: s3://m/1}]}\n",
        after=BOM + "{name: bom, versions: [{version: 1, stage: staging, source: s3://m/1}]}\n",
        args=("promote", "bom", "1"),
        stages={0: "staging"},
    ),
    Case(
        name="bomblock",
        before=BOM + "name: bomblock\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n",
        after=(
            BOM + "name: bomblock\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n"
            "  - version: 2\n    stage: none\n    source: s3://m/2\n"
        ),
        args=("register", "bomblock", "--source", "s3://m/2"),
        entry=_entry(2, "none"),
    ),
    Case(
        name="blockscalar",
        before=(
            "name: blockscalar\n"
            "description: >\n"
            "  Scores card transactions;\n"
            "  folded.\n"
            "versions:\n"
            "  - version: 1\n"
            "    stage: none\n"
            "    source: s3://m/1\n"
            "    description: |\n"
            "      First cut.\n"
            "\n"
            "      Trained on March data.\n"
            "\n"
            "tags:\n"
            "  team: risk\n"
        ),
        after=(
            "name: blockscalar\n"
            "description: >\n"
            "  Scores card transactions;\n"
            "  folded.\n"
            "versions:\n"
            "  - version: 1\n"
            "    stage: none\n"
            "    source: s3://m/1\n"
            "    description: |\n"
            "      First cut.\n"
            "\n"
            "      Trained on March data.\n"
            "  - version: 2\n"
            "    stage: none\n"
            "    source: s3://m/2\n"
            "\n"
            "tags:\n"
            "  team: risk\n"
        ),
        args=("register", "blockscalar", "--source", "s3://m/2"),
        entry=_entry(2, "none"),
    ),
    Case(
        name="col0",
        before="name: col0\nversions:\n- version: 1\n  stage: none\n  source: s3://m/1\n# trailing comment\n",
        after=(
            "name: col0\nversions:\n- version: 1\n  stage: none\n  source: s3://m/1\n"
            "- version: 2\n  stage: staging\n  source: s3://m/2\n# trailing comment\n"
        ),
        args=("register", "col0", "--source", "s3://m/2", "--stage", "staging"),
        entry=_entry(2, "staging"),
    ),
    Case(
        name="col0stage",
        before="versions:\n- stage: none\n  version: 1\n  source: s3://m/1\nname: col0stage\n",
        after="versions:\n- stage: staging\n  version: 1\n  source: s3://m/1\nname: col0stage\n",
        args=("promote", "col0stage", "1", "--to", "staging"),
        stages={0: "staging"},
    ),
    Case(
        name="markers",
        before="---\nname: markers\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n...\n",
        after=(
            "---\nname: markers\nversions:\n  - version: 1\n    stage: none\n    source: s3://m/1\n"
            "  - version: 2\n    stage: none\n    source: s3://m/2\n...\n"
        ),
        args=("register", "markers", "--source", "s3://m/2"),
        entry=_entry(2, "none"),
    ),
    Case(
        name="empty",
        before="# no versions yet\nname: empty\nversions: []  # none yet\nowners: [risk-team]\n",
        after=(
            "# no versions yet\nname: empty\nversions:  # none yet\n"
            "  - version: 1\n    stage: none\n    source: s3://m/1\nowners: [risk-team]\n"
        ),
        args=("register", "empty", "--source", "s3://m/1"),
        entry=_entry(1, "none"),
    ),
)
