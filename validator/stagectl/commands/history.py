"""`stagectl history MODEL`: every stage change of a model's versions, from git alone."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, time, timezone
from typing import TextIO

from stagectl.core.events import StageEvent, parse_date
from stagectl.core.stage import Stage
from stagectl.display import printable
from stagectl.errors import SHALLOW_NOTE, FatalError
from stagectl.gitrepo.collect import base_settings
from stagectl.gitrepo.gitio import GitRepo
from stagectl.gitrepo.stagelog import commit_date, stage_events
from stagectl.gitrepo.timeline import gantt
from stagectl.load.parse import MODEL_SUFFIXES, check_name

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+([+-]\d{2}:?\d{2}|Z)?)?")


def run(name: str, version: int | None, at: str | None, fmt: str, out: TextIO, err: TextIO) -> int:
    check_name(name)
    with GitRepo.discover() as repo:
        head = repo.head()
        if head is None:
            raise FatalError("this repository has no commits yet: there is no history")
        rev, until = _point(repo, head, at)
        models_dir = base_settings(repo, rev).models_dir
        paths = [f"{models_dir}/{name}{suffix}" for suffix in MODEL_SUFFIXES]
        found = stage_events(repo, rev, paths)
        if repo.is_shallow():
            err.write(f"stagectl: warning: {SHALLOW_NOTE}\n")
        events = next((found[p] for p in paths if found[p]), [])
        chart_end = until or commit_date(repo, rev)
        if not events and not repo.entries(rev, paths):  # a model file with no versions yet has no events
            raise FatalError(f"no history for model {name!r} in {models_dir}/ at {rev[:12]}")
    known = sorted({e.version for e in events})
    if version is not None and version not in known:
        listed = ", ".join(map(str, known)) or "none yet"
        raise FatalError(f"{name} has no version {version} at {rev[:12]} (versions: {listed})")
    if until is not None:
        events = [e for e in events if parse_date(e.commit.committed) <= until]
    live = in_production(events)
    if version is not None:
        events = [e for e in events if e.version == version]
    if fmt == "json":
        out.write(json.dumps({"model": name, "events": [_event_json(e) for e in events]}, indent=2) + "\n")
    elif fmt == "mermaid":  # bars end at --at's date, or at the date of the commit read (HEAD): no "now" in it
        out.write(gantt(name, events, chart_end))
    else:
        _print_text(name, events, live, at, out)
    return 0


def in_production(events: Sequence[StageEvent]) -> list[int]:
    """The versions the events leave in production."""
    state: dict[int, str] = {}
    for event in events:
        state[event.version] = event.to_stage
    return sorted(version for version, stage in state.items() if stage == Stage.PRODUCTION)


def _point(repo: GitRepo, head: str, at: str | None) -> tuple[str, datetime | None]:
    """The commit to read history at, and a time limit when `--at` is a date."""
    if at is None:
        return head, None
    if _DATE.fullmatch(at):
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise FatalError(f"--at {at!r} is not a valid date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
        if len(at) == 10:  # a day: the end of it
            when = datetime.combine(when.date(), time.max)
        return head, when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    sha = repo.commit(at)
    if sha is None:
        raise FatalError(f"--at {at!r} is neither a date (YYYY-MM-DD) nor a commit in this repository")
    return sha, None


def _event_json(event: StageEvent) -> dict[str, object]:
    return {
        "version": event.version,
        "from": event.from_stage,
        "to": event.to_stage,
        "commit": event.commit.sha,
        "author": event.commit.author,
        "date": event.commit.date,
        "pr": event.commit.pr,
    }


def _print_text(name: str, events: Sequence[StageEvent], live: list[int], at: str | None, out: TextIO) -> None:
    if not events:
        out.write(f"{name}: no stage changes{f' up to {at}' if at else ''}\n")
    else:
        out.write(f"{'DATE':<16}  {'VERSION':>7}  {'CHANGE':<24}  {'COMMIT':<10}  {'PR':<6}  AUTHOR\n")
    for e in events:
        change = f"{e.from_stage or 'new'} → {e.to_stage}"
        pr = f"#{e.commit.pr}" if e.commit.pr else ""
        date = e.commit.date[:16].replace("T", " ")
        author = printable(e.commit.author)
        out.write(f"{date:<16}  {e.version:>7}  {change:<24}  {e.commit.sha[:10]}  {pr:<6}  {author}\n")
    shown = ", ".join(f"version {v}" for v in live) or "nothing"
    out.write(f"\nIn production {f'at {at}' if at else 'now'}: {shown}\n")
