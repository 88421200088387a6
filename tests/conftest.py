"""Shared fixtures: real git repositories in temp dirs, and the real CLI run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGECTL_SCRIPT = Path(sys.executable).parent / "stagectl"  # the console script pip installed

# Deterministic git, whatever the developer's global config says.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a user's shell would give: no Actions variables, no colour overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STAGECTL_", "PRE_COMMIT"))}
    env.pop("NO_COLOR", None)
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    env.update(GIT_ENV)
    env.update(extra or {})
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def located(self) -> list[tuple[str, int, int, str]]:
        """(file, line, column, rule) of every `file:line:col: rule: message` line of text output."""
        found = []
        for line in self.stdout.splitlines():
            match = TEXT_ERROR.match(line)
            assert match, f"not a `file:line:col: rule: message` line: {line!r}"
            found.append((match["file"], int(match["line"]), int(match["col"]), match["rule"]))
        return found


# Non-greedy file: a message may itself contain `x:1:1: y:` (quoted from a hostile file).
TEXT_ERROR = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<rule>[a-z-]+): (?P<message>.+)$")


def run_stagectl(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, script: bool = False, timeout: float = 120
) -> Result:
    """Run stagectl in a subprocess (`python -m stagectl`, or the console script), never with a traceback."""
    command = [str(STAGECTL_SCRIPT)] if script else [sys.executable, "-m", "stagectl"]
    done = subprocess.run(
        [*command, *args], cwd=cwd, env=clean_env(env), capture_output=True, text=True, check=False, timeout=timeout
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout, done.stdout
    return Result(done.returncode, done.stdout, done.stderr)


def run_on_terminal(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """Run stagectl with its stdout on a pseudo-terminal, as in an interactive shell (stdout: what it
    printed there)."""
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "stagectl", *args],
            cwd=cwd,
            env=clean_env({"TERM": "xterm", **(env or {})}),
            stdout=follower,
            stderr=subprocess.PIPE,
            check=False,
            timeout=60,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    stderr = done.stderr.decode(errors="replace")
    assert "Traceback" not in stderr, stderr
    return Result(done.returncode, b"".join(chunks).decode(), stderr)


@dataclass
class Repo:
    """A real git repository in a temp dir, with helpers to write files, commit and run stagectl."""

    path: Path

    def git(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=clean_env(env), capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def try_git(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300) -> Result:
        """Run git and return whatever happened (for commands expected to fail, like a hooked commit)."""
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=clean_env(env),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def write(self, relpath: str, content: str | bytes) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def rev(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()

    def commit(self, message: str = "change", *, all_files: bool = True, date: str | None = None) -> str:
        if all_files:
            self.git("add", "-A")
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD").strip()

    def shallow_clone(self, path: Path, branch: str | None = None) -> Repo:
        """A depth-1 clone, as actions/checkout makes by default."""
        chosen = ["--branch", branch] if branch else []
        self.git("clone", "-q", "--depth", "1", *chosen, f"file://{self.path}", str(path))
        return Repo(path)

    def stagectl(self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Result:
        """Run the installed CLI in a subprocess, exactly as a user would."""
        return run_stagectl(cwd or self.path, *args, env=env)


def model_yaml(name: str, *versions: tuple[int, str], extra: str = "") -> str:
    """A small valid model file: `model_yaml("fraud", (1, "archived"), (2, "production"))`."""
    lines = [f"name: {name}", extra.rstrip("\n")] if extra else [f"name: {name}"]
    if not versions:
        return "\n".join([*lines, "versions: []"]) + "\n"
    lines.append("versions:")
    for number, stage in versions:
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: s3://models/{name}/{number}"]
    return "\n".join(lines) + "\n"


def key_line(index: int, key: str = "stage", extra: str = "") -> int:
    """The line of `key` (version, stage or source) in entry `index` (0-based) of a `model_yaml()` file."""
    offset = {"version": 3, "stage": 4, "source": 5}[key]
    return offset + 3 * index + len(extra.rstrip("\n").splitlines())


def init_repo(path: Path) -> Repo:
    """A fresh repository on branch main at `path` (created if needed)."""
    path.mkdir(parents=True, exist_ok=True)
    r = Repo(path)
    r.git("init", "-q", "-b", "main")
    return r


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    yield init_repo(tmp_path / "repo")
