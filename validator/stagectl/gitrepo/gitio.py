"""Git, through a handful of plumbing commands.

Cost follows the change, not the repository: one `diff-tree`/`diff-index` lists what changed under
the models folder, and every blob streams through one `cat-file --batch` process (an oversized
blob is skipped, never kept). Git is called directly: importing GitPython, the library first
chosen for this, took 65-110 ms per run, a quarter of a pull-request check.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import IO, Final

from stagectl.errors import FatalError, first_line


class Uncommitted(Enum):
    """A head that is not a commit: what `git commit` would record, or the files as they are."""

    INDEX = "INDEX"
    WORKTREE = "WORKTREE"


INDEX: Final = Uncommitted.INDEX
WORKTREE: Final = Uncommitted.WORKTREE
Head = str | Uncommitted
"""What a change leaves: a commit (its full sha), the index or the working tree."""


def head_label(head: Head) -> str:
    """The head as reports name it: the sha, `INDEX` or `WORKTREE`."""
    return head.value if isinstance(head, Uncommitted) else head


ZERO_SHAS = ("0" * 40, "0" * 64)
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_INLINE_REQUESTS = 64  # up to 64 x 65 bytes of requests are written at once, well inside a pipe
SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"
REGULAR_MODE = "100644"


@dataclass(frozen=True)
class Entry:
    """One side of a changed path: its mode, and its blob (None: read it from the working tree)."""

    mode: str
    sha: str | None


@dataclass(frozen=True)
class PathChange:
    path: str
    base: Entry | None
    head: Entry | None


def literal(paths: Iterable[str]) -> list[str]:
    """Pathspecs that match these paths and nothing else (no globbing, no magic)."""
    return [f":(literal){path}" for path in paths]


class GitRepo:
    """A work tree and its repository. Close it to stop the `cat-file` process."""

    def __init__(self, root: str, shallow: bool | None = None) -> None:
        self.root = root
        self._cat_file = CatFile(root)
        self._empty_tree: str | None = None
        self._shallow = shallow

    @classmethod
    def discover(cls, cwd: str | None = None) -> GitRepo:
        status, out, err = _git(cwd or os.getcwd(), ["rev-parse", "--show-toplevel", "--is-shallow-repository"])
        if status != 0:
            raise FatalError(f"{_git_reason(err)}: run stagectl inside your models repository")
        root, _, shallow = out.decode("utf-8", "surrogateescape").rstrip("\n").rpartition("\n")
        return cls(root, shallow == "true")  # asked here, in the process every command starts anyway

    def close(self) -> None:
        self._cat_file.close()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running git ---------------------------------------------------------------------------

    def run(self, *args: str, allowed: Sequence[int] = (0,)) -> bytes:
        """Run git, returning stdout; a failure is a FatalError with git's own reason."""
        status, out, err = _git(self.root, list(args))
        if status not in allowed:
            raise FatalError(f"git {args[0]} failed: {_git_reason(err)}")
        return out

    # -- revisions -----------------------------------------------------------------------------

    def commit(self, ref: str) -> str | None:
        """The commit `ref` names, or None when there is no such commit here."""
        if not ref or ref.startswith("-"):
            return None
        out = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", allowed=(0, 1, 128))
        text = out.decode("utf-8", "replace").strip()
        return text if _OBJECT_ID.fullmatch(text) else None  # a range (`A..B`) prints more than one

    def head(self) -> str | None:
        """HEAD's commit, or None in a repository with no commits yet."""
        return self.commit("HEAD")

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.run("merge-base", a, b, allowed=(0, 1))
        return out.decode().strip() or None

    def first_parent(self, sha: str) -> str | None:
        return self.commit(f"{sha}^1")

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether commit `ancestor` is `descendant` or one of its ancestors (False for an unknown commit)."""
        status, _out, _err = _git(self.root, ["merge-base", "--is-ancestor", ancestor, descendant])
        return status == 0

    def first_parent_steps(self, since: str, head: str, paths: Sequence[str]) -> list[tuple[str, str | None, str]]:
        """(commit, its first parent, committer date) of each commit on `head`'s first-parent line after
        `since` that touched `paths`, oldest first."""
        out = self.run("rev-list", "--first-parent", "--reverse", f"{since}..{head}", "--", *literal(paths))
        shas = out.decode().split()
        if not shas:
            return []
        info = self.run("log", "--no-walk=unsorted", "--format=%H %P%x1f%cI", *shas).decode()
        steps = []
        for line in info.splitlines():
            ids, _, date = line.partition("\x1f")
            sha, *parents = ids.split()
            steps.append((sha, parents[0] if parents else None, date))
        return steps

    def is_shallow(self) -> bool:
        if self._shallow is None:
            self._shallow = self.run("rev-parse", "--is-shallow-repository").strip() == b"true"
        return self._shallow

    def empty_tree(self) -> str:
        """The empty tree's id (differs between sha1 and sha256 repositories)."""
        if self._empty_tree is None:
            self._empty_tree = self.run("hash-object", "-t", "tree", os.devnull).decode().strip()
        return self._empty_tree

    # -- what changed ----------------------------------------------------------------------------

    def diff(self, base: str | None, head: Head, paths: Sequence[str]) -> list[PathChange]:
        """Paths under `paths` that differ between commit `base` (None: empty) and `head`.

        `head` is a commit, INDEX or WORKTREE. Renames are not detected: a renamed file is a
        deletion plus an addition. Untracked files count for WORKTREE; files added with
        `git add -N` count for WORKTREE but not for INDEX, as `git commit` leaves them out.
        """
        tree = base or self.empty_tree()
        spec = ["--", *literal(paths)]
        index_options = ["-z", "--no-renames", "--ignore-submodules=none", "--ita-invisible-in-index"]
        if head is INDEX:
            out = self.run("diff-index", "--cached", *index_options, tree, *spec)
        elif head is WORKTREE:
            out = self.run("diff-index", *index_options, tree, *spec)
        else:
            out = self.run("diff-tree", "-r", "-z", "--no-renames", "--ignore-submodules=none", tree, head, *spec)
        changes = parse_raw(out, worktree=head is WORKTREE)
        if head is WORKTREE:
            changes += [PathChange(path, None, Entry(self.worktree_mode(path), None)) for path in self.untracked(paths)]
        return changes

    def worktree_mode(self, path: str) -> str:
        """The mode git would record for a working-tree path: a link stays a link (a models folder too),
        a folder with its own `.git` is a submodule."""
        full = os.path.join(self.root, path)
        if os.path.islink(full):
            return SYMLINK_MODE
        return SUBMODULE_MODE if os.path.lexists(os.path.join(full, ".git")) else REGULAR_MODE

    def untracked(self, paths: Sequence[str]) -> list[str]:
        out = self.run("ls-files", "-z", "--others", "--exclude-standard", "--", *literal(paths))
        return [_path(raw.rstrip(b"/")) for raw in out.split(b"\0") if raw]  # a nested repository ends in /

    def entries(self, head: Head, paths: Sequence[str]) -> dict[str, Entry]:
        """The entries at these exact paths in a commit, the index or the working tree."""
        if not paths:
            return {}
        if head is WORKTREE:
            return {p: Entry(self.worktree_mode(p), None) for p in paths if os.path.lexists(os.path.join(self.root, p))}
        if head is INDEX:
            out = self.run("ls-files", "-z", "--stage", "--", *literal(paths))
            found = {}
            for record in out.split(b"\0"):
                if record:
                    meta, _, name = record.partition(b"\t")
                    mode, sha, _stage = meta.decode().split()
                    found[_path(name)] = Entry(mode, sha)
            return found
        out = self.run("ls-tree", "-z", "--full-tree", head, "--", *literal(paths))
        return dict(_parse_tree(out))

    def tree(self, rev: str, folder: str) -> dict[str, Entry]:
        """Every file under `folder` at commit `rev`, recursively."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", rev, "--", *literal([folder]))
        return dict(_parse_tree(out))

    def worktree_differs(self, path: str, committed: Entry | None) -> bool:
        """Whether the working-tree file differs from `committed` (its entry at HEAD; None: absent).

        Hashed here, as git hashes a blob: an unchanged file costs no git process. Only when the
        bytes differ is git asked (its filters, such as line-end conversion, may make them equal).
        """
        full = os.path.join(self.root, path)
        if committed is None or committed.sha is None:
            return os.path.lexists(full)
        try:
            with open(full, "rb") as handle:
                data = handle.read()
        except OSError:
            return True  # deleted, or not a readable file: not what HEAD has
        digest = hashlib.sha256 if len(committed.sha) == 64 else hashlib.sha1
        if digest(b"blob %d\0" % len(data) + data).hexdigest() == committed.sha:
            return False
        status, _out, _err = _git(self.root, ["diff", "--quiet", "HEAD", "--", *literal([path])])
        return status != 0

    def default_branch(self) -> tuple[str, str] | None:
        """The branch a pull request would target, as (short name, commit): main or master, local or origin's."""
        candidates = ("refs/heads/main", "refs/heads/master", "refs/remotes/origin/main", "refs/remotes/origin/master")
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", *candidates)
        found = dict(line.split(" ", 1) for line in out.decode("utf-8", "replace").splitlines() if " " in line)
        for ref in candidates:
            if ref in found:
                return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/"), found[ref]
        return None

    # -- contents ---------------------------------------------------------------------------------

    def blob(self, sha: str, limit: int) -> tuple[int, bytes | None]:
        """The blob's size, and its bytes when at most `limit` (a larger blob is skipped, not kept)."""
        return next(self.blobs([sha], limit))

    def blobs(self, shas: Sequence[str], limit: int) -> Iterator[tuple[int, bytes | None]]:
        """Each blob's size and bytes (None above `limit`), in order, streamed through one process."""
        return self._cat_file.read(shas, limit)


