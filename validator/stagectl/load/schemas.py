"""The JSON Schemas in the repository's `schemas/` folder, with errors a person can act on.

The schema files are the single source of truth: a wheel carries them as `stagectl/schemas/`
(mapped from the top-level folder at build time); a source checkout reads the folder itself.
jsonschema's own messages print the offending value with `repr` (unbounded on hostile input) and
name JSON paths; these messages name the key and say what to write instead.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from stagectl.core.model import Path
from stagectl.display import describe_value, quoted, short

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_FILES = {"model": "model.schema.json", "policy": "policy.schema.json"}


def schema_dir() -> Traversable:
    packaged = resources.files("stagectl") / "schemas"
    if packaged.is_dir():
        return packaged
    return FsPath(__file__).resolve().parents[3] / "schemas"  # source checkout, editable install


@functools.cache
def load_schema(kind: str) -> dict[str, Any]:
    text = (schema_dir() / SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(kind: str) -> Validator:
    from jsonschema import Draft202012Validator  # heavy: only when something is validated

    return Draft202012Validator(_inline_refs(load_schema(kind), load_schema(kind)))


def _inline_refs(node: Any, root: dict[str, Any]) -> Any:
    """The schema with each local `{"$ref": "#/$defs/x"}` replaced by what it names.

    Same meaning (the schemas have no recursive references), and jsonschema no longer resolves a
    reference per instance: about a quarter less time per file.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if len(node) == 1 and isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            return _inline_refs(target, root)
        return {key: _inline_refs(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, root) for item in node]
    return node


@dataclass(frozen=True)
class SchemaError:
    path: Path  # where to point: the offending key, or the object missing one
    keyword: str  # the JSON Schema keyword that failed (pattern, required, ...)
    message: str


def schema_errors(data: Any, kind: str) -> list[SchemaError]:
    """Every way `data` breaks the schema, in document order of their paths."""
    if data is None:
        return [SchemaError((), "type", "the file is empty: " + _EMPTY_HINT[kind])]
    validator = _validator(kind)
    found: dict[tuple[Path, str], SchemaError] = {}
    for error in validator.iter_errors(data):
        for item in _explain(error, data):
            found.setdefault((item.path, item.message), item)
    return list(found.values())


_EMPTY_HINT = {
    "model": "a model file needs at least 'name' and 'versions'",
    "policy": "delete it, or write the keys you want to change",
}

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _explain(error: ValidationError, data: Any) -> Iterator[SchemaError]:
    path: Path = tuple(error.absolute_path)
    keyword = str(error.validator)
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    where = describe_path(path, data)
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield SchemaError(path + (key,), keyword, _unknown_key(key, where, allowed))
    elif keyword == "required" and isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield SchemaError(path, keyword, f"{where} is missing '{key}'{_REQUIRED_HINT.get(key, '')}")
    elif keyword == "type":
        expected = [value] if isinstance(value, str) else list(value)
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in expected)
        yield SchemaError(path, keyword, f"{where} must be {words}, not {describe_value(instance)}")
    elif keyword == "enum":
        choices = ", ".join(str(choice) for choice in value)
        yield SchemaError(path, keyword, f"{where} must be one of {choices}, not {describe_value(instance)}")
    elif keyword == "propertyNames" or "propertyNames" in error.absolute_schema_path:
        rule = _KEY_RULES.get(path[-1:], "must be 1 to 250 characters long")
        yield SchemaError(path + (instance,), keyword, f"the key {describe_value(instance)} in {where} {rule}")
    elif keyword == "pattern" and _INVISIBLE_CHAR.search(str(instance)):
        yield SchemaError(
            path,
            keyword,
            f"{where} {describe_value(instance)} holds a control character or a bidi control, "
            "which a reviewer cannot see in a diff: remove it",
        )
    elif keyword in ("pattern", "not"):
        yield SchemaError(
            path, keyword, f"{where} {describe_value(instance)} {_PATTERN_HINT.get(path[-1:], 'has the wrong form')}"
        )
    elif keyword in ("minimum", "exclusiveMinimum"):
        yield SchemaError(path, keyword, f"{where} must be at least {value}, not {describe_value(instance)}")
    elif keyword in ("maximum", "exclusiveMaximum"):
        yield SchemaError(path, keyword, f"{where} must be at most {value}, not {describe_value(instance)}")
    elif keyword == "minLength":
        yield SchemaError(path, keyword, f"{where} must not be empty")
    elif keyword == "maxLength":
        yield SchemaError(path, keyword, f"{where} is longer than {value} characters{_LIMIT_WHY}")
    elif keyword == "uniqueItems":
        yield SchemaError(path, keyword, f"{where} lists the same item twice: keep one")
    else:
        yield SchemaError(path, keyword, f"{where} does not match the schema ({keyword})")


_REQUIRED_HINT = {
    "name": ": add 'name: <the file name without .yaml>'",
    "versions": ": add 'versions: []' (or the list of versions)",
    "version": ": every version needs its number",
    "stage": ": add one of none, staging, production, archived",
    "source": ": add the artifact URI (e.g. s3://bucket/model/1)",
}

_PATTERN_HINT: dict[Path, str] = {
    ("name",): "is not a valid model name: use letters, digits, '.', '_' and '-' (starting with a letter or digit, "
    "at most 128, never '..')",
    ("models_dir",): "must be a relative folder inside the repository (letters, digits, '.', '_', '-', '/'; no '..')",
}


_KEY_RULES: dict[Path, str] = {
    ("tags",): "is not a tag key the MLflow registry accepts: use 1 to 250 letters, digits, spaces and "
    "_ - . : / (no '..', '//', './', nor '/' at either end)",
}
_LIMIT_WHY = ", the most the MLflow registry stores: shorten it"  # only model files set maxLength
# What the text patterns refuse: control characters (descriptions may hold newlines and tabs), bidi controls.
_INVISIBLE_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _unknown_key(key: str, where: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key {quoted(key)} in {where}: did you mean '{close[0]}'?"
    return f"unknown key {quoted(key)} in {where} (allowed: {', '.join(allowed)})"


def describe_path(path: Path, data: Any = None) -> str:
    """Where in the file, in the file's own words: `stage of version 3` for ("versions", 2, "stage")
    when that entry says `version: 3` (a list index would be off by one, and not what the file says);
    "the file" for the root."""
    if not path:
        return "the file"
    if len(path) >= 2 and path[0] == "versions" and isinstance(path[1], int):
        rest = _dotted(path[2:])
        entry = _version_entry(None if rest == "version" else data, path[1])  # its number is what is wrong
        return short(f"{rest} of {entry}" if rest else entry, 80)
    return short(_dotted(path), 80)


def _dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _version_entry(data: Any, index: int) -> str:
    """`version 3`, or `the 3rd version entry` when the entry has no usable number."""
    versions = data.get("versions") if isinstance(data, dict) else None
    entry = versions[index] if isinstance(versions, list) and index < len(versions) else None
    number = entry.get("version") if isinstance(entry, dict) else None
    if isinstance(number, int) and not isinstance(number, bool):
        return f"version {number}"
    return f"the {ordinal(index + 1)} version entry"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
