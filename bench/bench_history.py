#!/usr/bin/env python3
"""Benchmark `stagectl history` and a rollback `check` on a model file with thousands of commits.

    python bench/bench_history.py [--commits 5000] [--small 1000] [--repeat 5] [--keep]

Builds two repositories with `git fast-import` from one deterministic simulation of a model's life
(the small one is a prefix of the large one): versions registered over time, staged, promoted with
the previous production version archived in the same commit, metric updates, a few rollbacks,
one change in ten arriving through a `--no-ff` pull-request merge, and commits to other files in
between. `--commits` counts the commits that change the model file. Then, side by side in one run:

1. `stagectl history fraud --format json` and `stagectl check` of a working-tree change that rolls
   production back to a version that was last in production near the start of the history (so the
   scan for "was it ever in production" reads almost every revision), at both sizes, interleaved;
   with `stagectl --version` as the interpreter's start-up floor.
2. How many git processes each command starts (strace when present, else a PATH wrapper around
   git): they must not grow with the number of commits, and `history` must run one `git log`.
3. In one process: the stage events of every revision with the incremental StageTracker, against
   a full-parse baseline that reads every revision's blob and parses it whole with the loader
   (run once: it takes a minute or two at 5,000 commits), and against the floor of reading the
   blobs without parsing them; also the tracker's parsing alone, with every blob in memory.

Wall-clock medians and minima, and CPU time (user + system of the child) for the commands. The
answers are verified (event count, check passes, baseline = tracker), and the exit status is
nonzero only when one is wrong. Nothing here asserts a time: misses are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchenv import git_env

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"  # git-ignored; used with --keep
STAGECTL = str(Path(sys.executable).parent / "stagectl")
MODEL = "fraud"
PATH = f"models/{MODEL}.yaml"
TARGET_SECONDS = 1.0  # the target for `history` at 5,000 commits
START_EPOCH = 1_600_000_000  # 2020-09-13: the simulated history ends before now


class BenchError(Exception):
    """A command failed or answered wrongly: the numbers would mean nothing."""


ENV = git_env()


# -- the simulated history ------------------------------------------------------------------------


@dataclass
class Version:
    number: int
    stage: str
    run_id: str
    note: str
    auc: float
    f1: float


NOTES = (
    "retrained on the latest month",
    "adds merchant-category embeddings",
    "drops the leaky session feature",
    "calibrated with isotonic regression",
    "larger trees, early stopping on recall",
)
AUTHORS = ("Ana Lima", "Bo Chen", "Chidi Okafor", "Dana Weiss", "Eli Park")


def render(versions: list[Version]) -> bytes:
    lines = [
        "# yaml-language-server: $schema=../schemas/model.schema.json",
        "# Card-fraud scorer. Owned by risk-team; runbook: docs/fraud.md",
        f"name: {MODEL}",
        "description: Scores card transactions for fraud",
        "owners: [risk-team, fraud-ops]",
        "tags: {domain: payments, tier: critical}",
        "versions:",
    ]
    for v in versions:
        lines += [
            f"  - version: {v.number}",
            f"    stage: {v.stage}",
            f"    source: s3://models/{MODEL}/{v.number}/model.pkl",
            f"    run_id: {v.run_id}",
            f"    description: {v.note}",
            f"    metrics: {{auc: {v.auc:.4f}, f1: {v.f1:.4f}}}",
        ]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Change:
    """One change to the model file: its content, subject, and whether it arrives by a PR merge."""

    content: bytes
    subject: str
    merged: bool
    author: str


@dataclass
class Simulation:
    changes: list[Change] = field(default_factory=list)
    events: int = 0  # stage events along first parents (first appearances included)
    rollbacks: int = 0
    old_production: int | None = None  # the first version ever in production
    final: list[Version] = field(default_factory=list)


def simulate(count: int, seed: int = 5) -> Simulation:
    """`count` changes to the model file; the same seed gives the same prefix for any count."""
    rng = random.Random(seed)
    sim = Simulation()
    versions: list[Version] = []
    live: list[int] = []  # the versions put into production, in order (for rollbacks)
    pr = 100

    def by_stage(stage: str) -> list[Version]:
        return [v for v in versions if v.stage == stage]

    def current() -> Version | None:
        return next((v for v in versions if v.stage == "production"), None)

    for step in range(count):
        roll = rng.random()
        prod = current()
        staged, fresh = by_stage("staging"), by_stage("none")
        if step == 0 or roll < 0.10:
            number = len(versions) + 1
            stage = "staging" if rng.random() < 0.3 else "none"
            versions.append(
                Version(number, stage, f"{rng.getrandbits(64):016x}", rng.choice(NOTES), rng.uniform(0.85, 0.95), 0.7)
            )
            subject, moved = f"Register {MODEL} {number}", 1
        elif 0.10 <= roll < 0.18 and fresh:
            fresh[-1].stage = "staging"
            subject, moved = f"Stage {MODEL} {fresh[-1].number}", 1
        elif 0.18 <= roll < 0.24 and staged:
            target = staged[-1]
            target.stage, moved = "production", 1
            if prod is not None:
                prod.stage, moved = "archived", 2
            live.append(target.number)
            if sim.old_production is None:
                sim.old_production = target.number
            subject = f"Promote {MODEL} {target.number}"
        elif 0.24 <= roll < 0.28 and len(staged) + len(fresh) > 3:
            oldest = min(staged + fresh, key=lambda v: v.number)
            oldest.stage, moved = "archived", 1
            subject = f"Archive {MODEL} {oldest.number}"
        elif 0.28 <= roll < 0.283 and prod is not None and len(live) >= 2 and live[-2] != prod.number:
            back = next(v for v in versions if v.number == live[-2])
            prod.stage, back.stage, moved = "archived", "production", 2
            live.append(back.number)
            sim.rollbacks += 1
            subject = f"Roll back {MODEL} to {back.number}"
        else:
            v = rng.choice(versions[-20:])
            v.auc = min(0.999, max(0.5, v.auc + rng.uniform(-0.01, 0.01)))
            v.f1 = min(0.999, max(0.3, v.f1 + rng.uniform(-0.01, 0.01)))
            subject, moved = f"Update {MODEL} {v.number} metrics", 0
        sim.events += moved
        merged = rng.random() < 0.1
        if not merged and rng.random() < 0.7:
            pr += 1
            subject = f"{subject} (#{pr})"
        sim.changes.append(Change(render(versions), subject, merged, rng.choice(AUTHORS)))
    sim.final = versions
    return sim


def fast_import_stream(sim: Simulation, seed: int = 5) -> bytes:
    """The whole history as a `git fast-import` stream, with unrelated commits in between."""
    rng = random.Random(seed + 1)
    out: list[bytes] = []
    clock = START_EPOCH
    mark = 0
    tip: int | None = None
    pr = 5000

    def data(payload: bytes) -> None:
        out.append(b"data %d\n" % len(payload))
        out.append(payload)
        out.append(b"\n")

    def commit(ref: str, author: str, subject: str, files: dict[str, bytes], parent: int | None, merge: int = 0) -> int:
        nonlocal mark, clock
        mark += 1
        clock += rng.randint(1800, 5 * 3600)
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        email = author.split()[0].lower() + "@example.com"
        out.append(f"author {author} <{email}> {clock} +0000\ncommitter {author} <{email}> {clock} +0000\n".encode())
        data(subject.encode())
        if parent is not None:
            out.append(f"from :{parent}\n".encode())
        if merge:
            out.append(f"merge :{merge}\n".encode())
        for path, content in files.items():
            out.append(f"M 100644 inline {path}\n".encode())
            data(content)
        return mark

    policy = b"models_dir: models\npolicy:\n  max_production: 1\n  rollback: true\n"
    tip = commit("refs/heads/main", "Ana Lima", "Set up the models repository", {"stagectl.yaml": policy}, None)
    churn = 0
    for change in sim.changes:
        if rng.random() < 0.2:  # another model's change lands in between
            churn += 1
            other = "name: churn\nversions:\n  - version: 1\n    stage: production\n    source: s3://c/1\n"
            other += f"    metrics: {{auc: 0.{7000 + churn}}}\n"
            tip = commit(
                "refs/heads/main",
                "Bo Chen",
                f"Update churn metrics ({churn})",
                {"models/churn.yaml": other.encode()},
                tip,
            )
        files = {PATH: change.content}
        if change.merged:
            pr += 1
            side = commit("refs/heads/pr", change.author, change.subject, files, tip)
            subject = f"Merge pull request #{pr} from risk-team/pr-{pr}"
            tip = commit("refs/heads/main", change.author, subject, files, tip, merge=side)
        else:
            tip = commit("refs/heads/main", change.author, change.subject, files, tip)
    return b"".join(out)


def build(repo: Path, sim: Simulation) -> None:
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=fast_import_stream(sim), check=True, env=ENV)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True, env=ENV)


def rollback_edit(sim: Simulation) -> bytes:
    """The final file with the first-ever production version back in production, the current one archived."""
    target = sim.old_production
    current = next(v for v in sim.final if v.stage == "production")
    if target is None or target == current.number:
        raise BenchError("the simulation has no old production version to roll back to")
    versions = [
        Version(v.number, "production" if v.number == target else "archived" if v is current else v.stage,
                v.run_id, v.note, v.auc, v.f1)
        for v in sim.final
    ]  # fmt: skip
    return render(versions)


# -- timing ---------------------------------------------------------------------------------------


@dataclass
class Command:
    label: str
    size: int
    args: list[str]
    cwd: Path
    verify: Callable[[subprocess.CompletedProcess[str]], None]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def run(self, record: bool) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(self.args, cwd=self.cwd, env=ENV, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.verify(done)
        if record:
            self.walls.append(wall)
            self.cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def expect_events(count: int) -> Callable[[subprocess.CompletedProcess[str]], None]:
    def verify(done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            raise BenchError(f"history failed ({done.returncode}): {done.stderr.strip()}")
        found = len(json.loads(done.stdout)["events"])
        if found != count:
            raise BenchError(f"history listed {found} events, the simulation made {count}")

    return verify


def expect_clean(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0 or "no errors" not in done.stderr + done.stdout:
        raise BenchError(f"the rollback check did not pass ({done.returncode}): {done.stdout}{done.stderr}")


def expect_ok(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0:
        raise BenchError(f"{done.args} failed: {done.stderr.strip()}")


def interleave(commands: Sequence[Command], rounds: int) -> None:
    for command in commands:  # warm-up: page cache, bytecode
        command.run(record=False)
    for _ in range(rounds):
        for command in commands:
            command.run(record=True)


# -- process counts -------------------------------------------------------------------------------


def git_processes(args: list[str], cwd: Path) -> list[str]:
    """The git subcommands a command runs, one entry per git process started."""
    with tempfile.TemporaryDirectory(prefix="stagectl-trace-") as scratch:
        if shutil.which("strace"):
            prefix = os.path.join(scratch, "trace")
            subprocess.run(
                ["strace", "-f", "-ff", "-z", "-qq", "-e", "trace=execve", "-o", prefix, *args],
                cwd=cwd, env=ENV, capture_output=True, check=True,
            )  # fmt: skip
            found = []
            for name in os.listdir(scratch):
                text = Path(scratch, name).read_text(errors="replace")
                for line in text.splitlines():
                    if line.startswith("execve(") and '/git", ["git", "' in line:
                        found.append(line.split('["git", "', 1)[1].split('"', 1)[0])
            return sorted(found)
        log = os.path.join(scratch, "calls")
        wrapper = Path(scratch, "git")
        real = shutil.which("git")
        wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
        wrapper.chmod(0o755)
        env = dict(ENV, PATH=f"{scratch}{os.pathsep}{ENV.get('PATH', '')}")
        subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=True)
        return sorted(Path(log).read_text().split()) if os.path.exists(log) else []


def counter_tool() -> str:
    return "strace -f -e trace=execve" if shutil.which("strace") else "a PATH wrapper around git"


# -- in-process: tracker against full parse --------------------------------------------------------


def in_process(repo: Path, rounds: int) -> dict[str, float]:
    """Seconds for the stage events of every revision: blob reading alone, tracker, full-parse baseline.

    The baseline parses every revision whole (tens of seconds at 5,000 commits), so it runs once;
    its answer must equal the tracker's. The other two take the median of `rounds`.
    """
    sys.path.insert(0, str(ROOT / "validator"))
    from stagectl.gitrepo.gitio import GitRepo
    from stagectl.gitrepo.stagelog import revisions, stage_events
    from stagectl.gitrepo.stagetrack import StageTracker, stages_of
    from stagectl.load import yamlsafe

    def read_only(git: GitRepo, head: str) -> list[bytes]:
        """The floor: one git log, every revision's blob streamed through cat-file, nothing parsed."""
        shas = [sha for _commit, _path, sha in revisions(git, head, [PATH]) if sha is not None]
        return [content or b"" for _size, content in git.blobs(shas, yamlsafe.MAX_BYTES)]

    def full_parse_events(git: GitRepo, head: str) -> list[tuple[int, str]]:
        """The baseline: the same revisions and blobs, each parsed whole with the loader."""
        state: dict[int, str] = {}
        events = []
        shas = [sha for _commit, _path, sha in revisions(git, head, [PATH]) if sha is not None]
        for _size, content in git.blobs(shas, yamlsafe.MAX_BYTES):
            loaded = yamlsafe.load(content or b"")
            if loaded.document is None:
                continue
            for version, stage in sorted(stages_of(loaded.document.data).items()):
                if state.get(version) != stage:
                    events.append((version, stage))
                    state[version] = stage
        return events

    def timed(function: Callable[[], object]) -> tuple[float, object]:
        start = time.perf_counter()
        value = function()
        return time.perf_counter() - start, value

    times: dict[str, list[float]] = {"read": [], "tracker": [], "tracker_parse": []}
    with GitRepo.discover(str(repo)) as git:
        head = git.head()
        assert head is not None
        blobs = read_only(git, head)
        for _ in range(rounds):
            times["read"].append(timed(lambda: read_only(git, head))[0])
            elapsed, found = timed(lambda: stage_events(git, head, [PATH])[PATH])
            times["tracker"].append(elapsed)

            def parse_in_memory() -> None:
                tracker = StageTracker()
                for content in blobs:
                    tracker.update(content)

            times["tracker_parse"].append(timed(parse_in_memory)[0])
        full_seconds, baseline = timed(lambda: full_parse_events(git, head))
    if baseline != [(e.version, e.to_stage) for e in found]:  # type: ignore[attr-defined]
        raise BenchError("the full-parse baseline and the tracker disagree on the stage events")
    result = {key: statistics.median(values) for key, values in times.items()}
    result["full"] = full_seconds
    result["revisions"] = len(blobs)
    result["megabytes"] = sum(map(len, blobs)) / 1e6
    return result


