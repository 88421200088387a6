"""`status --format markdown`: a table for job summaries and wikis, read back cell by cell."""

from __future__ import annotations

import re

from helpers.gitrepo import Repo
from helpers.models import model_yaml
from stagectl.display import markdown as cell

HEADER = "| model | production | staging | none | archived |"


def rows(markdown: str) -> list[list[str]]:
    """The table's rows as cells (split on pipes that are not escaped), header and rule included."""
    table = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in table]


def test_one_row_per_model_one_column_per_stage_read_from_head(repo: Repo) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "production"), (3, "staging")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "archived"), (2, "archived"), (3, "none")))
    repo.write("models/empty.yaml", model_yaml("empty"))
    sha = repo.commit("models")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "archived"), (3, "production")))

    done = repo.stagectl("status", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    assert f"`{sha[:12]}`" in done.stdout.splitlines()[0]
    table = rows(done.stdout)
    assert "| " + " | ".join(table[0]) + " |" == HEADER
    assert table[1] == ["---"] * 5
    assert table[2:] == [
        ["`churn`", "–", "–", "3", "2, 1"],
        ["`empty`", "–", "–", "–", "–"],
        ["`fraud`", "**2**", "3", "–", "1"],  # HEAD, not the working tree
    ]


def test_a_stage_filter_keeps_that_column_and_the_models_in_it(repo: Repo) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.commit("models")
    table = rows(repo.stagectl("status", "--stage", "production", "--format", "markdown").stdout)
    assert table == [["model", "production"], ["---", "---"], ["`fraud`", "**2**"]]
    nothing = repo.stagectl("status", "churn", "--stage", "production", "--format", "markdown")
    assert nothing.returncode == 0, nothing.stderr
    assert "No models with a version in production." in nothing.stdout and not rows(nothing.stdout)


def test_a_cell_stays_one_inert_cell_whatever_the_text() -> None:
    hostile = "a|b\nc <script>alert(1)</script> `code` \x1b[31mred\u202e"
    shown = cell(hostile)
    assert len(rows(f"| {shown} | x |")[0]) == 2
    assert "<" not in shown and ">" not in shown and "`" not in shown and "\n" not in shown
    assert not re.search(r"[\x00-\x1f\x7f\u202e]", shown)
    assert "&#124;" in shown and "&#60;script&#62;" in shown
