"""Follow the versions' stages through many revisions of one model file, parsing only what changed.

History and rollback checks read every revision of a file. Parsing each revision whole costs
O(file size) per commit: a model with 5,000 commits and 500 versions would take tens of seconds.
Consecutive revisions differ in a few bytes, so the tracker finds the changed byte range
(binary search with memcmp), maps it to the version entries it touches, and parses only those
entries. Anything it cannot place with certainty (a header edit, a flow-style list, a dedent)
falls back to a full parse, so the answers are always those of a full parse of a valid revision.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from stagectl.core.stage import STAGES
from stagectl.load import yamlsafe

_COMMENT_OR_BLANK = re.compile(rb"[ \t]*(#.*)?\r?$")
_WORD = re.compile(rb"[A-Za-z0-9_.]*")
_WORD_BEFORE = re.compile(rb"[A-Za-z0-9_.]*\Z")
_MAX_WORD_EDITS = 8
_ODD_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")  # NEL, LS, PS: line breaks to YAML
_STAGE_LINE = re.compile(rb"(?P<lead> *(?:- +)?)stage: +(?P<q>[\"']?)(?P<value>[A-Za-z0-9_.]+)(?P=q) *(?:#.*)?\r?")
_STAGE_WORDS = frozenset(stage.encode() for stage in STAGES)


def stages_of(data: Any) -> dict[int, str]:
    """version -> stage of a parsed model document (first entry wins; malformed entries say nothing)."""
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list):
        return {}
    found: dict[int, str] = {}
    for entry in versions:
        version, stage = _entry(entry)
        if version is not None and stage is not None:
            found.setdefault(version, stage)
    return found


def _entry(entry: Any) -> tuple[int | None, str | None]:
    if not isinstance(entry, dict):
        return None, None
    version, stage = entry.get("version"), entry.get("stage")
    return (version if type(version) is int else None), (stage if isinstance(stage, str) else None)


class StageTracker:
    """Feed it revisions of one file in any order; `stages` is then the latest readable one's stages.

    `update` returns what the revision changed against the last readable one: the versions whose
    stage differs or that appeared, with their stage (so a caller's work follows the change, not
    the number of versions), or None for a revision that is not a readable model file.
    """

    def __init__(self) -> None:
        self._content = b""
        self._starts: list[int] = []  # byte offset of each version entry's first line
        self._entries: list[tuple[int | None, str | None]] = []  # (version, stage) per entry
        self._key_columns: list[int] = []  # column of each entry's keys
        self._complete = 0  # entries with both a version and a stage
        self._end = 0  # byte offset just past the last entry
        self._indent = -1  # column of the entries' dashes; -1: no incremental state
        self._stages: dict[int, str] = {}
        self._changed: dict[int, str] = {}

    @property
    def stages(self) -> Mapping[int, str]:
        """version -> stage in the latest readable revision."""
        return self._stages

    def update(self, content: bytes) -> dict[int, str] | None:
        self._changed = {}
        if self._indent < 0 or not self._starts:
            return self._full(content)
        if content == self._content:
            return {}
        old = self._content
        start = _common_prefix(old, content, 0, 0)
        if start < self._starts[0]:
            return self._full(content)  # the header changed
        if self._word_edits(old, content, start):
            self._content = content
            return self._changed
        suffix = _common_suffix(old, content, min(len(old), len(content)) - start)
        old_stop = len(old) - suffix
        if old_stop > self._end:
            return self._full(content)  # what follows the list changed
        first = bisect_right(self._starts, start) - 1
        last = max(first, bisect_right(self._starts, max(start, old_stop - 1)) - 1)
        delta = len(content) - len(old)
        snippet_start = self._starts[first]
        old_snippet_end = self._starts[last + 1] if last + 1 < len(self._starts) else self._end
        parsed = self._parse_entries(content, snippet_start, old_snippet_end + delta, last + 1 < len(self._starts))
        if parsed is None:
            return self._full(content)
        starts, entries, key_columns = parsed
        replaced = self._entries[first : last + 1]
        self._starts[first : last + 1] = starts
        self._entries[first : last + 1] = entries
        self._key_columns[first : last + 1] = key_columns
        self._shift(first + len(starts), delta)
        self._end += delta
        self._content = content
        self._restage(replaced, entries)
        if not self._starts:
            self._indent = -1
        return self._changed

    def _word_edits(self, old: bytes, new: bytes, start: int) -> bool:
        """Apply, without parsing, a revision whose every difference replaces one word in a value.

        Between such revisions every space, colon, bracket and line break is the same, so no entry
        or key can move; the edits that rename an entry's stage are applied. False, with nothing
        changed, for anything else (a stage line is only read when it is one `stage: word` line).
        """
        moves: list[tuple[int, str]] = []  # (entry, new stage)
        shifts: list[tuple[int, int]] = []  # (old offset, total delta from there on)
        at_old, at_new = start, start
        for _ in range(_MAX_WORD_EDITS):
            if at_old >= self._end:
                return False
            line_start = old.rfind(b"\n", 0, at_old) + 1
            word_start = at_old - len(_WORD_BEFORE.search(old, line_start, at_old).group())  # type: ignore[union-attr]
            old_end = _WORD.match(old, at_old).end()  # type: ignore[union-attr]
            new_end = _WORD.match(new, at_new).end()  # type: ignore[union-attr]
            if (old_end == at_old and new_end == at_new) or old[old_end : old_end + 1] == b":":
                return False  # not a word (punctuation, spaces, line breaks changed), or a key
            entry = bisect_right(self._starts, word_start) - 1
            shift = new_end - old_end
            old_line = old[line_start : _line_end(old, old_end)]
            new_line = new[new.rfind(b"\n", 0, at_new) + 1 : _line_end(new, new_end)]
            stage = self._word_effect(old_line, new_line, word_start - line_start, entry)
            if stage is None:
                return False
            if stage:
                moves.append((entry, stage))
            shifts.append((old_end, shift))
            same = _common_prefix(old, new, old_end, new_end)
            at_old, at_new = old_end + same, new_end + same
            if at_old >= len(old) and at_new >= len(new):
                break
        else:
            return False
        for entry, stage in moves:
            version, was = self._entries[entry]
            self._entries[entry] = (version, stage)
            self._restage([(version, was)], [(version, stage)])
        starts, pending, delta = self._starts, 0, 0
        for index in range(bisect_right(starts, shifts[0][0]), len(starts)):
            while pending < len(shifts) and shifts[pending][0] <= starts[index]:
                delta = shifts[pending][1]
                pending += 1
            starts[index] += delta
        self._end += shifts[-1][1]
        return True

    def _word_effect(self, old_line: bytes, new_line: bytes, column: int, entry: int) -> str | None:
        """The stage a one-word edit at `column` gives the entry; "" when it moves none; None when unsafe."""
        before = old_line[:column]
        if b":" not in before and b"#" not in before:
            return None  # a key, or the start of a line: the structure may change
        if new_line.lstrip().startswith(b"..."):
            return None  # could end the document
        if not any(word in line for word in (b"stage", b"version") for line in (old_line, new_line)):
            return ""  # a value or comment that names no stage or version
        was, now = _STAGE_LINE.fullmatch(old_line), _STAGE_LINE.fullmatch(new_line)
        if was is None or now is None or now.group("value") not in _STAGE_WORDS:
            return None
        if was.start("value") > column or len(was.group("lead")) != self._key_columns[entry]:
            return None  # the key itself, or a `stage:` of a nested mapping
        if len(now.group("lead")) != len(was.group("lead")):
            return None
        return now.group("value").decode()

    def _shift(self, first: int, delta: int) -> None:
        starts = self._starts
        for index in range(first, len(starts)):
            starts[index] += delta

    def _restage(
        self, removed: list[tuple[int | None, str | None]], added: list[tuple[int | None, str | None]]
    ) -> None:
        """Update version -> stage for replaced entries, noting what changed; rebuild when a number repeats."""
        stages = self._stages
        touched = {version: stages.get(version) for version, _stage in removed + added if version is not None}
        self._complete += _count_complete(added) - _count_complete(removed)
        for version, _stage in removed:
            if version is not None:
                stages.pop(version, None)
        for version, stage in added:
            if version is not None and stage is not None:
                if version in stages:
                    break
                stages[version] = stage
        else:
            if len(stages) == self._complete:  # no version number repeats: the update is exact
                self._note(
                    {v: s for v, s in touched.items() if s is not None}, {v: stages[v] for v in touched if v in stages}
                )
                return
        before = {v: s for v, s in {**stages, **touched}.items() if s is not None}
        self._stages = {}
        for version, stage in self._entries:
            if version is not None and stage is not None:
                self._stages.setdefault(version, stage)
        self._note(before, self._stages)

    def _note(self, before: Mapping[int, str], after: Mapping[int, str]) -> None:
        for version, stage in after.items():
            if before.get(version) != stage:
                self._changed[version] = stage

    def _full(self, content: bytes) -> dict[int, str] | None:
        self._indent = -1
        self._content = content
        loaded = yamlsafe.load(content, spans=True)
        if loaded.document is None:
            return None
        document = loaded.document
        before, self._stages = self._stages, stages_of(document.data)
        self._note(before, self._stages)
        if _odd_breaks(content):
            return self._changed  # lines end where only libyaml knows: no incremental state
        versions = document.data.get("versions") if isinstance(document.data, dict) else None
        span = document.spans.get(("versions",))
        if not isinstance(versions, list) or not versions or span is None or span.flow:
            return self._changed
        lines = _line_starts(content)
        starts: list[int] = []
        key_columns: list[int] = []
        indent = -1
        for index in range(len(versions)):
            position = document.positions[("versions", index)]
            line_start = lines[position.line - 1]
            dash = _dash_column(content[line_start : line_start + position.column - 1])
            if dash is None or (indent >= 0 and dash != indent) or (starts and line_start <= starts[-1]):
                return self._changed  # not one entry per "- " line: no incremental state
            indent = dash
            starts.append(line_start)
            key_columns.append(position.column - 1)
        end = span.end
        self._end = len(content) if end.line > len(lines) else min(len(content), lines[end.line - 1] + end.column - 1)
        self._starts = starts
        self._entries = [_entry(entry) for entry in versions]
        self._key_columns = key_columns
        self._complete = _count_complete(self._entries)
        self._indent = indent
        return self._changed

    def _parse_entries(
        self, content: bytes, begin: int, end: int, followed: bool
    ) -> tuple[list[int], list[tuple[int | None, str | None]], list[int]] | None:
        """Parse content[begin:end] as whole list entries at the file's dash column, or None.

        `followed`: another entry should start at `end`; if the edit ran into it, parse it all.
        """
        if end > begin and content[end - 1 : end] != b"\n":
            return None  # the edit joined lines across the snippet's end
        if followed and not content.startswith(b" " * self._indent + b"-", end):
            return None
        snippet = content[begin:end]
        if _odd_breaks(snippet):
            return None
        for line in snippet.split(b"\n"):
            if _COMMENT_OR_BLANK.fullmatch(line):
                continue
            indent = len(line) - len(line.lstrip(b" "))
            if indent < self._indent or (indent == self._indent and not line[indent:].startswith(b"-")):
                return None  # a line outside the list entries: not ours to parse alone
        loaded = yamlsafe.load(snippet)
        if loaded.document is None:
            return None
        data = loaded.document.data
        if data is None:
            return [], [], []
        if not isinstance(data, list):
            return None
        lines = _line_starts(snippet)
        starts = []
        key_columns = []
        for index in range(len(data)):
            position = loaded.document.positions[(index,)]
            line_start = lines[position.line - 1]
            if _dash_column(snippet[line_start : line_start + position.column - 1]) != self._indent:
                return None
            starts.append(begin + line_start)
            key_columns.append(position.column - 1)
        if not starts or starts[0] != begin:
            return None  # something before the first entry
        return starts, [_entry(entry) for entry in data], key_columns


def _dash_column(prefix: bytes) -> int | None:
    """The dash's column when `prefix` (a line up to an entry) is spaces, "-", spaces; else None."""
    stripped = prefix.rstrip(b" ")
    if not stripped.endswith(b"-") or stripped[:-1].strip(b" "):
        return None
    return len(stripped) - 1


