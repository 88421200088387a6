"""`--format markdown`: the pull-request comment. What merging does, per model; the rules' verdict with
links to the offending lines; the approvals; the policy that judged it.

Everything from a file goes through `escape_markdown`; links are built from GITHUB_SERVER_URL and
GITHUB_REPOSITORY and the commits judged. The whole stays under GitHub's comment limit: what does not
fit is counted, not shown.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping

from stagectl.core.model import Violation
from stagectl.core.policy import POLICY_FILE
from stagectl.display import markdown as escape_markdown
from stagectl.display import markdown_code
from stagectl.report import CheckResult, Output, plural, summary_line

COMMENT_LIMIT = 65_536  # characters GitHub keeps in one comment
BUDGET = COMMENT_LIMIT - 4_096  # room for what the posting workflow adds (marker, footer)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SERVER = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?$")
_MENTION = re.compile(r"(@[A-Za-z0-9][A-Za-z0-9/._-]*)")


def report(result: CheckResult, output: Output) -> None:
    output.out.write(render(result, output.env))


def render(result: CheckResult, env: Mapping[str, str], budget: int = BUDGET) -> str:
    links = _Links.from_env(env)
    head = [
        "### stagectl: what merging this pull request does",
        "",
    ]
    sections: list[tuple[list[str], list[str], str]] = []  # (heading lines, items, what an item is)
    moves = [f"- `{m.model}`: {escape_markdown(m.words())}" for m in result.moves]
    if not moves:
        moves = ["- no model changes stage: nothing moves in the registry"]
    sections.append(([], moves, "model"))
    verdict = summary_line(result).removeprefix("stagectl: ")
    if result.ok:
        sections.append((["", f"**Rules:** ✅ {verdict}"], [], "error"))
    else:
        table = ["", "| where | rule | message |", "|---|---|---|"]
        rows = [_row(v, links, result.head) for v in result.violations]
        sections.append((["", f"**Rules:** ❌ {verdict}", *table], rows, "error"))
    approvals = [f"- {_mentions(text)}" for text in result.approvals]
    approvals += [f"- ⏳ {_mentions(note)}" for note in result.unjudged]
    if approvals:
        sections.append((["", "**Approvals:**"], approvals, "approval line"))
    pictures = [mermaid_block(model, chart) for model, chart in result.timelines]
    if pictures:
        sections.append((["", "**Stages over time** (this pull request's head):", ""], pictures, "timeline"))
    others = [f"> **Note:** {escape_markdown(note)}" for note in result.notes if note not in result.unjudged]
    if others:
        sections.append(([""], others, "note"))
    tail = ["", f"**Policy:** {_policy(result, links)}", ""]
    return _fit(head, sections, tail, budget)


def _row(v: Violation, links: _Links, head: str) -> str:
    where = escape_markdown(f"{v.file}:{v.line}")
    url = links.blob(head, v.file, v.line)
    cell = f"[{where}]({url})" if url else where
    return f"| {cell} | `{v.rule}` | {escape_markdown(v.message)} |"


def _mentions(text: str) -> str:
    """Approver names in code spans, so the comment asks no one by mentioning them; the rest escaped."""
    parts = _MENTION.split(text)
    return "".join(f"`{part}`" if index % 2 else _keep_spaces(part) for index, part in enumerate(parts))


def _keep_spaces(text: str) -> str:
    """escape_markdown, keeping a leading and a trailing space (the ones around a mention)."""
    lead = " " if text.startswith(" ") else ""
    trail = " " if text.endswith(" ") and text.strip() else ""
    return lead + escape_markdown(text.strip()) + trail


def _policy(result: CheckResult, links: _Links) -> str:
    if result.base is None:
        return "the policy of the working tree's `stagectl.yaml` (no base commit)"
    short = result.base[:12]
    if not result.policy_file:
        return f"the default policy: there is no `{POLICY_FILE}` at the base `{short}`"
    url = links.blob(result.base, POLICY_FILE, None)
    name = f"[`{POLICY_FILE}`]({url})" if url else f"`{POLICY_FILE}`"
    return f"{name} at the base `{short}` (a pull request cannot change the policy that judges it)"


def _fit(head: list[str], sections: list[tuple[list[str], list[str], str]], tail: list[str], budget: int) -> str:
    """Every heading, and as many items as fit; each section counts the items it had to leave out."""
    fixed = sum(len(line) + 1 for line in head + tail)
    fixed += sum(len(line) + 1 for heading, _, _ in sections for line in heading) + 200 * len(sections)
    room = budget - fixed
    lines = list(head)
    for heading, items, what in sections:
        lines += heading
        shown = 0
        for item in items:
            if len(item) + 1 > room:
                break
            lines.append(item)
            room -= len(item) + 1
            shown += 1
        if shown < len(items):
            lines.append(f"\n_… and {plural(len(items) - shown, what)} more, not shown: see the job's log._")
    return "\n".join(lines + tail)


class _Links:
    """Links into the repository on GitHub, or none when the environment does not say where it is."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> _Links:
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        repository = env.get("GITHUB_REPOSITORY", "")
        if not (_SERVER.match(server) and _REPOSITORY.match(repository)):
            return cls(None)
        return cls(f"{server}/{repository}")

    def blob(self, commit: str, path: str, line: int | None) -> str | None:
        if self.base_url is None or not _SHA.match(commit):
            return None
        anchor = f"#L{line}" if line else ""
        return f"{self.base_url}/blob/{commit}/{urllib.parse.quote(path)}{anchor}"


def mermaid_block(model: str, chart: str) -> str:
    """A model's timeline: GitHub draws a ```mermaid block (the chart's text is escaped already; no HTML)."""
    return f"{markdown_code(model)}:\n\n```mermaid\n{chart.rstrip()}\n```\n"
