"""The registry is read in pages: more versions than one page holds are all read, tags and all.

At 10,000 models x 5 versions the version listing spans several pages (one page of 50,000 took a
server longer than stagectl's request time-out); here the pages are made tiny instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.gitrepo import Repo
from helpers.models import model_yaml
from helpers.registry import sqlite_uri
from stagectl.registry import client as registry_client
from stagectl.registry.client import Registry

pytestmark = pytest.mark.slow  # MLflow's embedded store: a fresh database is a schema migration


def test_read_all_follows_every_page_of_models_and_of_versions(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages = ["archived", "production", "staging"]
    for name in ("a", "b", "c"):
        repo.write(f"models/{name}.yaml", model_yaml(name, *enumerate(stages, 1), source="s3://b", run_ids=True))
    sha = repo.commit("three models")
    uri = sqlite_uri(tmp_path / "registry.db")
    assert repo.stagectl("apply", "--registry", uri, in_process=True).returncode == 0

    monkeypatch.setattr(registry_client, "PAGE", 2)  # 3 models: 2 pages
    monkeypatch.setattr(registry_client, "VERSION_PAGE", 4)  # 9 versions: 3 pages
    found = Registry(uri).read_all()

    assert sorted(found) == ["a", "b", "c"]
    for model in found.values():
        assert sorted(model.versions) == [1, 2, 3]
        assert dict(model.aliases) == {"production": 2, "staging": 3}
        assert model.tags["stagectl.applied"] == sha
        assert [model.versions[n].tags["stagectl.stage"] for n in (1, 2, 3)] == stages
