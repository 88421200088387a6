from __future__ import annotations

from helpers.gitrepo import Repo
from helpers.models import model_yaml


def test_promotion_through_staging_passes_and_skipping_it_fails(repo: Repo) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none")))
    repo.commit("add fraud")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "staging")))
    assert repo.stagectl("check").returncode == 0
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production")))
    result = repo.stagectl("check")
    assert result.returncode == 1
    assert "models/fraud.yaml:4:5: illegal-transition: none → production skips staging" in result.stdout