class CatFile:
    """One `git cat-file --batch` process for every blob a command reads.

    Requests are written by a thread while answers are read, so git inflates the next blob while
    Python handles the last: thousands of revisions stream through without a round trip each.
    """

    def __init__(self, root: str) -> None:
        self._root = root
        self._process: subprocess.Popen[bytes] | None = None

    def read(self, shas: Sequence[str], limit: int) -> Iterator[tuple[int, bytes | None]]:
        if not shas:
            return
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        writer = threading.Thread(target=_write_requests, args=(process.stdin, shas), daemon=True)
        if len(shas) <= _INLINE_REQUESTS:
            writer.run()  # a few requests fit in the pipe: no thread needed to avoid a deadlock
        else:
            writer.start()
        out = process.stdout
        done = 0
        try:
            for sha in shas:
                header = out.readline().split()
                if len(header) != 3:
                    answer = b" ".join(header).decode(errors="replace") or "no answer"
                    raise FatalError(f"git cat-file cannot read {sha[:12]}: {answer}")
                size = int(header[2])
                data = out.read(size) if size <= limit else None
                if data is None:
                    _skip(out, size)
                if data is not None and len(data) != size:
                    raise FatalError(f"git cat-file stopped in the middle of {sha[:12]}")
                out.read(1)  # the newline after each object
                done += 1
                yield size, data
        finally:
            if done < len(shas):  # the reader stopped early: answers are still coming, start afresh
                self.close()
            if writer.ident is not None:
                writer.join()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=self._root, stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            _widen_pipe(self._process.stdout)
        return self._process

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if process.poll() is None:
            process.kill()
        process.wait()


