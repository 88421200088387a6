"""The pre-commit hook, through pre-commit itself: a real `pre-commit install` and real `git commit`s.

pre-commit installs hooks from a git revision, so the project's current working tree (committed
or not) is snapshotted into a temporary clone. The configuration is the README's snippet, as a user
copies it: its URL pointed at that clone, and its `rev:` moved to the clone's commit SHA by
`pre-commit autoupdate --freeze`, as the README says. The hook's environment is built once per
session in a temporary PRE_COMMIT_HOME.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from helpers.cli import ROOT, clean_env
from helpers.gitrepo import Repo, init_repo
from helpers.models import key_line, model_yaml

FRAUD = "models/fraud.yaml"
CHURN = "models/churn.yaml"
PUBLIC_URL = "https://github.com/OWNER/stagectl"
SNIPPET = re.compile(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", re.DOTALL)


def readme_config() -> str:
    """The README's .pre-commit-config.yaml, as a user copies it."""
    found = SNIPPET.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md has no ```yaml block starting '# .pre-commit-config.yaml'"
    return found[1]


def pinned_rev(config: str) -> str:
    [repo] = yaml.safe_load(config)["repos"]
    return str(repo["rev"])


@dataclass(frozen=True)
class HookSource:
    repo: Path  # a clone of the project with its working tree committed
    rev: str  # its commit SHA
    home: Path  # PRE_COMMIT_HOME, shared by the session
    configured: str  # the README's snippet, pointed at the clone and pinned to `rev`

    @property
    def env(self) -> dict[str, str]:
        return {"PRE_COMMIT_HOME": str(self.home), "PRE_COMMIT_COLOR": "never"}

    def config(self) -> str:
        return self.configured


def snapshot_project(dest: Path) -> str:
    """Clone the project and commit its working tree there (tracked and untracked, not ignored)."""
    Repo(dest.parent).git("clone", "-q", "--no-hardlinks", str(ROOT), str(dest))
    snapshot = Repo(dest)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        relpath = raw.decode("utf-8", "surrogateescape")
        source, target = ROOT / relpath, dest / relpath
        if target.is_symlink() or target.exists():
            target.unlink()
        if source.is_symlink() or source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    return snapshot.commit("snapshot of the working tree under test")


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookSource]:
    base = tmp_path_factory.mktemp("pre-commit")
    rev = snapshot_project(base / "project")
    env = HookSource(base / "project", rev, base / "home", "").env
    warm = init_repo(base / "warm-up")
    snippet = readme_config()
    assert PUBLIC_URL in snippet
    warm.write(".pre-commit-config.yaml", snippet.replace(PUBLIC_URL, (base / "project").as_uri()))
    warm.commit("config as the README shows it")
    updated = run_pre_commit(warm, "autoupdate", "--freeze", env=env)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    configured = (warm.path / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert pinned_rev(configured) == rev  # no tag on the clone's HEAD: its commit SHA
    warm.commit("pre-commit autoupdate --freeze")
    built = run_pre_commit(warm, "install-hooks", env=env, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    yield HookSource(base / "project", rev, base / "home", configured)


def run_pre_commit(
    repo: Repo, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo.path,
        env=clean_env(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.fixture
def hooked(repo: Repo, hook_source: HookSource) -> Repo:
    """A repository with two models committed and the stagectl hook installed by `pre-commit install`."""
    repo.write(".pre-commit-config.yaml", hook_source.config())
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.write(CHURN, model_yaml("churn", (1, "staging")))
    repo.commit("base")
    installed = run_pre_commit(repo, "install", env=hook_source.env)
    assert installed.returncode == 0, installed.stderr
    assert (repo.path / ".git/hooks/pre-commit").is_file()
    return repo


def test_manifest_declares_the_hook() -> None:
    """The hook needs the whole index, so it takes no filenames; it runs on every commit (no `files:`
    filter), so a custom `models_dir` in stagectl.yaml is honoured without a pattern to keep in sync."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "stagectl"]
    assert hook == {
        "id": "stagectl",
        "name": "stagectl check (model stage transitions)",
        "description": "Refuse commits that move a model version through a stage the policy forbids.",
        "entry": "stagectl check --staged",
        "language": "python",
        "pass_filenames": False,
        "always_run": True,
        "require_serial": True,
        "stages": ["pre-commit", "pre-merge-commit", "manual"],
        "minimum_pre_commit_version": "3.2.0",
    }


def test_the_readme_pins_a_commit_that_has_the_hook() -> None:
    """A `rev:` must exist upstream (the README once showed a tag that did not): a full commit SHA of
    this repository, whose manifest declares the hook."""
    rev = pinned_rev(readme_config())
    assert re.fullmatch(r"[0-9a-f]{40}", rev), f"README's rev {rev!r} is not a full commit SHA"
    shown = subprocess.run(
        ["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        shallow = subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if shallow.stdout.strip() == "true":
            pytest.skip(f"a shallow clone cannot tell whether {rev} is a commit of this repository")
    assert shown.returncode == 0, f"README's rev {rev} is not a commit of this repository: {shown.stderr}"
    assert "stagectl" in [hook["id"] for hook in yaml.safe_load(shown.stdout)]


@pytest.mark.slow
def test_illegal_transition_is_blocked_and_a_legal_one_allowed(hooked: Repo, hook_source: HookSource) -> None:
    before = hooked.rev()
    hooked.write(FRAUD, model_yaml("fraud", (1, "production")))
    hooked.git("add", FRAUD)
    blocked = hooked.try_git("commit", "-m", "skip staging", env=hook_source.env)
    assert blocked.returncode != 0
    assert hooked.rev() == before
    output = blocked.stdout + blocked.stderr
    assert f"{FRAUD}:{key_line(0)}:5: illegal-transition:" in output
    hooked.write(FRAUD, model_yaml("fraud", (1, "staging")))
    hooked.git("add", FRAUD)
    allowed = hooked.try_git("commit", "-m", "stage v1", env=hook_source.env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert hooked.git("rev-parse", "HEAD~1").strip() == before
    assert hooked.git("show", f"HEAD:{FRAUD}") == model_yaml("fraud", (1, "staging"))


@pytest.mark.slow
def test_commit_all_is_judged(hooked: Repo, hook_source: HookSource) -> None:
    """`git commit -a` stages tracked changes for the commit: the hook must see them."""
    before = hooked.rev()
    hooked.write(CHURN, model_yaml("churn", (1, "staging"), (2, "production")))
    blocked = hooked.try_git("commit", "-a", "-m", "new version straight to production", env=hook_source.env)
    assert blocked.returncode != 0
    assert hooked.rev() == before
    assert f"{CHURN}:{key_line(1)}:5: illegal-transition:" in blocked.stdout + blocked.stderr
    hooked.write(CHURN, model_yaml("churn", (1, "production"), (2, "none")))
    allowed = hooked.try_git("commit", "-a", "-m", "promote churn v1", env=hook_source.env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert hooked.git("rev-parse", "HEAD~1").strip() == before


@pytest.mark.slow
def test_partial_commit_judges_what_is_committed(hooked: Repo, hook_source: HookSource) -> None:
    """`git commit <path>` commits from a temporary index (GIT_INDEX_FILE): other staged files are
    not part of it, and the named path's working-tree content is."""
    before = hooked.rev()
    hooked.write(CHURN, model_yaml("churn", (1, "none"), (2, "production")))
    hooked.git("add", CHURN)  # staged, illegal, but not part of the partial commit
    hooked.write(FRAUD, model_yaml("fraud", (1, "staging")))  # not staged, legal
    allowed = hooked.try_git("commit", "-m", "only fraud", "--", FRAUD, env=hook_source.env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert hooked.git("rev-parse", "HEAD~1").strip() == before
    assert hooked.git("diff", "--name-only", "HEAD~1", "HEAD").split() == [FRAUD]
    assert hooked.git("diff", "--cached", "--name-only").split() == [CHURN]  # still staged
    # And the other way round: the named path is illegal, the staged rest is legal.
    middle = hooked.rev()
    hooked.git("reset", "-q", "--hard")
    hooked.write(CHURN, model_yaml("churn", (1, "production")))
    hooked.git("add", CHURN)
    hooked.write(FRAUD, model_yaml("fraud", (1, "staging"), (2, "production")))  # a new v2 in production
    blocked = hooked.try_git("commit", "-m", "only fraud again", "--", FRAUD, env=hook_source.env)
    assert blocked.returncode != 0
    assert hooked.rev() == middle
    output = blocked.stdout + blocked.stderr
    assert f"{FRAUD}:{key_line(1)}:5: illegal-transition:" in output
    assert CHURN not in output
