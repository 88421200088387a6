#!/usr/bin/env python3
"""Benchmark `stagectl check` against the performance targets of its issue.

    python bench/bench_check.py [--sizes 100,1000,10000] [--repeat N] [--keep]

Generates one git repository per size (realistic model files, ~5 versions each, and a branch
`promote` that promotes one version of one file), then times, each as a subprocess of this venv:

1. `stagectl check --base main` on that branch, for every size: the cost should follow the diff.
2. `stagectl check --all` on the largest repo, against a plain Python loop (CSafeLoader + a
   Draft202012Validator) and against `check-jsonschema --schemafile ...` on the same files.
3. `stagectl --version`, beside `python -c pass` (the interpreter's own start-up).

The commands of one group run interleaved (A, B, A, B, ...), so noise on a shared machine hits
every side alike: `--repeat` rounds of the whole-tree group (check-jsonschema, at ~6 ms a file, only
in the first two), four times as many of the sub-second groups after one discarded warm-up round.
Medians and minima are reported, with the CPU time (user + system, child processes included) as a
less noisy second opinion. Bytecode goes to a private PYTHONPYCACHEPREFIX, written on the first run,
so a stale or missing __pycache__ (or PYTHONDONTWRITEBYTECODE) cannot tilt start-up times. Misses are
printed, not fatal: the exit status is nonzero only when a command fails or gives a wrong answer.
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
BIN = Path(sys.executable).parent
STAGECTL = str(BIN / "stagectl")
CHECK_JSONSCHEMA = str(BIN / "check-jsonschema")
PR_MODEL = "m00007"  # the file the pull request touches: identical in every repo
VERSIONS = 5

PR_RATIO_LIMIT = 1.5  # target 1: PR check at the largest size / at the smallest
LOOP_RATIO_LIMIT = 1.5  # target 2a: --all / plain loop
CJS_SPEEDUP_MIN = 4.0  # target 2b: check-jsonschema / --all
VERSION_LIMIT = 0.150  # target 3: seconds
CJS_RUNS = 2  # check-jsonschema takes ~6 ms a file: at most two runs of it
CHEAP_FACTOR = 4  # rounds of the sub-second groups per --repeat

# The plain loop of target 2a: start-up, imports, schema, then read + parse + validate every file.
# The validator is built once (the strongest fair baseline); files are listed like --all lists them.
LOOP = """\
import json, sys
from pathlib import Path
import jsonschema, yaml

