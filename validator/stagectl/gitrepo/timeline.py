"""A model's history as a Mermaid gantt: which version held which stage when, rollbacks marked.

Pure: stage events in, diagram text out. GitHub renders it in any markdown (```mermaid```).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from stagectl.core.events import StageEvent, parse_date
from stagectl.core.stage import Stage
from stagectl.display import mermaid_text

DATE_FORMAT = "YYYY-MM-DD HH:mm:ss"  # Mermaid's (dayjs) spelling of _STRFTIME
_STRFTIME = "%Y-%m-%d %H:%M:%S"
STAGE_TAGS: dict[str, str] = {Stage.PRODUCTION: "crit", Stage.STAGING: "active", Stage.ARCHIVED: "done", Stage.NONE: ""}


@dataclass(frozen=True)
class Bar:
    """A version in one stage from `start` until `end` (the next change, or the end of the chart)."""

    version: int
    stage: str
    start: datetime
    end: datetime
    rollback: bool  # it came back to production from archived


def bars(events: Sequence[StageEvent], end: datetime) -> list[Bar]:
    """One bar per stage a version held, in the order of the events (oldest first)."""
    found: list[Bar] = []
    for n, event in enumerate(events):
        start = _when(event)
        following = next((_when(e) for e in events[n + 1 :] if e.version == event.version), end)
        rollback = event.from_stage == Stage.ARCHIVED and event.to_stage == Stage.PRODUCTION
        found.append(Bar(event.version, event.to_stage, start, max(following, start), rollback))
    return found


def gantt(model: str, events: Sequence[StageEvent], end: datetime) -> str:
    """The diagram: a section per version (oldest version first), a bar per stage it held."""
    lines = [
        "gantt",
        f"    title {mermaid_text(model)} — stages over time",
        f"    dateFormat {DATE_FORMAT}",
        "    axisFormat %Y-%m-%d",
        "    todayMarker off",
    ]
    drawn = bars(events, end)
    if not drawn:
        lines.append("    %% no stage changes yet")
    for version in sorted({bar.version for bar in drawn}):
        lines.append(f"    section version {version}")
        for bar in (b for b in drawn if b.version == version):
            name = f"{bar.stage} (rollback)" if bar.rollback else bar.stage
            tags = STAGE_TAGS[bar.stage]
            lines.append(f"        {name} :{f'{tags}, ' if tags else ''}{_date(bar.start)}, {_date(bar.end)}")
            if bar.rollback:
                lines.append(f"        rollback to version {version} :milestone, crit, {_date(bar.start)}, 0d")
    return "\n".join(lines) + "\n"


def _when(event: StageEvent) -> datetime:
    """When the change took effect: the commit's landing (committer) date, in UTC."""
    return parse_date(event.commit.committed).astimezone(timezone.utc)


def _date(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(_STRFTIME)