def _odd_breaks(content: bytes) -> bool:
    """Line breaks other than LF and CRLF (a lone CR, NEL, LS, PS), which byte offsets here do not follow."""
    return (b"\r" in content and content.count(b"\r") != content.count(b"\r\n")) or any(
        mark in content for mark in _ODD_BREAKS
    )


def _count_complete(entries: list[tuple[int | None, str | None]]) -> int:
    return sum(1 for version, stage in entries if version is not None and stage is not None)


def _line_end(content: bytes, at: int) -> int:
    end = content.find(b"\n", at)
    return len(content) if end < 0 else end


def _line_starts(content: bytes) -> list[int]:
    starts = [0]
    find = content.find
    at = find(b"\n")
    while at >= 0:
        starts.append(at + 1)
        at = find(b"\n", at + 1)
    return starts


def _common_prefix(a: bytes, b: bytes, at_a: int, at_b: int) -> int:
    """Length of the common prefix of a[at_a:] and b[at_b:]: galloping, then binary search, over memcmp.

    Bytes already known equal are never compared again, so the cost is about twice the distance
    to the first difference, in a few dozen calls.
    """
    limit = min(len(a) - at_a, len(b) - at_b)
    view = memoryview(a)
    low, step = 0, 4096
    while low + step <= limit and b.startswith(view[at_a + low : at_a + low + step], at_b + low):
        low += step
        step *= 2
    high = min(limit, low + step)
    while low < high:  # a[at_a:][:low] == b[at_b:][:low]; the first difference is below high
        middle = (low + high + 1) // 2
        if b.startswith(view[at_a + low : at_a + middle], at_b + low):
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    low, high = 0, max(0, limit)
    view = memoryview(a)
    size = len(a)
    while low < high:
        middle = (low + high + 1) // 2
        if b.endswith(view[size - middle :]):
            low = middle
        else:
            high = middle - 1
    return low