validator = jsonschema.Draft202012Validator(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
count = 0
for path in sorted(Path(sys.argv[2]).glob("*.yaml")):
    with open(path, "rb") as f:
        data = yaml.load(f, Loader=yaml.CSafeLoader)
    validator.validate(data)
    count += 1
print(count)
"""

TEAMS = ("risk-team", "growth", "search-relevance", "ads-ranking", "fraud-ops", "ml-platform")
DOMAINS = ("payments", "search", "ads", "recommendations", "support", "logistics")
CHANGES = (
    "first gradient-boosted cut",
    "adds merchant-category embeddings",
    "retrained on Q3 data",
    "drops the leaky session feature",
    "calibrated with isotonic regression",
    "larger trees, early stopping on recall",
    "distilled into a smaller model for latency",
)


class BenchError(Exception):
    """A command failed or answered wrongly: the numbers would mean nothing."""


# -- the generated repositories -------------------------------------------------------------------


ENV = git_env()


def model_name(index: int) -> str:
    """`m00042` for 42: sorted names, the same file in every repository size."""
    return f"m{index:05d}"


def stages(promoted: bool) -> list[str]:
    """v1..v3 archived, v4 in production, v5 in staging; after the promotion v5 replaces v4."""
    tail = ["archived", "production"] if promoted else ["production", "staging"]
    return ["archived"] * (VERSIONS - 2) + tail


def model_yaml(name: str, promoted: bool = False) -> str:
    """A model file like models/fraud.yaml, its content a function of the name alone."""
    rng = random.Random(f"stagectl-bench-{name}")
    lines = [
        "# yaml-language-server: $schema=../schemas/model.schema.json",
        f"name: {name}",
        f"description: {rng.choice(DOMAINS).capitalize()} model {name}, owned by one team",
        f"owners: [{rng.choice(TEAMS)}]",
        f"tags: {{domain: {rng.choice(DOMAINS)}, tier: {rng.choice(('critical', 'standard'))}}}",
        "versions:",
    ]
    auc = 0.85 + rng.random() * 0.05
    for number, stage in enumerate(stages(promoted), start=1):
        auc += rng.random() * 0.01
        lines += [
            f"  - version: {number}",
            f"    stage: {stage}",
            f"    source: s3://ml-artifacts/{name}/{number}",
            f'    run_id: "{rng.getrandbits(64):016x}"',  # quoted: all-digit ids would load as numbers
            f"    description: {rng.choice(CHANGES)}",
            f"    metrics: {{auc: {auc:.3f}, recall_at_1pct_fpr: {rng.uniform(0.5, 0.8):.2f}}}",
            f"    tags: {{dataset: 2024-q{rng.randint(1, 4)}-snapshot, trainer: xgboost}}",
        ]
    return "\n".join(lines) + "\n"


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`; a failure is a BenchError."""
    proc = subprocess.run(["git", *args], cwd=repo, env=ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout


def make_repo(repo: Path, size: int) -> None:
    """`size` model files committed on main, and a checked-out branch `promote` changing one of them."""
    models = repo / "models"
    models.mkdir(parents=True)
    shutil.copy(ROOT / "stagectl.yaml", repo / "stagectl.yaml")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    for index in range(size):
        name = model_name(index)
        (models / f"{name}.yaml").write_text(model_yaml(name), encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{size} models")
    git(repo, "checkout", "-q", "-b", "promote")
    (models / f"{PR_MODEL}.yaml").write_text(model_yaml(PR_MODEL, promoted=True), encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"promote {PR_MODEL} v{VERSIONS} to production")


# -- timing ---------------------------------------------------------------------------------------


@dataclass
class Case:
    """One command to time, and what a correct run of it prints."""

    label: str
    argv: list[str]
    cwd: Path
    verify: Callable[[str], None] = lambda out: None
    max_runs: int | None = None  # a slow reference runs in the first rounds only
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    def run(self, record: bool) -> None:
        """Run once; record wall and CPU time (children included) unless this is the warm-up."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(self.argv, cwd=self.cwd, env=ENV, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip()[-2000:]
            raise BenchError(f"{self.label}: exit {proc.returncode}: {' '.join(self.argv[:4])} ...\n{detail}")
        self.verify(proc.stdout)
        if not record:
            return
        self.walls.append(wall)
        self.cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def interleave(cases: Sequence[Case], rounds: int, title: str, warmup: bool) -> None:
    """An optional warm-up round (not recorded), then `rounds` rounds of A, B, C, ... in turn."""
    print(f"  {title}: {len(cases)} commands x {rounds} rounds", file=sys.stderr, flush=True)
    for case in cases:
        if warmup:
            case.run(record=False)
    for _ in range(rounds):
        for case in cases:
            if case.max_runs is None or len(case.walls) < case.max_runs:
                case.run(record=True)


def expect_json(files: int) -> Callable[[str], None]:
    """Verifier for `stagectl check --format json`: clean, and exactly `files` model files read."""

    def verify(out: str) -> None:
        result = json.loads(out)
        if not result["ok"] or result["files_checked"] != files:
            raise BenchError(f"expected a clean check of {files} files, got: {out[:500]}")

    return verify


def expect_text(expected: str) -> Callable[[str], None]:
    """Verifier: stdout starts with `expected` (whitespace trimmed)."""

    def verify(out: str) -> None:
        if not out.strip().startswith(expected):
            raise BenchError(f"expected {expected!r} on stdout, got {out.strip()[:200]!r}")

    return verify


# -- the report -----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    """Milliseconds, one decimal below 100 ms."""
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    """The PASS/MISS column."""
    return "PASS" if ok else "**MISS**"


def print_tables(groups: list[tuple[str, list[Case]]], targets: list[tuple[str, str, str, bool]]) -> None:
    """The markdown tables: absolute times, then the targets."""
    print("| measurement | median | min | CPU (median) | runs |")
    print("|---|---:|---:|---:|---:|")
    for _title, cases in groups:
        for case in cases:
            print(f"| {case.label} | {ms(case.median)} | {ms(min(case.walls))} | {ms(case.cpu)} | {len(case.walls)} |")
    print()
    print("| target | measured (wall medians; CPU ratio as a second opinion) | limit | result |")
    print("|---|---:|---:|---|")
    for name, measured, limit, ok in targets:
        print(f"| {name} | {measured} | {limit} | {verdict(ok)} |")


def environment_line() -> str:
    """What the numbers were measured on."""
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()}, {git_version}, {os.cpu_count()} CPUs, "
        f"load average {load}, {platform.platform()}"
    )


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, sizes parsed and sorted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default="100,1000,10000", help="repository sizes, in model files (default: %(default)s)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help=f"timed rounds of the whole-tree group; {CHEAP_FACTOR}x as many of the others (default: %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help=f"generate into {WORK} and keep the repositories")
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes comma-separated integers")
    if not args.sizes or min(args.sizes) <= int(PR_MODEL[1:]):
        parser.error(f"every size must be more than {int(PR_MODEL[1:])} (the pull request edits {PR_MODEL})")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def bench(work: Path, sizes: list[int], repeat: int) -> None:
    """Generate, measure, print. Raises BenchError when a command fails."""
    repos: dict[int, Path] = {}
    for size in sizes:
        start = time.perf_counter()
        repos[size] = work / f"repo-{size}"
        make_repo(repos[size], size)
        print(f"  generated {size} models in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    small, large = sizes[0], sizes[-1]
    big = repos[large]

    pr = [
        Case(f"PR check, {size:,} models", [STAGECTL, "check", "--base", "main", "--format", "json"], repos[size])
        for size in sizes
    ]
    for case in pr:
        case.verify = expect_json(1)
    files = [str(p.relative_to(big)) for p in sorted((big / "models").glob("*.yaml"))]
    whole = [
        Case(
            f"`stagectl check --all`, {large:,} files",
            [STAGECTL, "check", "--all", "--format", "json"],
            big,
            expect_json(large),
        ),
        Case(
            f"plain loop (CSafeLoader + jsonschema), {large:,} files",
            [sys.executable, "-c", LOOP, "schemas/model.schema.json", "models"],
            big,
            expect_text(str(large)),
        ),
        Case(
            f"`check-jsonschema`, {large:,} files",
            [CHECK_JSONSCHEMA, "--schemafile", "schemas/model.schema.json", *files],
            big,
            max_runs=CJS_RUNS,
        ),
    ]
    startup = [
        Case("`stagectl --version`", [STAGECTL, "--version"], big, expect_text("stagectl ")),
        Case("`python -c pass`", [sys.executable, "-c", "pass"], big),
        Case("`python -c 'import stagectl.cli'`", [sys.executable, "-c", "import stagectl.cli"], big),
    ]
    groups = [("pull-request check", pr), ("whole tree", whole), ("start-up", startup)]
    # The whole-tree group needs no warm-up: git add just read every file, the PR group compiled the imports.
    interleave(pr, repeat * CHEAP_FACTOR, "pull-request check", warmup=True)
    interleave(whole, repeat, "whole tree", warmup=False)
    interleave(startup, repeat * CHEAP_FACTOR, "start-up", warmup=True)

    pr_ratio = pr[-1].median / pr[0].median
    stagectl_all, loop, cjs = (case.median for case in whole)
    version, bare = startup[0].median, startup[1].median
    targets = [
        (
            f"1. PR check: {large:,} / {small:,} models",
            f"{pr_ratio:.2f}x ({ms(pr[-1].median)} / {ms(pr[0].median)}; CPU {pr[-1].cpu / pr[0].cpu:.2f}x)",
            f"<= {PR_RATIO_LIMIT}x",
            pr_ratio <= PR_RATIO_LIMIT,
        ),
        (
            f"2a. `check --all` / plain loop, {large:,} files",
            f"{stagectl_all / loop:.2f}x ({ms(stagectl_all)} / {ms(loop)}; CPU {whole[0].cpu / whole[1].cpu:.2f}x)",
            f"<= {LOOP_RATIO_LIMIT}x",
            stagectl_all / loop <= LOOP_RATIO_LIMIT,
        ),
        (
            f"2b. `check-jsonschema` / `check --all`, {large:,} files",
            f"{cjs / stagectl_all:.2f}x faster ({ms(cjs)} / {ms(stagectl_all)};"
            f" CPU {whole[2].cpu / whole[0].cpu:.2f}x)",
            f">= {CJS_SPEEDUP_MIN}x",
            cjs / stagectl_all >= CJS_SPEEDUP_MIN,
        ),
        (
            "3. `stagectl --version`",
            f"{ms(version)} (interpreter alone: {ms(bare)}, {bare / version:.0%})",
            f"<= {ms(VERSION_LIMIT)}",
            version <= VERSION_LIMIT,
        ),
    ]
    print(f"\n{environment_line()}; commands interleaved, runs per command in the table.\n")
    print_tables(groups, targets)
    print(
        "\nEvery command is a subprocess of this venv, so each side pays interpreter start-up and its imports."
        "\n- `check --all`: argparse, `git rev-parse`, walk + lstat of models/, the event-based"
        " hostile-YAML loader (positions, duplicate keys), Draft 2020-12 validation, the standalone rules, JSON out."
        "\n- plain loop: `import yaml, jsonschema`, the schema read once and one Draft202012Validator built once,"
        " then a sorted glob of models/*.yaml and `yaml.load(f, Loader=yaml.CSafeLoader)` + `validate` per file."
        "\n- `check-jsonschema`: `--schemafile schemas/model.schema.json` and the same files listed on argv."
        f"\n- PR check: `stagectl check --base main --format json` on branch `promote` (one file, {PR_MODEL}.yaml,"
        f" v{VERSIONS - 1} archived and v{VERSIONS} promoted to production)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark: 0 when every command ran (targets missed or not), 1 when one failed."""
    args = parse_args(argv)
    for tool in (STAGECTL, CHECK_JSONSCHEMA):
        if not os.access(tool, os.X_OK):
            print(f"bench: {tool} not found: install with pip install -e '.[bench]'", file=sys.stderr)
            return 2
    if args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(parents=True)
        work = WORK
    else:
        work = Path(tempfile.mkdtemp(prefix="stagectl-bench-"))
    ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    try:
        bench(work, args.sizes, args.repeat)
    except BenchError as error:
        print(f"bench: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.keep:
        print(f"\nrepositories kept in {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
