"""Seed a benchmark fast: N model files in one git commit, and a registry that holds them as applied.

Filling 10,000 models x 5 versions through MLflow's API costs about 160,000 writes; the benchmark
measures the applies that come after, not the filling. So the commit is written by one
`git fast-import` and the registry by bulk inserts, in one transaction, into the tables MLflow's
own store creates (`mlflow.store.model_registry.sqlalchemy_store.SqlAlchemyStore` runs its
migrations first): the rows a `stagectl apply` of that commit leaves, as `check_fill` verifies
against a registry filled by a real apply.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchenv import git_env

STAGES = ["archived", "archived", "production", "staging", "none"]
ALIASES = ("production", "staging")  # stagectl's default aliases: the highest version in each stage


def stage_of(number: int, versions: int) -> str:
    return STAGES[number - 1] if versions == len(STAGES) else ("production" if number == versions else "none")


def model_name(i: int) -> str:
    return f"m{i:05d}"


@dataclass(frozen=True)
class BenchVersion:
    number: int
    stage: str
    source: str
    run_id: str


@dataclass(frozen=True)
class BenchModel:
    """One model as its file declares it: the repository and the registry are both made from this."""

    name: str
    description: str
    tags: dict[str, str]
    versions: tuple[BenchVersion, ...]

    def yaml(self) -> str:
        tags = ", ".join(f"{k}: {v}" for k, v in self.tags.items())
        lines = [f"name: {self.name}", f"description: {self.description}", f"tags: {{{tags}}}", "versions:"]
        for v in self.versions:
            lines += [
                f"  - version: {v.number}",
                f"    stage: {v.stage}",
                f"    source: {v.source}",
                f"    run_id: {v.run_id}",
            ]
        return "\n".join(lines) + "\n"

    def aliases(self) -> dict[str, int]:
        found = {alias: [v.number for v in self.versions if v.stage == alias] for alias in ALIASES}
        return {alias: max(numbers) for alias, numbers in found.items() if numbers}


def bench_model(i: int, versions: int) -> BenchModel:
    name = model_name(i)
    return BenchModel(
        name,
        f"benchmark model {i}",
        {"team": "bench"},
        tuple(
            BenchVersion(n, stage_of(n, versions), f"s3://bench/{name}/{n}", f"run{i:05d}{n}")
            for n in range(1, versions + 1)
        ),
    )


def bench_models(count: int, versions: int) -> Iterator[BenchModel]:
    return (bench_model(i, versions) for i in range(count))


# -- git: one fast-import, one checkout ---------------------------------------------------------------


def make_repo(root: Path, models: int, versions: int) -> str:
    """A fresh repository at `root` whose one commit on main holds models/<name>.yaml for each model,
    checked out; returns the commit's sha. Three git processes whatever the number of models."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    env = git_env()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    stream = bytearray()
    for mark, model in enumerate(bench_models(models, versions), start=1):
        data = model.yaml().encode()
        stream += b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data)
    now = int(time.time())
    message = b"bench models"
    stream += b"commit refs/heads/main\n"
    stream += b"author Bench <bench@example.com> %d +0000\ncommitter Bench <bench@example.com> %d +0000\n" % (now, now)
    stream += b"data %d\n%s\n" % (len(message), message)
    for mark in range(1, models + 1):
        stream += b"M 100644 :%d models/%s.yaml\n" % (mark, model_name(mark - 1).encode())
    stream += b"done\n"
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=root, check=True, env=env, input=bytes(stream))
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True, env=env)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, check=True, env=env, capture_output=True, text=True
    ).stdout.strip()


# -- the registry: bulk rows in MLflow's own tables ------------------------------------------------------


