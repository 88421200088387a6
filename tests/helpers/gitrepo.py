"""A real git repository in a temp dir, with helpers to write files, commit and run stagectl."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from helpers.cli import Result, clean_env, run_stagectl


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

    def stagectl(
        self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, in_process: bool = False
    ) -> Result:
        """Run the CLI here: in a subprocess, exactly as a user would (`in_process`: see `run_stagectl`)."""
        return run_stagectl(cwd or self.path, *args, env=env, in_process=in_process)


def init_repo(path: Path) -> Repo:
    """A fresh repository on branch main at `path` (created if needed)."""
    path.mkdir(parents=True, exist_ok=True)
    r = Repo(path)
    r.git("init", "-q", "-b", "main")
    return r