# -- report ---------------------------------------------------------------------------------------


def seconds(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} (min {min(values):.3f})"


def ratio(large: float, small: float) -> str:
    return f"{large / small:.2f}×" if small else "n/a"


def environment_line() -> str:
    from importlib.metadata import version

    git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.split()[-1]
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"git {git}, stagectl {version('stagectl')}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=5000, help="commits changing the model file (default 5000)")
    parser.add_argument("--small", type=int, default=1000, help="the smaller history to compare with (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds of each command (default 5)")
    parser.add_argument("--keep", action="store_true", help=f"build the repositories in {WORK} and keep them")
    return parser.parse_args(argv)


def build_all(work: Path, sizes: list[int]) -> tuple[dict[int, Path], dict[int, Simulation]]:
    repos: dict[int, Path] = {}
    sims: dict[int, Simulation] = {}
    for size in sizes:
        start = time.perf_counter()
        sims[size] = sim = simulate(size)
        repos[size] = repo = work / f"history-{size}"
        build(repo, sim)
        (repo / PATH).write_bytes(rollback_edit(sim))
        commits = subprocess.run(
            ["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True, check=True, env=ENV
        ).stdout.strip()
        progress(
            f"built {size} changes of {PATH} ({commits} commits in all, {len(sim.final)} versions, "
            f"{sim.rollbacks} rollbacks, {len(render(sim.final)) // 1024} KiB at the end) "
            f"in {time.perf_counter() - start:.1f} s"
        )
    return repos, sims


def progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def bench(work: Path, sizes: list[int], repeat: int) -> int:
    repos, sims = build_all(work, sizes)
    small, large = sizes
    history = {
        s: Command(
            "history", s, [STAGECTL, "history", MODEL, "--format", "json"], repos[s], expect_events(sims[s].events)
        )
        for s in sizes
    }
    check = {s: Command("check", s, [STAGECTL, "check"], repos[s], expect_clean) for s in sizes}
    startup = Command("start-up", large, [STAGECTL, "--version"], repos[large], expect_ok)
    progress(f"timing {repeat} interleaved rounds of the commands ...")
    interleave([history[small], history[large], check[small], check[large], startup], repeat)
    progress("counting git processes ...")
    counts = {(c.label, c.size): git_processes(c.args, c.cwd) for c in [*history.values(), *check.values()]}
    progress("in-process: tracker against the full-parse baseline ...")
    a, b = (in_process(repos[s], repeat) for s in sizes)

    def med(values: list[float]) -> float:
        return statistics.median(values)

    rows: list[tuple[str, str, str, str]] = []
    for what, group in (("`stagectl history fraud --format json`", history), ("`stagectl check` (rollback)", check)):
        x, y = group[small], group[large]
        rows.append((f"{what}, wall s", seconds(x.walls), seconds(y.walls), ratio(med(y.walls), med(x.walls))))
        rows.append(
            ("  … CPU (user + sys) s", f"{med(x.cpus):.3f}", f"{med(y.cpus):.3f}", ratio(med(y.cpus), med(x.cpus)))
        )
    rows.append(("`stagectl --version` (start-up floor), wall s", "", seconds(startup.walls), ""))
    for what, label in (("history", "history"), ("rollback check", "check")):
        x_calls, y_calls = counts[(label, small)], counts[(label, large)]
        rows.append((f"git processes, {what}", str(len(x_calls)), str(len(y_calls)), ratio(len(y_calls), len(x_calls))))
        rows.append(("  … of which `git log`", str(x_calls.count("log")), str(y_calls.count("log")), ""))
    rows += [
        (
            "revisions of the file (MB of blobs)",
            f"{a['revisions']:.0f} ({a['megabytes']:.0f} MB)",
            f"{b['revisions']:.0f} ({b['megabytes']:.0f} MB)",
            "",
        ),
        ("in-process: git log + read every blob, no parsing (floor), s", *trio(a, b, "read")),
        ("in-process: stage events, incremental tracker, s", *trio(a, b, "tracker")),
        ("in-process: stage events, full-parse baseline (one run), s", *trio(a, b, "full")),
        ("  … full parse / tracker", ratio(a["full"], a["tracker"]), ratio(b["full"], b["tracker"]), ""),
        ("  … parsing alone: tracker, blobs in memory, s", *trio(a, b, "tracker_parse")),
        (
            "  … parsing alone: full parse (baseline − floor), s",
            f"{a['full'] - a['read']:.3f}",
            f"{b['full'] - b['read']:.3f}",
            "",
        ),
    ]
    print()
    print(f"`python bench/bench_history.py --commits {large} --small {small} --repeat {repeat}`")
    print(f"({environment_line()}; medians of {repeat} interleaved runs, min in brackets)")
    print()
    print(f"| measurement | {small:,} commits | {large:,} commits | {large:,} / {small:,} |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"git processes counted with {counter_tool()}:")
    for (label, size), calls in counts.items():
        print(f"- {label} at {size:,}: git {', git '.join(calls)}")
    hist, logs = med(history[large].walls), counts[("history", large)].count("log")
    verdict = "met" if logs == 1 and hist < TARGET_SECONDS else "MISSED"
    print()
    print(
        f"Target, history at {large:,} commits in one git log process under {TARGET_SECONDS:g} s: "
        f"{logs} git log, {hist:.3f} s median: {verdict}"
    )
    return 0


def trio(a: dict[str, float], b: dict[str, float], key: str) -> tuple[str, str, str]:
    return f"{a[key]:.3f}", f"{b[key]:.3f}", ratio(b[key], a[key])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [args.small, args.commits]
    try:
        if args.keep:
            WORK.mkdir(parents=True, exist_ok=True)
            return bench(WORK, sizes, args.repeat)
        with tempfile.TemporaryDirectory(prefix="stagectl-bench-history-") as scratch:
            return bench(Path(scratch), sizes, args.repeat)
    except BenchError as error:
        print(f"bench_history: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
