"""Cost follows the change: requests to a real `mlflow server`, counted from its access log.

The registry is read in bulk (paged listings of the models and of the versions), and git only for
the models whose file changed since the commit the registry recorded; drift on any model is still
found. 100 models keep the test quick; read one by one, as before, they cost 200 requests per apply.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from helpers.gitrepo import Repo, init_repo
from helpers.models import model_yaml
from helpers.registry import Server, client, state

pytestmark = pytest.mark.slow  # a real `mlflow server` over 100 models

REQUEST = re.compile(r'"(GET|POST|PATCH|DELETE|PUT) /api/')
STAGES = ["archived", "archived", "production", "staging", "none"]
MODELS = 100

FAST = "/dev/shm" if Path("/dev/shm").is_dir() else None  # the seeding writes 900 times: no fsync on tmpfs


def requests(server: Server) -> int:
    return len(REQUEST.findall(server.log.read_text(errors="replace"))) if server.log.exists() else 0


def test_a_no_op_and_a_one_model_merge_cost_a_handful_of_requests_whatever_the_number_of_models(
    tmp_path: Path, registry_template: Path
) -> None:
    repo: Repo = init_repo(tmp_path / "repo")
    repo.write(".gitignore", "*.db\n")
    names = [f"m{i:03d}" for i in range(MODELS)]
    for name in names:
        repo.write(f"models/{name}.yaml", model_yaml(name, *enumerate(STAGES, 1), source="s3://b", run_ids=True))
    repo.commit("many models")
    server = Server(Path(tempfile.mkdtemp(prefix="stagectl-cost-", dir=FAST)))
    try:
        server.seed(registry_template)  # empty and migrated: the seeding apply below fills it
        seeded = repo.stagectl("apply", "--registry", server.store, in_process=True)  # the server's own store
        assert seeded.returncode == 0, seeded.stdout[-2000:]
        server.start()
        url = server.url
        before = requests(server)
        noop = repo.stagectl("apply", "--registry", url, "--format", "json", in_process=True)
        assert noop.returncode == 0 and noop.json()["actions"] == [], noop.stdout[-2000:]
        assert requests(server) - before <= 20

        client(url).set_registered_model_alias("m007", "production", "4")  # drift on a model git did not change
        before = requests(server)
        diff = repo.stagectl("diff", "--registry", url, "--format", "json", in_process=True)
        assert diff.returncode == 1
        assert [(a["model"], a["action"], a["version"]) for a in diff.json()["actions"]] == [("m007", "set-alias", 3)]
        assert requests(server) - before <= 20
        assert repo.stagectl("apply", "--registry", url, in_process=True).returncode == 0
        assert state(url, "m007")["aliases"] == {"production": 3, "staging": 4}

        repo.git("checkout", "-q", "-b", "promote")
        repo.write(
            "models/m042.yaml",
            model_yaml("m042", *enumerate(["archived"] * 3 + ["production", "none"], 1), source="s3://b", run_ids=True),
        )
        repo.commit("promote m042 4")
        repo.git("checkout", "-q", "main")
        repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from team/promote", "promote")
        merged = repo.rev()
        before = requests(server)
        applied = repo.stagectl("apply", "--registry", url, "--format", "json", in_process=True)
        assert applied.returncode == 0, applied.stdout[-2000:]
        assert {a["model"] for a in applied.json()["actions"]} == {"m042"}
        assert requests(server) - before <= 40
        found = state(url, "m042")
        assert found["aliases"] == {"production": 4}
        assert found["versions"][4]["tags"]["stagectl.commit"] == merged
        assert found["tags"]["stagectl.applied"] == merged
    finally:
        server.kill()
        shutil.rmtree(server.folder, ignore_errors=True)
