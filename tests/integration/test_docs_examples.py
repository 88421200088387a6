"""Every ```console example in README.md and docs/*.md runs as written, with the output shown.

How a page is replayed:

- The blocks under one heading are one walk: they run in order in one bash session, which starts in
  a fresh copy of this template repository (its tracked files, `git init` on `main`, one commit), as
  a new user's clone would be. `cd` and `export` carry from block to block under that heading.
- In a block, a line `$ command` is run; the lines under it, up to the next `$ `, are what it must
  print (stdout and stderr together, in the order written: Python runs unbuffered, as on a terminal).
- A block is skipped only when the line before it says why: `<!-- not replayed: needs ... -->`.
- The environment is deterministic: git's identity is Ada Lovelace <ada@example.com>, no global or
  system git config beyond that, TZ=UTC, no MLflow/Actions variables. Dates are whatever the walk's
  own commands set (GIT_AUTHOR_DATE / GIT_COMMITTER_DATE).

What may differ from the text (the placeholders):

- A commit id: any word of 7 to 40 hex digits (with a letter and a digit) matches any other of the
  same length; within one command's output, one id shown twice must be one id.
- `…` inside a line matches any text (a temporary path, a time that depends on the clock); a line
  that is only `…` (indented or not) matches any number of lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.cli import ROOT, clean_env

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_REPLAYED = re.compile(r"^<!-- not replayed: (?P<why>.+) -->$")
HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")
REGISTRY_COMMAND = re.compile(r"\bstagectl (plan|apply|diff|import)\b|\bmlflow\b")
MARK = "\x1e"  # separates one command's output from the next in the session's stream


@dataclass(frozen=True)
class Step:
    command: str
    expected: tuple[str, ...]
    where: str  # page:line, for the failure message


@dataclass(frozen=True)
class Walk:
    page: str
    heading: str
    steps: tuple[Step, ...]

    @property
    def slow(self) -> bool:
        """It runs the registry (MLflow in every command), or is a long walk (tens of commands)."""
        return len(self.steps) > 20 or any(REGISTRY_COMMAND.search(step.command) for step in self.steps)


def walks(pages: list[Path]) -> Iterator[Walk]:
    """The console blocks of each page, grouped by the heading they sit under."""
    for page in pages:
        lines = page.read_text(encoding="utf-8").splitlines()
        name = page.relative_to(ROOT).as_posix()
        heading, steps, skip_next = "", [], False
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("#") and not steps_open(lines, i):
                if steps:
                    yield Walk(name, heading, tuple(steps))
                heading, steps = line.lstrip("#").strip(), []
            elif NOT_REPLAYED.match(line.strip()):
                skip_next = True
            elif line.strip() == "```console":
                end = lines.index("```", i + 1)
                if not skip_next:
                    steps += parse_block(lines[i + 1 : end], name, i + 2)
                skip_next = False
                i = end
            elif line.strip():
                skip_next = False
            i += 1
        if steps:
            yield Walk(name, heading, tuple(steps))


def steps_open(lines: list[str], index: int) -> bool:
    """Whether line `index` is inside a fenced block (a `#` there is a comment, not a heading)."""
    fences = sum(1 for line in lines[:index] if line.startswith("```"))
    return fences % 2 == 1


def parse_block(block: list[str], page: str, first_line: int) -> list[Step]:
    steps: list[Step] = []
    command, expected, where = None, [], ""
    for offset, line in enumerate(block):
        if line.startswith("$ "):
            if command is not None:
                steps.append(Step(command, tuple(expected), where))
            command, expected, where = line[2:], [], f"{page}:{first_line + offset}"
        else:
            assert command is not None, f"{page}:{first_line + offset}: output before any `$ command`"
            expected.append(line)
    if command is not None:
        steps.append(Step(command, tuple(expected), where))
    return steps


def template_copy(path: Path, env: dict[str, str]) -> None:
    """This repository's tracked files, as a fresh clone has them, committed once on main."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, env=env
    ).stdout.split(b"\0")
    for raw in tracked:
        if raw:
            rel = raw.decode()
            source = ROOT / rel
            if source.is_file() and not source.is_symlink():
                (path / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, path / rel)
    dated = {**env, "GIT_AUTHOR_DATE": "2026-11-01T09:00:00Z", "GIT_COMMITTER_DATE": "2026-11-01T09:00:00Z"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "stagectl template"]):
        subprocess.run(["git", *args], cwd=path, env=dated, check=True, capture_output=True)


