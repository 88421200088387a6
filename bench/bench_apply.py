"""Benchmark `stagectl apply` against a real `mlflow server`: its cost as the registry grows, and
against a hand-written sync loop.

    python bench/bench_apply.py [--sizes 100,1000,10000] [--stores sqlite,postgresql]

The scale run (the default). For each store and size: a registry of SIZE models x 5 versions that
is up to date, then, through the server, (a) a no-op apply and (b) the apply after a merge that
promotes one model. Measured: wall time of `stagectl apply` (a subprocess, as in CI: Python start-up
and the MLflow import included) and the HTTP requests the server answered (counted from its own
access log; writes among them). Stores: a sqlite file behind `mlflow server --workers 1`, and a
PostgreSQL database behind `--workers 4` (the cluster named by STAGECTL_TEST_POSTGRES, else a
throw-away one started here: tests/helpers/pgcluster.py). Prints a markdown table, the ratios of each size
to the smallest, and the load average next to every row (the machine may be shared).

Seeding is not measured and is quick at any size (seed.py): the model files are one commit written
by `git fast-import`; the registry, as applied from that commit (`stagectl.applied` = HEAD on every
model), is bulk rows in the tables MLflow's own store creates, inserted in one transaction before
the server starts. Checked every run: three models filled by a real `stagectl apply` give the same
rows in those tables, and read the same through each server's API as the seeded ones.
Exits 1 when a no-op apply wrote anything, an apply failed or the seeding differs.

    python bench/bench_apply.py --versus-naive [--models 200] [--versions 5] [--rounds 1]

stagectl's first apply and a no-op re-apply against a naive sequential MlflowClient loop that
makes the same changes (each against a fresh sqlite-backed server, `--workers 1`); both must leave
the same registry.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchenv import git_env
from seed import STAGES, check_fill, fill_registry, make_repo, model_name

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE.parent / "tests"))
from helpers.pgcluster import ENV_VAR, Cluster, create_database  # noqa: E402  (tests/: shared with the test suite)

WRITE = re.compile(r'"(POST|PATCH|DELETE|PUT) /(ajax-)?api/')
REQUEST = re.compile(r'"(GET|HEAD|POST|PATCH|DELETE|PUT) /(ajax-)?api/')


# -- a real MLflow server -----------------------------------------------------------------------------


class Server:
    """`mlflow server` on 127.0.0.1 over `store` (default: a sqlite file in `folder`)."""

    def __init__(self, folder: Path, store: str | None = None, workers: int = 1) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = folder / "server.log"
        self.url = f"http://127.0.0.1:{self.port}"
        mlflow = str(Path(sys.executable).parent / "mlflow")
        command = [
            mlflow, "server", "--backend-store-uri", store or f"sqlite:///{folder}/server.db",
            "--default-artifact-root", (folder / "artifacts").as_uri(),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"mlflow server did not start: {self.log.read_text()[-2000:]}")

    def writes(self) -> int:
        return len(WRITE.findall(self.log.read_text(errors="replace")))

    def requests(self) -> int:
        """API requests answered so far (every method), from the server's access log."""
        return len(REQUEST.findall(self.log.read_text(errors="replace")))

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


# -- the two contenders ---------------------------------------------------------------------------------


