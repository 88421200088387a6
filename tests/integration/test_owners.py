"""`stagectl owners`: the CODEOWNERS lines that make GitHub ask a model's owners, printed, checked, written."""

from __future__ import annotations

from helpers.gitrepo import Repo
from helpers.models import model_yaml

OWNERS_BLOCK_START = "# BEGIN stagectl owners"


def owned(name: str, owners: str) -> str:
    return model_yaml(name, (1, "none"), extra=f"owners: {owners}")


def test_prints_one_line_per_model_with_github_owners_and_warns_about_the_rest(repo: Repo) -> None:
    repo.write("models/fraud.yaml", owned("fraud", '["@acme/risk-team", "@alice", "risk@acme.example"]'))
    repo.write("models/churn.yaml", owned("churn", '[growth-team, "@acme/growth"]'))
    repo.write("models/solo.yaml", owned("solo", "[nobody-with-an-at]"))
    repo.write("models/bare.yaml", model_yaml("bare", (1, "none")))
    repo.write("models/evil.yaml", owned("evil", '["@x\\u001b[31m"]'))
    repo.commit()
    printed = repo.stagectl("owners")
    assert printed.returncode == 0
    assert printed.stdout.splitlines()[1:-1] == [
        "/models/churn.yaml @acme/growth",
        "/models/fraud.yaml @acme/risk-team @alice risk@acme.example",
    ]
    assert printed.stdout.startswith(OWNERS_BLOCK_START) and printed.stdout.endswith("# END stagectl owners\n")
    assert "models/churn.yaml: owner 'growth-team' is not a GitHub user" in printed.stderr
    assert "models/solo.yaml: owner 'nobody-with-an-at'" in printed.stderr
    # An owner with a control character makes the file invalid (schema): named, never printed raw.
    assert "\x1b" not in printed.stderr + printed.stdout
    assert "models/evil.yaml is not a valid model file" in printed.stderr


def test_check_fails_until_the_block_is_written_and_write_keeps_the_rest_of_the_file(repo: Repo) -> None:
    repo.write("models/fraud.yaml", owned("fraud", '["@acme/risk-team"]'))
    repo.commit()
    missing = repo.stagectl("owners", "--check")
    assert missing.returncode == 1 and "no stagectl owners block" in missing.stdout
    repo.write(".github/CODEOWNERS", "* @acme/platform\n.github/ @acme/platform\n")
    assert repo.stagectl("owners", "--check").returncode == 1
    written = repo.stagectl("owners", "--write")
    assert written.returncode == 0
    text = (repo.path / ".github/CODEOWNERS").read_text()
    assert text.startswith("* @acme/platform\n.github/ @acme/platform\n\n" + OWNERS_BLOCK_START)
    assert "/models/fraud.yaml @acme/risk-team\n# END stagectl owners\n" in text
    assert repo.stagectl("owners", "--check").returncode == 0
    # A model's owners change: the check fails and shows what differs; writing again replaces the block.
    repo.write("models/fraud.yaml", owned("fraud", '["@acme/fraud-leads"]'))
    stale = repo.stagectl("owners", "--check")
    assert stale.returncode == 1 and "out of date" in stale.stdout
    assert "-/models/fraud.yaml @acme/risk-team" in stale.stdout
    assert "+/models/fraud.yaml @acme/fraud-leads" in stale.stdout
    repo.stagectl("owners", "--write")
    again = (repo.path / ".github/CODEOWNERS").read_text()
    assert again.count(OWNERS_BLOCK_START) == 1 and again.startswith("* @acme/platform\n")
    assert repo.stagectl("owners", "--check", ".github/CODEOWNERS").returncode == 0


def test_check_and_write_take_another_file(repo: Repo) -> None:
    repo.write("models/fraud.yaml", owned("fraud", '["@acme/risk-team"]'))
    repo.commit()
    assert repo.stagectl("owners", "--write", "CODEOWNERS").returncode == 0
    assert (repo.path / "CODEOWNERS").exists() and not (repo.path / ".github").exists()
    assert repo.stagectl("owners", "--check", "CODEOWNERS").returncode == 0
    both = repo.stagectl("owners", "--check", "--write")
    assert both.returncode == 2 and "not allowed with" in both.stderr
