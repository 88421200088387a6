"""A warm start for `python -m stagectl`: a process per run, forked from one that has imported it.

Each CLI run in a subprocess costs ~0.15 s of CPU before it does anything (the interpreter, PyYAML,
jsonschema, the package), and the suite makes hundreds of them. A server process per test process
imports all that once; for each run it forks a child that takes the run's working directory,
environment, argv and output files, and runs `stagectl`'s `__main__` as `python -m` would. The child
is a process of its own: its exit status, its stdout and stderr, its git subprocesses, its interpreter
shutdown (atexit, non-daemon threads, a traceback on an uncaught exception) are all real.

What it skips is the interpreter's start-up, so a run whose environment changes how Python starts
(`PYTHON*`, `LANG`, `LC_*`) starts cold instead (`helpers.cli` decides), as do the console-script,
terminal, pre-commit and action tests. `STAGECTL_TEST_COLD=1 python -m pytest` runs every one cold.

The server: `python warm.py FD`, with FD one end of a socket pair. A request is a JSON line
`{"argv", "cwd", "env", "stdout", "stderr"}`; the answer is `{"pid": N}` then `{"status": S}`
(a wait status: a negative number is the signal that ended it, as `subprocess` reports).
"""

from __future__ import annotations

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

# Variables read while the interpreter starts: a run that sets one of them starts cold.
STARTUP_VARIABLES = ("PYTHON", "LANG", "LC_")


def starts_the_same(base: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """Whether an interpreter started with `env` starts as one started with `base` did."""
    keys = {key for key in (*base, *env) if key.startswith(STARTUP_VARIABLES)}
    return all(base.get(key) == env.get(key) for key in keys)


class WarmRunner:
    """The client: one server per test process, started on first use, gone with the process."""

    def __init__(self, env: Mapping[str, str], scratch: Path) -> None:
        self.env = dict(env)
        self._scratch = scratch
        ours, theirs = socket.socketpair()
        self._server = subprocess.Popen(
            [sys.executable, __file__, str(theirs.fileno())],
            env=self.env,
            cwd=scratch,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._socket = ours
        self._buffer = b""
        self._lock = threading.Lock()

    def run(self, argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float) -> tuple[int, bytes, bytes]:
        """(exit status as `subprocess` reports it, stdout, stderr) of `python -m stagectl ARGV`."""
        out, err = self._scratch / "stdout", self._scratch / "stderr"
        request = {"argv": argv, "cwd": os.path.abspath(cwd), "env": dict(env), "stdout": str(out), "stderr": str(err)}
        with self._lock:
            self._socket.sendall(json.dumps(request).encode() + b"\n")
            pid = self._answer(None)["pid"]
            try:
                status = self._answer(time.monotonic() + timeout)["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._answer(None)
                raise subprocess.TimeoutExpired(["stagectl", *argv], timeout) from None
            return status, out.read_bytes(), err.read_bytes()

    def _answer(self, deadline: float | None) -> dict[str, int]:
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._socket], [], [], wait)[0]:
                raise TimeoutError
            chunk = self._socket.recv(4096)
            if not chunk:
                raise RuntimeError(f"the warm stagectl server exited ({self._server.wait()})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, int] = json.loads(line)
        return answer

    def close(self) -> None:
        """End the server: it exits when its end of the socket reads end-of-file."""
        self._socket.close()
        self._server.wait(timeout=10)


# --- the server -----------------------------------------------------------------------------------


def _import_everything_but_mlflow() -> None:
    """Every module a run could import, except MLflow (seconds, and only the registry commands)."""
    import pkgutil

    import stagectl
    from stagectl.load import schemas

    for module in pkgutil.walk_packages(stagectl.__path__, "stagectl."):
        if module.name != "stagectl.__main__":
            __import__(module.name)
    assert "mlflow" not in sys.modules, "a stagectl module imports MLflow at import time"
    for kind in schemas.SCHEMA_FILES:
        schemas.schema_errors({}, kind)  # builds the validators (cached), as every check run does


def _serve(channel: socket.socket) -> None:
    """Answer requests until the client goes; in a forked child, return to run the request."""
    requests = channel.makefile("r", encoding="utf-8")
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            channel.close()
            _become(request)
            return
        channel.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        channel.sendall(json.dumps({"status": code}).encode() + b"\n")
    sys.exit(0)


def _become(request: dict[str, object]) -> None:
    """Turn this forked child into `python -m stagectl ARGV` started in CWD with ENV."""
    stdin = os.open(os.devnull, os.O_RDONLY)
    stdout = os.open(str(request["stdout"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr = os.open(str(request["stderr"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
        os.close(fd)
    cwd = str(request["cwd"])
    os.chdir(cwd)
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    sys.path[0] = cwd  # as `python -m` puts it
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = ["-m", *argv]


def main() -> None:
    channel = socket.socket(fileno=int(sys.argv[1]))
    _import_everything_but_mlflow()
    _serve(channel)
    import runpy  # only in a child: the request's run

    runpy.run_module("stagectl", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