def run_stagectl(repo: Path, url: str) -> tuple[float, dict[str, Any]]:
    stagectl = str(Path(sys.executable).parent / "stagectl")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GITHUB_"))}
    start = time.perf_counter()
    done = subprocess.run(
        [stagectl, "apply", "--registry", url, "--format", "json"], cwd=repo, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        try:  # the first errors say why; the tail of the JSON is only the models' statuses
            shown = json.dumps(json.loads(done.stdout)["errors"][:3], indent=1)
        except (ValueError, KeyError):
            shown = done.stdout[-2000:]
        raise SystemExit(f"stagectl apply failed ({done.returncode}): {done.stderr}\n{shown}")
    return elapsed, json.loads(done.stdout)


def run_naive(repo: Path, url: str, sha: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--naive-loop", str(repo), url, sha], check=True)
    return time.perf_counter() - start


def naive_loop(repo: Path, url: str, sha: str) -> None:
    """What a hand-written sync script does: walk the files, one MlflowClient call per change."""
    import yaml
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=url, registry_uri=url)
    for path in sorted((repo / "models").glob("*.yaml")):
        model = yaml.safe_load(path.read_text())
        name = model["name"]
        client.create_registered_model(name)
        client.update_registered_model(name, description=model["description"])
        for key, value in model["tags"].items():
            client.set_registered_model_tag(name, key, value)
        for entry in model["versions"]:
            created = client.create_model_version(name, entry["source"], run_id=entry["run_id"])
            client.set_model_version_tag(name, created.version, "stagectl.stage", entry["stage"])
            client.set_model_version_tag(name, created.version, "stagectl.commit", sha)
            if entry["stage"] in ("production", "staging"):
                client.set_registered_model_alias(name, entry["stage"], created.version)
        client.set_registered_model_tag(name, "stagectl.applied", sha)  # as stagectl records it


def snapshot(url: str) -> dict[str, Any]:
    """Everything both runs should agree on, read back through the API."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=url, registry_uri=url)
    found: dict[str, Any] = {}
    token = None
    while True:
        page = client.search_registered_models(max_results=1000, page_token=token)
        for model in page:
            found[model.name] = {
                "description": model.description,
                "tags": dict(model.tags),
                "aliases": {k: int(v) for k, v in model.aliases.items()},
            }
        token = page.token
        if not token:
            break
    token = None
    while True:
        page = client.search_model_versions(max_results=10000, page_token=token)
        for version in page:
            found[version.name][int(version.version)] = (version.source, version.run_id, dict(version.tags))
        token = page.token
        if not token:
            return found


# -- the scale run: no-op and one-model applies as the registry grows ---------------------------------------


@dataclass(frozen=True)
class Measured:
    seconds: float
    requests: int
    writes: int


@dataclass(frozen=True)
class Row:
    store: str
    models: int
    seed_git: float  # the model files' commit (git fast-import), not measured below
    seed_registry: float  # the registry as applied, bulk rows in MLflow's tables, not measured below
    load: str  # the load averages after the measured applies (a shared machine)
    noop: Measured
    merge: Measured


def promote_one(repo: Path) -> None:
    """A pull request that promotes the first model's staging version 4 (version 3, in production, is
    archived), merged into main with --no-ff: a legal change under the default policy."""
    env = git_env()
    path = repo / "models" / f"{model_name(0)}.yaml"
    text = path.read_text()
    for number, old, new in ((3, "production", "archived"), (4, "staging", "production")):
        before = f"  - version: {number}\n    stage: {old}\n"
        assert before in text, text
        text = text.replace(before, f"  - version: {number}\n    stage: {new}\n")
    subprocess.run(["git", "checkout", "-q", "-b", "promote"], cwd=repo, check=True, env=env)
    path.write_text(text)
    subprocess.run(["git", "commit", "-q", "-am", f"promote {model_name(0)}"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "merge", "-q", "--no-ff", "-m", "Merge promote", "promote"], cwd=repo, check=True, env=env)


def measured_apply(repo: Path, server: Server) -> tuple[Measured, dict[str, Any]]:
    requests, writes = server.requests(), server.writes()
    elapsed, report = run_stagectl(repo, server.url)
    time.sleep(0.5)  # let the access log catch up with the last answers
    return Measured(elapsed, server.requests() - requests, server.writes() - writes), report


def sample(uri: str, names: list[str], head: str) -> dict[str, Any]:
    """A few models as MLflow's client reads them (description, tags, aliases, each version's source,
    run id, stage and tags), with the commit `head` written as HEAD."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)

    def at_head(tags: dict[str, str]) -> dict[str, str]:
        return {k: "HEAD" if v == head else v for k, v in tags.items()}

    found: dict[str, Any] = {}
    for name in names:
        model = client.get_registered_model(name)
        versions = client.search_model_versions(f"name='{name}'")
        found[name] = {
            "description": model.description,
            "tags": at_head(dict(model.tags)),
            "aliases": {k: int(v) for k, v in model.aliases.items()},
            "versions": {
                int(v.version): (v.source, v.run_id, v.current_stage, at_head(dict(v.tags))) for v in versions
            },
        }
    return found


