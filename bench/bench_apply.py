"""Benchmark `stagectl apply` against a real `mlflow server`: 200 models x 5 versions (by default).

    python bench/bench_apply.py [--models 200] [--versions 5] [--rounds 1] [--workers 1]

Per round, each against a fresh server with its own sqlite store, measured side by side:

  * stagectl: `stagectl apply` (a subprocess, as in CI) on an empty registry, then again (no-op);
  * naive:    a sequential MlflowClient loop (a subprocess too) that makes the same changes the
              way a hand-written script would: one call per change, MLflow's defaults.

Writes are counted by the server itself, from its access log (POST / PATCH / DELETE requests),
and the two registries are compared at the end: both runs must leave the same state. Prints a
markdown table; exits 1 when the states differ or the no-op re-apply wrote anything.
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
from pathlib import Path
from typing import Any

from benchenv import git_env

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
STAGES = ["archived", "archived", "production", "staging", "none"]
WRITE = re.compile(r'"(POST|PATCH|DELETE|PUT) /api/')


# -- the repository ---------------------------------------------------------------------------------


def stage_of(number: int, versions: int) -> str:
    return STAGES[number - 1] if versions == len(STAGES) else ("production" if number == versions else "none")


def make_repo(root: Path, models: int, versions: int) -> str:
    """models/m000.yaml ... with `versions` versions each, one commit; returns its sha."""
    if root.exists():
        shutil.rmtree(root)
    (root / "models").mkdir(parents=True)
    env = git_env()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    for i in range(models):
        name = f"m{i:03d}"
        lines = [f"name: {name}", f"description: benchmark model {i}", "tags: {team: bench}", "versions:"]
        for n in range(1, versions + 1):
            lines += [
                f"  - version: {n}",
                f"    stage: {stage_of(n, versions)}",
                f"    source: s3://bench/{name}/{n}",
                f"    run_id: run{i:03d}{n}",
            ]
        (root / "models" / f"{name}.yaml").write_text("\n".join(lines) + "\n")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "bench models"], cwd=root, check=True, env=env)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, check=True, env=env, capture_output=True, text=True
    ).stdout.strip()


# -- a real MLflow server -----------------------------------------------------------------------------


class Server:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = folder / "server.log"
        self.url = f"http://127.0.0.1:{self.port}"
        mlflow = str(Path(sys.executable).parent / "mlflow")
        command = [
            mlflow, "server", "--backend-store-uri", f"sqlite:///{folder}/server.db",
            "--default-artifact-root", (folder / "artifacts").as_uri(),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + 120
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

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


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
        raise SystemExit(f"stagectl apply failed ({done.returncode}): {done.stderr}\n{done.stdout[-2000:]}")
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


# -- the run -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--naive-loop", nargs=3, metavar=("REPO", "URL", "SHA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_loop:
        repo, url, sha = args.naive_loop
        naive_loop(Path(repo), url, sha)
        return 0

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


if __name__ == "__main__":
    raise SystemExit(main())