def replay_env(home: Path) -> dict[str, str]:
    env = clean_env()
    for key in [k for k in env if k.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_", "MLFLOW_"))]:
        del env[key]
    config = home / ".gitconfig"
    config.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n[init]\n\tdefaultBranch = main\n")
    env.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(config),
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env


def run_walk(walk: Walk, tmp: Path) -> list[str]:
    """Each step's output (stdout and stderr together), in order."""
    home, clone = tmp / "home", tmp / "clone"
    home.mkdir()
    clone.mkdir()
    env = replay_env(home)
    template_copy(clone, env)
    script = ["exec 2>&1", "replay_status=0"]
    for number, step in enumerate(walk.steps):
        # The marker's printf would reset $?: the step sees the status of the step before it.
        script += [f"printf '\\n{MARK}{number}{MARK}\\n'; (exit $replay_status)", step.command, "replay_status=$?"]
    script.append(f"printf '\\n{MARK}end{MARK}\\n'")
    done = subprocess.run(
        ["bash", "--norc", "--noprofile"],
        input="\n".join(script) + "\n",
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    parts = re.split(f"\n{MARK}(?:\\d+|end){MARK}\n", done.stdout)
    assert len(parts) == len(walk.steps) + 2, f"the session stopped early:\n{done.stdout[-2000:]}"
    return parts[1:-1]


def matches(expected: tuple[str, ...], actual: list[str], ids: dict[str, str] | None = None) -> bool:
    """Whether the output matches the text, placeholders allowed (see the module's docstring)."""
    ids = {} if ids is None else ids
    if not expected:
        return not actual
    first, rest = expected[0], expected[1:]
    if first.strip() == "…":
        return any(matches(rest, actual[skip:], dict(ids)) for skip in range(len(actual) + 1))
    if not actual:
        return False
    found = dict(ids)
    return line_matches(first, actual[0], found) and matches(rest, actual[1:], found)


def line_matches(expected: str, actual: str, ids: dict[str, str]) -> bool:
    pattern, groups = "", []
    position = 0
    for token in HEX.finditer(expected):
        pattern += _literal(expected[position : token.start()])
        pattern += f"([0-9a-f]{{{len(token.group())}}})"
        groups.append(token.group())
        position = token.end()
    pattern += _literal(expected[position:])
    found = re.fullmatch(pattern, actual)
    if not found:
        return False
    return all(ids.setdefault(shown, real) == real for shown, real in zip(groups, found.groups(), strict=True))


def _literal(text: str) -> str:
    return ".*?".join(re.escape(part) for part in text.split("…"))


WALKS = list(walks(PAGES))


def _param(walk: Walk) -> object:
    marks = [pytest.mark.slow] if walk.slow else []
    return pytest.param(walk, id=f"{walk.page}: {walk.heading}", marks=marks)


@pytest.mark.parametrize("walk", [_param(w) for w in WALKS])
def test_console_example_replays_as_written(walk: Walk, tmp_path: Path) -> None:
    outputs = run_walk(walk, tmp_path)
    for step, output in zip(walk.steps, outputs, strict=True):
        actual = output.split("\n")
        while actual and actual[-1] == "":
            actual.pop()
        if not matches(step.expected, actual):
            shown = "\n".join(step.expected)
            pytest.fail(f"{step.where}: `$ {step.command}` printed:\n{output}\n--- but the page shows:\n{shown}")


def test_the_replayer_reads_every_console_block() -> None:
    """Skipped blocks say why; the list stays short; every page with an example is replayed."""
    skipped = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            found = NOT_REPLAYED.match(line.strip())
            if found:
                following = next(rest for rest in lines[index + 1 :] if rest.strip())
                assert following.strip() == "```console", f"{page.name}:{index + 1}: marks no console block"
                skipped.append(found["why"])
    assert len(skipped) <= 5, skipped  # each says why; the registry stories are played by the registry tests
    assert [walk.heading for walk in WALKS if walk.page == "README.md"] == [
        "The policy: `stagectl.yaml`",
        "`stagectl check`",
        'From an empty registry to "merged PR → production alias moved"',
        "Authoring and audit: a day in the life",
        "`status --format markdown`",
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (("commit 45c6a14cbe",), ["commit 0123456789"], True),
        (("commit 45c6a14cbe",), ["commit 012345678"], False),  # a different length
        (("a 45c6a14cbe b 45c6a14cbe",), ["a 0123456789 b 0123456789"], True),
        (("a 45c6a14cbe b 45c6a14cbe",), ["a 0123456789 b 9876543210"], False),  # one id, shown twice
        (("after … UTC",), ["after 2026-11-24 21:29 UTC"], True),
        (("first", "  …", "last"), ["first", "a", "b", "last"], True),
        (("first", "…", "last"), ["first", "last"], True),
        (("first", "last"), ["first", "extra", "last"], False),
        (("2 errors",), ["3 errors"], False),
    ],
)
def test_placeholders(expected: tuple[str, ...], actual: list[str], ok: bool) -> None:
    assert matches(expected, actual) is ok