@dataclass(frozen=True)
class Reference:
    """A few models filled by a real `stagectl apply`, read back through MLflow's client."""

    models: dict[str, Any]

    @classmethod
    def make(cls) -> Reference:
        folder = WORK / "reference"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        applied: list[tuple[str, str]] = []

        def apply(repo: Path, uri: str) -> None:
            run_stagectl(repo, uri)  # embedded: MLflow's own store writes every row
            applied.append((uri, head_of(repo)))

        check_fill(folder, apply, models=SAMPLED)  # the five tables, row by row
        uri, head = applied[0]
        return cls(sample(uri, [model_name(i) for i in range(SAMPLED)], head))

    def check(self, url: str, head: str, label: str) -> None:
        """The first models of a seeded registry, read through its server, as the real apply left them."""
        got = sample(url, list(self.models), head)
        if got != self.models:
            raise SystemExit(
                f"{label}: the seeded registry reads differently from an applied one:\n{got}\n{self.models}"
            )


SAMPLED = 3  # models filled by a real apply to check the seeding against


def head_of(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, env=git_env(), capture_output=True, text=True
    ).stdout.strip()


def scale_row(store_kind: str, models: int, postgres: str | None, reference: Reference) -> Row:
    label = f"{store_kind} {models:,}"
    folder = WORK / f"scale-{store_kind}-{models}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    repo = folder / "repo"
    head = make_repo(repo, models, len(STAGES))
    seed_git = time.perf_counter() - start
    store = create_database(postgres, "bench") if postgres else f"sqlite:///{folder}/server.db"
    start = time.perf_counter()
    fill_registry(store, models, len(STAGES), head)  # as applied from HEAD, in one transaction
    seed_registry = time.perf_counter() - start
    server = Server(folder / "server", store, workers=4 if postgres else 1)
    try:
        reference.check(server.url, head, label)
        noop, report = measured_apply(repo, server)
        if report["writes"] != 0:
            raise SystemExit(f"{label}: the no-op apply wrote {report['writes']} times")
        promote_one(repo)
        merge, report = measured_apply(repo, server)
        if report["writes"] == 0:
            raise SystemExit(f"{label}: the apply after the merge wrote nothing")
    finally:
        server.stop()
    print(
        f"  {label:>17} models: seeded git {seed_git:.1f} s, registry {seed_registry:.1f} s; no-op "
        f"{noop.seconds:.1f} s, {noop.requests} requests; one-model merge {merge.seconds:.1f} s, "
        f"{merge.requests} requests ({merge.writes} writes); load {load()}",
        flush=True,
    )
    shutil.rmtree(folder)
    return Row(store_kind, models, seed_git, seed_registry, load(), noop, merge)