def _git(cwd: str, args: list[str]) -> tuple[int, bytes, bytes]:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise FatalError("git is not installed (or not on PATH): stagectl needs it") from None
    except OSError as error:
        raise FatalError(f"cannot run git: {error.strerror}") from None
    return done.returncode, done.stdout, done.stderr


def _widen_pipe(stream: IO[bytes] | None) -> None:
    """Ask Linux for a 1 MiB pipe (64 KiB by default): a fifth fewer switches on long histories."""
    set_pipe_size = 1031  # F_SETPIPE_SZ
    if stream is None or not sys.platform.startswith("linux"):
        return
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), set_pipe_size, 1 << 20)
    except OSError:
        pass  # a lower limit for unprivileged pipes: the default size works too


def _skip(out: IO[bytes], size: int) -> None:
    """Read past an oversized blob in chunks, keeping none of it."""
    while size > 0:
        chunk = out.read(min(size, 1 << 16))
        if not chunk:
            raise FatalError("git cat-file stopped in the middle of a blob")
        size -= len(chunk)


def _write_requests(stdin: IO[bytes], shas: Sequence[str]) -> None:
    try:
        for start in range(0, len(shas), 256):
            stdin.write("".join(f"{sha}\n" for sha in shas[start : start + 256]).encode())
        stdin.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the process was closed because the reader stopped early


def _parse_tree(out: bytes) -> Iterator[tuple[str, Entry]]:
    """Parse `git ls-tree -z`: `mode type sha\tpath\0` records."""
    for record in out.split(b"\0"):
        if record:
            meta, _, name = record.partition(b"\t")
            mode, _type, sha = meta.decode().split()
            yield _path(name), Entry(mode, sha)


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_raw(out: bytes, worktree: bool) -> list[PathChange]:
    """Parse `git diff --raw -z`: `:mode mode sha sha status\\0path\\0` records."""
    tokens = out.split(b"\0")
    changes: list[PathChange] = []
    unmerged: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        i += 1
        if not token.startswith(b":"):
            continue
        old_mode, new_mode, old_sha, new_sha, status = token[1:].decode().split()
        path = _path(tokens[i])
        i += 1
        base = None if old_mode == "000000" else Entry(old_mode, old_sha)
        if new_mode == "000000":
            head = None
        elif worktree or new_sha in ZERO_SHAS:
            head = Entry(new_mode, None)
        else:
            head = Entry(new_mode, new_sha)
        if status.startswith("U"):
            unmerged.append(path)
            continue
        if status.startswith("D"):
            head = None
        changes.append(PathChange(path, base, head))
    if unmerged:  # neither side is the change yet: judging either would blame the wrong thing
        raise FatalError(
            f"{unmerged[0]} has an unresolved merge conflict: resolve it and 'git add' it, then check again"
        )
    return changes


def _git_reason(stderr: bytes) -> str:
    """git's own first line, without its `fatal: ` / `error: ` label."""
    line = first_line(stderr.decode("utf-8", "replace"))
    for prefix in ("fatal: ", "error: "):
        if line.startswith(prefix):
            line = line[len(prefix) :]
    return line.strip()
