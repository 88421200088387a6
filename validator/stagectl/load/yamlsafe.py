"""Read YAML from a pull request as hostile input.

Model files arrive in pull requests, so the loader accepts only what a model file needs:
one document of mappings, lists and plain scalars. Anchors, aliases, explicit tags, merge keys,
duplicate keys, deep nesting and oversized files are reported as rule errors, never executed.

The document is built from libyaml's event stream rather than composed into a node tree: the
composer recurses (a deeply nested file crashes the interpreter), while events are flat. The same
pass records the 1-based position of every key and list item, so any later error can point at
the line that causes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events
from yaml.nodes import ScalarNode

from stagectl.core.model import START, Document, Path, Position, Span
from stagectl.display import quoted, short
from stagectl.load import yamlhints

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
WITH_LIBYAML = _Base is not yaml.SafeLoader


class StrictLoader(_Base):  # type: ignore[misc]
    """libyaml's safe loader where present, PyYAML's pure-Python one otherwise.

    Only its parser (events), resolver (plain scalar types) and safe scalar constructors are used.
    """


class _PureLoader(yaml.SafeLoader):
    """PyYAML's pure-Python parser: streams events however deep the document, with no limit of its own.

    libyaml 0.2.6 (bundled by newer PyYAML wheels) stops at 1,000 levels while scanning ahead, before
    the builder sees the level that crosses MAX_DEPTH; this parser lets the builder say where it did,
    so the rule and the position a user sees do not depend on the wheel.
    """


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_PLAIN_INTEGER = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class YamlProblem:
    """Why a file is not a document stagectl reads: one rule, one message, one place."""

    rule: str
    message: str
    position: Position


@dataclass(frozen=True)
class Loaded:
    """The document, or why there is none. `problems` is empty exactly when `document` is set."""

    document: Document | None
    problems: tuple[YamlProblem, ...]


class _FileStops(Exception):
    """A problem after which the rest of the file cannot be trusted."""

    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _position(mark: Any) -> Position:
    if mark is None:
        return START
    return Position(mark.line + 1, mark.column + 1)


def load(content: bytes, spans: bool = False) -> Loaded:
    """Parse `content` as one hostile YAML document; `spans` also records where each value sits."""
    if len(content) > MAX_BYTES:
        return _fail("yaml-unsafe", too_large(len(content)), START)
    encoding = _not_utf8(content)
    if encoding:
        message = f"the file is {encoding}, not UTF-8: save it as UTF-8 (reviewers cannot read its diff)"
        return _fail("yaml-syntax", message, START)
    loaded = _load_with(StrictLoader, content, spans)
    if WITH_LIBYAML and loaded.problems and loaded.problems[0].message == _LIBYAML_DEPTH:
        return _load_with(_PureLoader, content, spans)
    return loaded


_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _not_utf8(content: bytes) -> str | None:
    """The encoding a byte-order mark declares, when it is not UTF-8 (libyaml would decode it)."""
    for bom, name in _OTHER_BOMS:
        if content.startswith(bom):
            return name
    return None


_LIBYAML_DEPTH = "invalid YAML: exceeded maximum nesting depth"


def _load_with(loader_class: type, content: bytes, spans: bool) -> Loaded:
    loader = loader_class(content)
    try:
        return _Builder(loader, spans).build()
    except _FileStops as stop:
        return Loaded(None, (stop.problem,))
    except yaml.MarkedYAMLError as error:
        marker = _CONFLICT_MARKER.search(content)
        if marker:  # the likeliest cause by far: say so, at the marker
            line = content.count(b"\n", 0, marker.start()) + 1
            message = "unresolved merge conflict (a <<<<<<< / ======= / >>>>>>> marker): resolve it, then check again"
            return _fail("yaml-syntax", message, Position(line, 1))
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "invalid YAML"
        position = _position(mark)
        advice = yamlhints.hint(content, reason, position.line, position.column) if mark else None
        if advice is not None:
            reason = f"{reason}: {advice.text}"
            if advice.line is not None and advice.column is not None:
                position = Position(advice.line, advice.column)
        return _fail("yaml-syntax", f"invalid YAML: {reason}", position)
    except yaml.YAMLError as error:  # reader errors: bad encoding, control characters
        return _fail("yaml-syntax", f"invalid YAML: {_reader_reason(error)}", _reader_position(error))
    except (ValueError, OverflowError, UnicodeError, RecursionError, MemoryError) as error:
        return _fail("yaml-syntax", f"invalid YAML: {type(error).__name__}: {short(str(error), 120)}", START)
    finally:
        loader.dispose()


_CONFLICT_MARKER = re.compile(rb"^(?:<{7}|={7}|>{7})(?: |\r?$)", re.MULTILINE)


def _fail(rule: str, message: str, position: Position) -> Loaded:
    return Loaded(None, (YamlProblem(rule, message, position),))


def too_large(size: int) -> str:
    return f"the file is {size / (1024 * 1024):.1f} MiB; stagectl reads files of at most 1 MiB"


def _reader_reason(error: yaml.YAMLError) -> str:
    reason = getattr(error, "reason", None)
    character = getattr(error, "character", None)
    if reason and character is not None:
        shown = f"#x{character:04x}" if isinstance(character, int) else repr(character)
        return f"{reason} ({shown}): is this a binary file?"
    return short(str(error), 120)


def _reader_position(error: yaml.YAMLError) -> Position:
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return _position(mark)
    return START


class _Mapping:
    __slots__ = ("flow", "key", "key_lines", "path", "start", "value")

    def __init__(self, path: Path, start: Position, flow: bool) -> None:
        self.value: dict[Any, Any] = {}
        self.path = path
        self.start = start
        self.flow = flow
        self.key: Any = _NO_KEY
        self.key_lines: dict[Any, int] = {}


class _Sequence:
    __slots__ = ("flow", "path", "start", "value")

    def __init__(self, path: Path, start: Position, flow: bool) -> None:
        self.value: list[Any] = []
        self.path = path
        self.start = start
        self.flow = flow


class _Skip:
    """Swallows a collection used as a mapping key (already reported)."""

    __slots__ = ("depth",)

    def __init__(self) -> None:
        self.depth = 1


_NO_KEY = object()
_RESOLVED: dict[str, str] = {}  # plain scalar -> tag (the resolver's answer depends on the text alone)
_Frame = _Mapping | _Sequence | _Skip


class _Builder:
    def __init__(self, loader: Any, spans: bool) -> None:
        self.loader = loader
        self.positions: dict[Path, Position] = {}
        self.spans: dict[Path, Span] | None = {} if spans else None
        self.problems: list[YamlProblem] = []
        self.numbers: dict[Path, str] = {}
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0

    def build(self) -> Loaded:
        get_event = self.loader.get_event
        while True:
            event = get_event()
            kind = type(event)
            if kind is events.ScalarEvent:
                self._scalar(event)
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                self._start(event, kind is events.MappingStartEvent)
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                self._end(event)
            elif kind is events.AliasEvent:
                raise _FileStops(
                    YamlProblem(
                        "yaml-unsafe",
                        f"aliases are not allowed (*{event.anchor}): write the value out",
                        _position(event.start_mark),
                    )
                )
            elif kind is events.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise _FileStops(
                        YamlProblem(
                            "yaml-syntax",
                            "the file holds more than one YAML document (a second '---'): keep one",
                            _position(event.start_mark),
                        )
                    )
            elif kind is events.StreamEndEvent:
                break
        if self.problems:
            return Loaded(None, tuple(self.problems))
        return Loaded(Document(self.root, self.positions, self.spans or {}, self.numbers), ())

    def _guard(self, event: Any) -> None:
        if event.anchor is not None:
            raise _FileStops(
                YamlProblem(
                    "yaml-unsafe",
                    f"anchors are not allowed (&{event.anchor}): write each value out",
                    _position(event.start_mark),
                )
            )
        if event.tag is not None:
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise _FileStops(
                YamlProblem(
                    "yaml-unsafe",
                    f"explicit tags are not allowed ({short(tag, 60)}): remove the tag",
                    _position(event.start_mark),
                )
            )

    def _scalar(self, event: Any) -> None:
        self._guard(event)
        top = self.stack[-1] if self.stack else None
        if type(top) is _Skip:
            return
        value: Any = event.value
        number = False
        if event.implicit[0]:  # plain scalar: its type comes from the resolver
            tag = self._resolve(value)
            if tag == _MERGE_TAG:
                raise _FileStops(
                    YamlProblem(
                        "yaml-unsafe",
                        "merge keys (<<) are not allowed: write each key out",
                        _position(event.start_mark),
                    )
                )
            if tag != _STR_TAG and tag != _VALUE_TAG:
                value = self._construct(tag, event)
                number = tag in _NUMBER_TAGS and not _PLAIN_INTEGER.fullmatch(event.value)
        path = self._place(value, event.start_mark)
        if number and path is not None and (isinstance(value, int) or float(value).is_integer()):
            self.numbers[path] = event.value  # the source text, for rules that want plain whole numbers
        if self.spans is not None and path is not None:
            style = event.style or None
            self.spans[path] = Span(_position(event.start_mark), _position(event.end_mark), style, "scalar")

    def _resolve(self, value: str) -> str:
        """The tag of a plain scalar; keys and stage names repeat, so answers are remembered."""
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = self.loader.resolve(ScalarNode, value, (True, False))
            if len(value) <= 32 and len(_RESOLVED) < 65536:
                _RESOLVED[value] = tag
        return tag

    def _construct(self, tag: str, event: Any) -> Any:
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError) as error:
            kind = tag.rsplit(":", 1)[-1]
            why = short(str(error), 60)
            message = f"cannot read {quoted(event.value, 40)} as {kind} ({why}): quote it if it is text"
            raise _FileStops(YamlProblem("yaml-syntax", message, _position(event.start_mark))) from None

    def _start(self, event: Any, is_mapping: bool) -> None:
        self._guard(event)
        top = self.stack[-1] if self.stack else None
        if type(top) is _Skip:
            top.depth += 1
            return
        position = _position(event.start_mark)
        if type(top) is _Mapping and top.key is _NO_KEY:
            self.problems.append(
                YamlProblem("schema", "mapping keys must be plain strings, not lists or mappings", position)
            )
            self.stack.append(_Skip())
            return
        if len(self.stack) >= MAX_DEPTH:
            raise _FileStops(YamlProblem("yaml-unsafe", f"the document nests deeper than {MAX_DEPTH} levels", position))
        path = self._child_path(top, event.start_mark)
        flow = bool(event.flow_style)
        frame: _Frame = _Mapping(path, position, flow) if is_mapping else _Sequence(path, position, flow)
        self.stack.append(frame)

    def _end(self, event: Any) -> None:
        frame = self.stack.pop()
        if type(frame) is _Skip:
            frame.depth -= 1
            if frame.depth:
                self.stack.append(frame)
            return
        assert not isinstance(frame, _Skip)
        if self.spans is not None:
            kind = "flow" if frame.flow else "block"
            self.spans[frame.path] = Span(frame.start, _position(event.end_mark), None, kind)
        self._attach(frame.value)

    def _child_path(self, top: _Frame | None, mark: Any) -> Path:
        """The path of the value about to be placed, recording the position of list items."""
        if type(top) is _Mapping:
            return top.path + (top.key,)  # the key's position is already recorded
        if top is None:
            self.positions[()] = Position(mark.line + 1, mark.column + 1)
            return ()
        assert type(top) is _Sequence
        path = top.path + (len(top.value),)
        self.positions[path] = Position(mark.line + 1, mark.column + 1)
        return path

    def _place(self, value: Any, mark: Any) -> Path | None:
        """Place a scalar: as a key (returns None) or as a value (returns its path)."""
        top = self.stack[-1] if self.stack else None
        if type(top) is _Mapping and top.key is _NO_KEY:
            self._key(top, value, Position(mark.line + 1, mark.column + 1))
            return None
        path = self._child_path(top, mark)
        self._attach(value)
        return path

    def _key(self, mapping: _Mapping, key: Any, position: Position) -> None:
        if not isinstance(key, str):
            shown = "nothing (null)" if key is None else f"{_describe(key)}"
            self.problems.append(YamlProblem("schema", f"the key {shown} is not a string: quote it", position))
        elif key in mapping.key_lines:
            first = mapping.key_lines[key]
            self.problems.append(
                YamlProblem(
                    "yaml-duplicate-key", f"key {quoted(key)} repeats the one on line {first}: keep one", position
                )
            )
        else:
            mapping.key_lines[key] = position.line
            self.positions[mapping.path + (key,)] = position
        mapping.key = key

    def _attach(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if type(top) is _Sequence:
            top.value.append(value)
        elif type(top) is _Mapping:
            key = top.key
            top.key = _NO_KEY
            if isinstance(key, str) and key not in top.value:
                top.value[key] = value


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as booleans)"
    if isinstance(value, int):
        return f"{value} (a number)"
    return f"{short(str(value), 40)} (a {type(value).__name__})"
