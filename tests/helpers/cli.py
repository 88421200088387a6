"""The one way the tests run stagectl: in a subprocess as a user runs it, or in-process.

A subprocess is `python -m stagectl` forked from a warm server (`helpers.warm`: the same process,
without the interpreter's start-up), or started cold: the console script, a run that changes how
Python starts, or every run with STAGECTL_TEST_COLD=1. In-process is for the tests about the
registry (MLflow's import costs seconds in every subprocess).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.warm import WarmProcess, WarmRunner, as_text, starts_the_same

ROOT = Path(__file__).resolve().parents[2]
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
    """The environment a user's shell would give: no Actions variables, no colour overrides, no MLflow
    settings (a test that wants one passes it in `extra`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STAGECTL_", "PRE_COMMIT", "MLFLOW_"))}
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
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    script: bool = False,
    timeout: float = 120,
    in_process: bool = False,
) -> Result:
    """Run `stagectl ARGS` in `cwd` with a clean shell's environment plus `env`, never with a traceback.

    A subprocess (`python -m stagectl`, or the console script with `script`), or with `in_process`
    `stagectl.cli.main` in this process (MLflow imported once per test process).
    """
    environment = clean_env(env)
    if in_process:
        result = _in_process(cwd, args, environment)
    elif not script and (warm := _warm_runner(environment)):
        code, stdout, stderr = warm.run(list(args), cwd, environment, timeout)
        result = Result(code, as_text(stdout), as_text(stderr))
    else:
        command = [str(STAGECTL_SCRIPT)] if script else [sys.executable, "-m", "stagectl"]
        done = subprocess.run(
            [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False, timeout=timeout
        )
        result = Result(done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    assert "internal error" not in result.stderr, result.stderr
    return result


def start_stagectl(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> WarmProcess | subprocess.Popen[str]:
    """`stagectl ARGS` started in a subprocess and left running (a registry command: MLflow imported
    warm), for a test that races several or stops what they talk to; `.communicate()` gives text."""
    environment = clean_env(env)
    warm = _warm_runner(environment, mlflow=True)
    if warm is not None:
        return warm.start(list(args), cwd, environment)
    return subprocess.Popen(
        [sys.executable, "-m", "stagectl", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


_warm: dict[bool, WarmRunner] = {}


def _warm_runner(env: Mapping[str, str], mlflow: bool = False) -> WarmRunner | None:
    """This test process's warm server (`helpers.warm`; with MLflow imported, for registry commands),
    or None when a run with `env` must start cold."""
    if os.environ.get("STAGECTL_TEST_COLD"):
        return None
    if mlflow not in _warm:
        scratch = Path(tempfile.mkdtemp(prefix="stagectl-warm-"))
        _warm[mlflow] = runner = WarmRunner(clean_env(), scratch, mlflow=mlflow)
        atexit.register(shutil.rmtree, scratch, True)
        atexit.register(runner.close)
    runner = _warm[mlflow]
    return runner if starts_the_same(runner.env, env) else None


def _in_process(cwd: Path, args: tuple[str, ...], env: dict[str, str]) -> Result:
    from stagectl.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = os.getcwd()
    saved_env = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(saved)
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


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
