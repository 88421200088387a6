"""The one way the tests write a model file."""

from __future__ import annotations


def model_yaml(
    name: str, *versions: tuple[int, str], extra: str = "", source: str = "s3://models", run_ids: bool = False
) -> str:
    """A small valid model file: `model_yaml("fraud", (1, "archived"), (2, "production"))`.

    Version n has source `{source}/{name}/n`, and with `run_ids` the run id `run-n` (what a registry
    version is created from). `extra` holds top-level keys written after `name`.
    """
    lines = [f"name: {name}", extra.rstrip("\n")] if extra else [f"name: {name}"]
    if not versions:
        return "\n".join([*lines, "versions: []"]) + "\n"
    lines.append("versions:")
    for number, stage in versions:
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: {source}/{name}/{number}"]
        if run_ids:
            lines.append(f"    run_id: run-{number}")
    return "\n".join(lines) + "\n"


def key_line(index: int, key: str = "stage", extra: str = "") -> int:
    """The line of `key` (version, stage or source) in entry `index` (0-based) of a `model_yaml()` file
    written without run ids."""
    offset = {"version": 3, "stage": 4, "source": 5}[key]
    return offset + 3 * index + len(extra.rstrip("\n").splitlines())