def load() -> str:
    """The 1, 5 and 15 minute load averages: the machine is shared, so they go with each figure."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def scale(args: argparse.Namespace) -> int:
    sizes = sorted(int(size) for size in args.sizes.split(","))
    stores = [kind.strip() for kind in args.stores.split(",")]
    WORK.mkdir(exist_ok=True)
    began = time.perf_counter()
    print(f"load at start: {load()}", flush=True)
    reference = Reference.make()
    cluster = None
    postgres = os.environ.get(ENV_VAR)
    if "postgresql" in stores and not postgres:
        cluster = Cluster.start(durable=True)
        postgres = cluster.url
    rows: list[Row] = []
    try:
        for models in sizes:
            for kind in stores:
                rows.append(scale_row(kind, models, postgres if kind == "postgresql" else None, reference))
    finally:
        if cluster is not None:
            cluster.stop()
    print_scale(rows)
    print(f"\nwhole run {time.perf_counter() - began:.0f} s; load at end: {load()}")
    return 0


def print_scale(rows: list[Row]) -> None:
    workers = {"sqlite": 1, "postgresql": 4}
    print(f"\nstagectl apply through a real mlflow server, N models x {len(STAGES)} versions; {os.cpu_count()} CPUs\n")
    print(
        "| store (server workers) | models | no-op apply | requests | one-model merge apply | requests | writes "
        "| load (1, 5, 15 min) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row.store} ({workers.get(row.store, '?')}) | {row.models:,} | {row.noop.seconds:.1f} s | "
            f"{row.noop.requests:,} | {row.merge.seconds:.1f} s | {row.merge.requests:,} | {row.merge.writes} | "
            f"{row.load} |"
        )
    for store in dict.fromkeys(row.store for row in rows):
        mine = [row for row in rows if row.store == store]
        small = mine[0]
        for large in mine[1:]:
            print(
                f"\n{store}, {large.models:,} vs {small.models:,} models: no-op apply "
                f"{large.noop.seconds / small.noop.seconds:.1f}x the time, "
                f"{large.noop.requests / max(small.noop.requests, 1):.1f}x the requests; one-model merge "
                f"{large.merge.seconds / small.merge.seconds:.1f}x the time, "
                f"{large.merge.requests / max(small.merge.requests, 1):.1f}x the requests"
            )
    print(
        "\nseeding (git commit + registry rows; not measured above): "
        + "; ".join(f"{row.store} {row.models:,}: {row.seed_git:.1f} + {row.seed_registry:.1f} s" for row in rows)
    )


# -- stagectl against a naive loop ---------------------------------------------------------------------------


def versus_naive(args: argparse.Namespace) -> int:
    WORK.mkdir(exist_ok=True)
    repo = WORK / f"apply-{args.models}x{args.versions}"
    sha = make_repo(repo, args.models, args.versions)
    rows: dict[str, list[float]] = {"first": [], "noop": [], "naive": []}
    counts: dict[str, list[int]] = {"first": [], "first_self": [], "noop": [], "noop_self": [], "naive": []}
    same = True
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=WORK) as folder:
            ours, theirs = Server(Path(folder) / "stagectl"), Server(Path(folder) / "naive")
            try:
                order = ("stagectl", "naive") if round_ % 2 == 0 else ("naive", "stagectl")  # interleaved
                for who in order:
                    if who == "stagectl":
                        elapsed, report = run_stagectl(repo, ours.url)
                        rows["first"].append(elapsed)
                        counts["first"].append(ours.writes())
                        counts["first_self"].append(report["writes"])
                        before = ours.writes()
                        elapsed, report = run_stagectl(repo, ours.url)
                        rows["noop"].append(elapsed)
                        counts["noop"].append(ours.writes() - before)
                        counts["noop_self"].append(report["writes"])
                    else:
                        rows["naive"].append(run_naive(repo, theirs.url, sha))
                        counts["naive"].append(theirs.writes())
                same = same and snapshot(ours.url) == snapshot(theirs.url)
            finally:
                ours.stop()
                theirs.stop()

    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"\n{args.models} models x {args.versions} versions, real mlflow server (--workers 1), "
          f"{args.rounds} round(s), medians; {os.cpu_count()} CPUs\n")  # fmt: skip
    table = [
        ("naive sequential MlflowClient loop", med["naive"], counts["naive"][-1], ""),
        ("stagectl apply, empty registry", med["first"], counts["first"][-1], counts["first_self"][-1]),
        ("stagectl apply again (no-op)", med["noop"], counts["noop"][-1], counts["noop_self"][-1]),
    ]
    print("| run | wall time | writes (server log) | writes (stagectl's count) |")
    print("|---|---:|---:|---:|")
    for label, seconds, logged, own in table:
        print(f"| {label} | {seconds:.1f} s | {logged} | {own} |")
    print("\nevery round (s): " + "; ".join(f"{k} " + ", ".join(f"{x:.1f}" for x in v) for k, v in rows.items()))
    ratio = med["naive"] / med["first"]
    print(f"\nfirst apply: {ratio:.1f}x faster than the naive loop (target >= 3x: {'PASS' if ratio >= 3 else 'MISS'})")
    print(f"no-op re-apply: {max(counts['noop'])} writes (target 0: {'PASS' if max(counts['noop']) == 0 else 'MISS'})")
    print(f"end states identical: {'yes' if same else 'NO'}")
    return 0 if same and max(counts["noop"]) == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="scale run: model counts, comma-separated")
    parser.add_argument("--stores", default="sqlite,postgresql", help="scale run: sqlite, postgresql or both")
    parser.add_argument("--versus-naive", action="store_true", help="compare the first apply with a naive loop")
    parser.add_argument("--models", type=int, default=200, help="--versus-naive: models")
    parser.add_argument("--versions", type=int, default=5, help="--versus-naive: versions per model")
    parser.add_argument("--rounds", type=int, default=1, help="--versus-naive: rounds")
    parser.add_argument("--naive-loop", nargs=3, metavar=("REPO", "URL", "SHA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_loop:
        repo, url, sha = args.naive_loop
        naive_loop(Path(repo), url, sha)
        return 0
    return versus_naive(args) if args.versus_naive else scale(args)


if __name__ == "__main__":
    raise SystemExit(main())
