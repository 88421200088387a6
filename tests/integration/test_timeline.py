"""`history MODEL --format mermaid`: a gantt of each version's stages, read back line by line.

The repository is real, its commits dated; fraud goes to production, is replaced by version 3,
and is rolled back. (docs/render_timeline.sh draws the same story with the real Mermaid CLI.)
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path

import pytest

from helpers.gitrepo import Repo, init_repo
from helpers.models import model_yaml
from stagectl.display import mermaid_text

FRAUD = "models/fraud.yaml"
STEPS = (
    ("2026-11-02T10:00:00+00:00", ((1, "none"),)),
    ("2026-11-03T10:00:00+00:00", ((1, "staging"),)),
    ("2026-11-05T15:00:00+00:00", ((1, "production"),)),
    ("2026-11-11T09:00:00+02:00", ((1, "production"), (2, "staging"))),  # another time zone: 07:00 UTC
    ("2026-11-12T16:30:00+00:00", ((1, "archived"), (2, "production"))),
    ("2026-11-13T08:15:00+00:00", ((1, "production"), (2, "archived"))),  # the rollback
)
END = "2026-11-20T12:00:00+00:00"  # an unrelated commit: HEAD's date ends the chart
BAR = re.compile(
    r"^ {8}(?P<name>[^:]+?) :(?P<tags>(?:(?:crit|active|done|milestone), )*)"
    r"(?P<start>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d), (?P<end>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|0d)$"
)


@pytest.fixture(scope="module")
def fraud_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = init_repo(tmp_path_factory.mktemp("timeline") / "repo")
    for date, versions in STEPS:
        repo.write(FRAUD, model_yaml("fraud", *versions))
        repo.commit(f"fraud at {date}", date=date)
    repo.write("README.md", "runbook\n")
    repo.commit("Update the runbook", date=END)
    return repo


def parse(chart: str) -> tuple[list[str], dict[int, list[dict[str, str]]]]:
    """The header lines, and each section's bars (name, tags, start, end), checking every line's form."""
    lines = chart.splitlines()
    header: list[str] = []
    sections: dict[int, list[dict[str, str]]] = {}
    current: int | None = None
    for line in lines:
        section = re.fullmatch(r" {4}section version (\d+)", line)
        bar = BAR.match(line)
        if section:
            current = int(section.group(1))
            sections[current] = []
        elif bar:
            assert current is not None, f"a bar outside a section: {line!r}"
            sections[current].append(bar.groupdict())
        else:
            assert current is None, f"not a bar: {line!r}"
            header.append(line)
    return header, sections


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def test_a_gantt_with_a_section_per_version_and_a_bar_per_stage_held(fraud_repo: Repo) -> None:
    done = fraud_repo.stagectl("history", "fraud", "--format", "mermaid")
    assert done.returncode == 0, done.stderr
    header, sections = parse(done.stdout)
    assert header[0] == "gantt"
    assert "    dateFormat YYYY-MM-DD HH:mm:ss" in header
    assert any(line.startswith("    title fraud") for line in header)
    assert list(sections) == [1, 2]

    stages = {v: [b["name"] for b in bars if "milestone" not in b["tags"]] for v, bars in sections.items()}
    assert stages == {
        1: ["none", "staging", "production", "archived", "production (rollback)"],
        2: ["staging", "production", "archived"],
    }
    for bars in sections.values():
        held = [b for b in bars if "milestone" not in b["tags"]]
        for bar, following in itertools.pairwise(held):
            assert when(bar["start"]) <= when(bar["end"]) == when(following["start"])  # contiguous, in order
        assert held[-1]["end"] == "2026-11-20 12:00:00"  # the last stage lasts until HEAD's date
        for bar in held:
            assert ("crit" in bar["tags"]) == bar["name"].startswith("production"), bar
    assert sections[2][0]["start"] == "2026-11-11 07:00:00"  # dates in UTC


def test_the_rollback_is_marked_where_it_happened(fraud_repo: Repo) -> None:
    _header, sections = parse(fraud_repo.stagectl("history", "fraud", "--format", "mermaid").stdout)
    milestones = [b for bars in sections.values() for b in bars if "milestone" in b["tags"]]
    assert len(milestones) == 1
    (rollback,) = milestones
    assert "rollback" in rollback["name"] and "crit" in rollback["tags"]
    assert rollback["start"] == "2026-11-13 08:15:00" and rollback in sections[1]
    back = next(b for b in sections[1] if b["name"] == "production (rollback)")
    assert back["start"] == rollback["start"]
    first_production = next(b for b in sections[2] if b["name"] == "production")
    assert "rollback" not in first_production["name"]  # staging -> production is no rollback


def test_at_a_date_ends_the_chart_there_and_version_keeps_one_section(fraud_repo: Repo) -> None:
    done = fraud_repo.stagectl("history", "fraud", "--at", "2026-11-12", "--version", "1", "--format", "mermaid")
    assert done.returncode == 0, done.stderr
    _header, sections = parse(done.stdout)
    assert list(sections) == [1]
    assert [b["name"] for b in sections[1]] == ["none", "staging", "production", "archived"]
    assert sections[1][-1]["end"] == "2026-11-12 23:59:59"  # the rollback of the 13th is not there yet


def test_mermaid_text_leaves_nothing_mermaid_would_read_as_syntax() -> None:
    hostile = 'evil: name # comment; %% more\n<b>bold</b> "q" & {x} \x1b[31m\u202e'
    text = mermaid_text(hostile)
    # Every '#' starts an entity code that Mermaid turns back into the character; nothing else is special.
    bare = re.sub(r"#(\d+|lt|gt|quot|amp);", "", text)
    assert not re.search(r"[#:;%<>\"&{}`\n\x00-\x1f\x7f\u202e]", bare), text
    assert "name #35; comment#59; #37;#37;" in text and "\\x1b" in text and "\\u202e" in text
    assert mermaid_text("fraud-v2.model") == "fraud-v2.model"


def test_a_model_without_stage_changes_is_an_empty_chart(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    repo.write(FRAUD, model_yaml("fraud"))
    repo.commit("an empty model", date="2026-11-02T10:00:00+00:00")
    done = repo.stagectl("history", "fraud", "--format", "mermaid")
    assert done.returncode == 0, done.stderr
    header, sections = parse(done.stdout)
    assert header[0] == "gantt" and sections == {}


def _mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"^`([^`\n]+)`:\n\n```mermaid\n(gantt\n.*?)\n```$", text, re.S | re.M)


def test_the_pull_request_comment_draws_each_model_that_changes_stage(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production"), (2, "staging")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "promote")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging"), extra="description: only words change"))
    repo.commit("promote fraud 2")
    comment = repo.stagectl("check", "--base", "main", "--format", "markdown")
    assert comment.returncode == 0, comment.stdout + comment.stderr
    blocks = _mermaid_blocks(comment.stdout)
    assert [model for model, _ in blocks] == ["fraud"]  # churn changes no stage: no picture
    chart = blocks[0][1].splitlines()
    assert chart[1] == "    title fraud — stages over time"
    assert "    section version 2" in chart and any(line.startswith("        production :crit,") for line in chart)
    # A working-tree check has no commit to draw up to: no picture, and nothing else changes.
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "production"), (3, "none")))
    assert not _mermaid_blocks(repo.stagectl("check", "--format", "markdown").stdout)


@pytest.mark.slow
def test_the_apply_summary_draws_each_model_written_to(tmp_path: Path, registry_template: Path) -> None:
    from helpers.registry import seed

    repo = init_repo(tmp_path / "repo")
    repo.write(".gitignore", "*.db\n")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.commit("base")
    uri = seed(registry_template, tmp_path / "registry.db")
    assert repo.stagectl("apply", "--registry", uri, in_process=True).returncode == 0
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production")))
    repo.commit("fraud 1 to production")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert repo.stagectl("apply", "--registry", uri, env=env, in_process=True).returncode == 0
    blocks = _mermaid_blocks(summary.read_text(encoding="utf-8"))
    assert [model for model, _ in blocks] == ["fraud"]  # churn was not written to
    assert any(line.startswith("        production :crit,") for line in blocks[0][1].splitlines())
