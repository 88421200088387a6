"""A warm start for `python -m stagectl`: a process per run, forked from one that has imported it.

Each CLI run in a subprocess costs ~0.15 s of CPU before it does anything (the interpreter, PyYAML,
jsonschema, the package), and a registry command ~2 s more (MLflow); the suite makes hundreds of
them. A server process per test process imports all that once; for each run it forks a child that
takes the run's working directory, environment, argv and output files, and runs `stagectl`'s
`__main__` as `python -m` would. The child is a process of its own: its exit status, its stdout and
stderr, its git subprocesses, its interpreter shutdown (atexit, non-daemon threads, a traceback on an
uncaught exception) are all real, and several run at once when a test races them.

What it skips is the interpreter's start-up, so a run whose environment changes how Python starts
(`PYTHON*`, `LANG`, `LC_*`) starts cold instead (`helpers.cli` decides), as do the console-script,
terminal, pre-commit, action and docs tests. `STAGECTL_TEST_COLD=1 python -m pytest` runs every one
cold.

The server: `python warm.py FD [--mlflow]`, FD one end of a socket pair. A request is a JSON line
`{"argv", "cwd", "env", "stdout", "stderr"}`, answered at once with `{"pid": N}`; when a child ends,
`{"pid": N, "status": S}` (S as `subprocess` reports it: a negative number is the signal that ended it).
"""

from __future__ import annotations

import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Variables read while the interpreter starts: a run that sets one of them starts cold.
STARTUP_VARIABLES = ("PYTHON", "LANG", "LC_")


def starts_the_same(base: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """Whether an interpreter started with `env` starts as one started with `base` did."""
    keys = {key for key in (*base, *env) if key.startswith(STARTUP_VARIABLES)}
    return all(base.get(key) == env.get(key) for key in keys)


class WarmRunner:
    """The client: one server per test process (and per preload), started on first use."""

    def __init__(self, env: Mapping[str, str], scratch: Path, *, mlflow: bool = False) -> None:
        self.env = dict(env)
        self._scratch = scratch
        self._names = itertools.count()
        ours, theirs = socket.socketpair()
        self._server = subprocess.Popen(
            [sys.executable, __file__, str(theirs.fileno()), *(["--mlflow"] if mlflow else [])],
            env=self.env,
            cwd=scratch,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._socket = ours
        self._buffer = b""
        self._ended: dict[int, int] = {}
        self._lock = threading.Lock()

    def start(self, argv: list[str], cwd: Path, env: Mapping[str, str]) -> WarmProcess:
        """`python -m stagectl ARGV` started in `cwd` with `env`, running until it ends."""
        name = self._scratch / str(next(self._names))
        out, err = name.with_suffix(".out"), name.with_suffix(".err")
        request = {"argv": argv, "cwd": os.path.abspath(cwd), "env": dict(env), "stdout": str(out), "stderr": str(err)}
        with self._lock:
            self._socket.sendall(json.dumps(request).encode() + b"\n")
            while True:
                answer = self._answer(None)
                if "status" not in answer:
                    return WarmProcess(self, ["stagectl", *argv], answer["pid"], out, err)

    def run(self, argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float) -> tuple[int, bytes, bytes]:
        """(exit status, stdout, stderr) of `python -m stagectl ARGV`, as `subprocess.run` gives them."""
        process = self.start(argv, cwd, env)
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(None)
            raise
        return status, *process.output()

    def status(self, pid: int, deadline: float | None) -> int | None:
        """The child's exit status once it has ended (waiting until `deadline`), else None."""
        with self._lock:
            while pid not in self._ended:
                try:
                    self._answer(deadline)
                except TimeoutError:
                    return None
            return self._ended[pid]

    def _answer(self, deadline: float | None) -> dict[str, int]:
        """The server's next answer (an ended child's status is kept in `_ended` as well)."""
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._socket], [], [], wait)[0]:
                raise TimeoutError
            chunk = self._socket.recv(65536)
            if not chunk:
                raise RuntimeError(f"the warm stagectl server exited ({self._server.wait()})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, int] = json.loads(line)
        if "status" in answer:
            self._ended[answer["pid"]] = answer["status"]
        return answer

    def close(self) -> None:
        """End the server: it exits when its end of the socket reads end-of-file."""
        self._socket.close()
        self._server.wait(timeout=10)


class WarmProcess:
    """A forked run, with the methods the tests use of a `subprocess.Popen(text=True)` whose outputs are piped."""

    def __init__(self, runner: WarmRunner, args: list[str], pid: int, out: Path, err: Path) -> None:
        self.args, self.pid = args, pid
        self.returncode: int | None = None
        self._runner, self._out, self._err = runner, out, err

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._runner.status(self.pid, time.monotonic())
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._runner.status(self.pid, None if timeout is None else time.monotonic() + timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    def output(self) -> tuple[bytes, bytes]:
        """What it wrote to stdout and stderr (read once it has ended; the files are removed)."""
        found = self._out.read_bytes(), self._err.read_bytes()
        self._out.unlink()
        self._err.unlink()
        return found

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        out, err = self.output()
        return as_text(out), as_text(err)


def as_text(data: bytes) -> str:
    """Output decoded as `subprocess` decodes it with `text=True`: locale encoding, universal newlines."""
    import locale

    return data.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")


# --- the server -----------------------------------------------------------------------------------


def _import_everything(mlflow: bool) -> None:
    """Every module a run could import; MLflow (seconds) only in the server for registry commands,
    imported as a cold run imports it: inside stagectl's MLflow scope (its logging level, no warnings)."""
    import pkgutil

    import stagectl
    from stagectl.load import schemas

    for module in pkgutil.walk_packages(stagectl.__path__, "stagectl."):
        if module.name != "stagectl.__main__":
            __import__(module.name)
    assert "mlflow" not in sys.modules, "a stagectl module imports MLflow at import time"
    for kind in schemas.SCHEMA_FILES:
        schemas.schema_errors({}, kind)  # builds the validators (cached), as every check run does
    if mlflow:
        from stagectl.registry.client import quiet_mlflow

        with quiet_mlflow():
            import mlflow as _  # noqa: F401


def _serve(channel: socket.socket) -> dict[str, Any] | None:
    """Answer requests until the client goes and every child has ended. In a forked child, return
    the request it is to run."""
    buffer, children = b"", set()
    while True:
        if select.select([channel], [], [], 0.01 if children else None)[0]:
            chunk = channel.recv(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                pid = os.fork()
                if pid == 0:
                    channel.close()
                    request: dict[str, Any] = json.loads(line)
                    return request
                children.add(pid)
                channel.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            answer = {"pid": pid, "status": os.waitstatus_to_exitcode(status)}
            channel.sendall(json.dumps(answer).encode() + b"\n")
    for pid in children:
        os.waitpid(pid, 0)
    return None


def _become(request: dict[str, Any]) -> None:
    """Turn this forked child into `python -m stagectl ARGV` started in CWD with ENV."""
    stdin = os.open(os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = request["cwd"]  # as `python -m` puts it
    sys.argv = ["-m", *request["argv"]]


def main() -> None:
    channel = socket.socket(fileno=int(sys.argv[1]))
    _import_everything(mlflow="--mlflow" in sys.argv[2:])
    request = _serve(channel)
    if request is None:
        return
    _become(request)
    import runpy  # only in a child: the request's run

    runpy.run_module("stagectl", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