def registry_rows(models: int, versions: int, applied: str, now_ms: int) -> dict[str, list[dict[str, Any]]]:
    """Table -> rows: what `stagectl apply` of commit `applied` leaves for these models (aliases mode).

    Every version carries `stagectl.stage` and `stagectl.commit` (the one commit set every stage),
    every model `stagectl.applied`; no lease tag (an apply removes its own) and MLflow's stage stays
    "None" (stagectl sets aliases unless `registry.mode: stages`).
    """
    rows: dict[str, list[dict[str, Any]]] = {
        "registered_models": [],
        "model_versions": [],
        "registered_model_tags": [],
        "model_version_tags": [],
        "registered_model_aliases": [],
    }
    for model in bench_models(models, versions):
        name = model.name
        created = now_ms
        rows["registered_models"].append(
            {"name": name, "creation_time": created, "last_updated_time": created + len(model.versions),
             "description": model.description}
        )  # fmt: skip
        tags = {**model.tags, "stagectl.applied": applied}
        rows["registered_model_tags"] += [{"name": name, "key": k, "value": v} for k, v in tags.items()]
        for v in model.versions:
            rows["model_versions"].append(
                {"name": name, "version": v.number, "creation_time": created + v.number,
                 "last_updated_time": created + v.number, "description": None, "user_id": None,
                 "current_stage": "None", "source": v.source, "storage_location": v.source, "run_id": v.run_id,
                 "run_link": None, "status": "READY", "status_message": None}
            )  # fmt: skip
            rows["model_version_tags"] += [
                {"name": name, "version": v.number, "key": "stagectl.stage", "value": v.stage},
                {"name": name, "version": v.number, "key": "stagectl.commit", "value": applied},
            ]
        rows["registered_model_aliases"] += [
            {"name": name, "alias": alias, "version": number} for alias, number in model.aliases().items()
        ]
    return rows


def fill_registry(uri: str, models: int, versions: int, applied: str) -> None:
    """Create MLflow's schema at `uri` (an empty sqlite file or PostgreSQL database) through its own
    store, then insert every row in one transaction."""
    import logging

    from mlflow.store.model_registry.dbmodels import models as db
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    for logger in ("alembic", "mlflow"):
        logging.getLogger(logger).setLevel(logging.WARNING)
    store = SqlAlchemyStore(uri)  # runs MLflow's migrations: the schema the server expects
    tables = {
        "registered_models": db.SqlRegisteredModel.__table__,
        "model_versions": db.SqlModelVersion.__table__,
        "registered_model_tags": db.SqlRegisteredModelTag.__table__,
        "model_version_tags": db.SqlModelVersionTag.__table__,
        "registered_model_aliases": db.SqlRegisteredModelAlias.__table__,
    }
    rows = registry_rows(models, versions, applied, int(time.time() * 1000))
    try:
        with store.engine.begin() as connection:  # parents first: the foreign keys
            for table, values in rows.items():
                if values:
                    connection.execute(tables[table].insert(), values)
        if store.engine.dialect.name == "postgresql":
            analyze(store.engine, list(tables))
    finally:
        store.engine.dispose()


def analyze(engine: Any, tables: list[str]) -> None:
    """Give PostgreSQL's planner statistics for the rows just loaded, as autovacuum gives a registry
    filled over time. Without them, MLflow's listing of 1,000 registered models took a 4-worker
    server 64 s here (past stagectl's 15 s request time-out); after ANALYZE, 2.4 s."""
    import sqlalchemy as sa

    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(sa.text("ANALYZE " + ", ".join(tables)))


# -- checking the fill against a real apply ----------------------------------------------------------------

SKIPPED_COLUMNS = {"creation_time", "last_updated_time"}


def table_rows(uri: str, applied: str) -> dict[str, list[tuple[Any, ...]]]:
    """The registry tables' rows, timestamps left out and the applied commit written as HEAD, sorted."""
    import sqlalchemy as sa

    engine = sa.create_engine(uri)
    found: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as connection:
            for table in ("registered_models", "model_versions", "registered_model_tags", "model_version_tags",
                          "registered_model_aliases"):  # fmt: skip
                result = connection.execute(sa.text(f"SELECT * FROM {table}"))
                keep = [i for i, column in enumerate(result.keys()) if column not in SKIPPED_COLUMNS]
                found[table] = sorted(tuple("HEAD" if row[i] == applied else row[i] for i in keep) for row in result)
    finally:
        engine.dispose()
    return found


def check_fill(folder: Path, run_apply: Any, models: int = 3, versions: int = len(STAGES)) -> None:
    """Fill one sqlite registry by a real `stagectl apply` (MLflow's API) and one by `fill_registry`,
    from the same models; every row of the five registry tables must be the same (timestamps aside)."""
    applied_repo, seeded_repo = folder / "applied-repo", folder / "seeded-repo"
    applied_db, seeded_db = f"sqlite:///{folder}/applied.db", f"sqlite:///{folder}/seeded.db"
    by_api = make_repo(applied_repo, models, versions)
    run_apply(applied_repo, applied_db)
    seeded = make_repo(seeded_repo, models, versions)
    fill_registry(seeded_db, models, versions, seeded)
    want, got = table_rows(applied_db, by_api), table_rows(seeded_db, seeded)
    if want != got:
        lines = [f"{t}: apply {want[t]} != seeded {got[t]}" for t in want if want[t] != got[t]]
        raise SystemExit("the bulk fill differs from what stagectl apply writes:\n" + "\n".join(lines))
