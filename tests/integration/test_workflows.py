"""The workflows as an auditor reads them: every action pinned to a commit, the registry's credentials
only for the default branch, least permissions, zizmor clean; and the models-repository examples in
docs/ pinned to a commit of this repository whose action takes the inputs they pass."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.cli import ROOT
from helpers.gitrepo import Repo, init_repo
from helpers.models import model_yaml

BIN = Path(sys.executable).parent  # where pip put zizmor and actionlint
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXAMPLES = sorted((ROOT / "docs" / "examples" / "models-repo" / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
AUDITED = [*WORKFLOWS, ACTION, *EXAMPLES]
DEFAULT_BRANCH_ONLY = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"

USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<target>\S+)(?:\s+#\s*(?P<comment>.*\S))?\s*$")
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+\b")


def load(path: Path) -> dict[Any, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), path
    return loaded


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def uses_of(document: dict[Any, Any]) -> list[str]:
    """Every `uses:`: of steps, and of jobs that call a reusable workflow."""
    jobs = document.get("jobs", {}).values()
    return [s["uses"] for s in steps(document) if "uses" in s] + [j["uses"] for j in jobs if "uses" in j]


def uses_lines(path: Path) -> list[tuple[str, str | None]]:
    """(target, comment) of each `uses:` line as written: the version comment lives only in the raw text."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = USES_LINE.match(line)
        if match:
            found.append((match["target"], match["comment"]))
    return found


@pytest.mark.parametrize("path", AUDITED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment(path: Path) -> None:
    lines = uses_lines(path)
    # Each parsed `uses:` is on a line of its own (no flow-style step hiding one from this check).
    assert sorted(target for target, _ in lines) == sorted(uses_of(load(path))), path.name
    for target, comment in lines:
        if target.startswith("./"):
            continue  # this repository's own action, from the checkout the job made
        assert PINNED.match(target), f"{path.name}: {target} is not pinned to a full commit SHA"
        assert comment and VERSION_COMMENT.match(comment), f"{path.name}: {target} has no '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", [ROOT / ".github/workflows/apply.yml", *EXAMPLES[:1]], ids=["apply", "example"])
def test_the_apply_job_runs_for_the_default_branch_only(path: Path) -> None:
    """workflow_dispatch runs from any ref: the job itself must refuse every ref but the default branch."""
    apply = load(path)
    assert apply[True]["push"]["branches"] == ["main"]  # `on:` is YAML 1.1's True
    [job] = [job for job in apply["jobs"].values() if job.get("environment") == "model-registry"]
    assert job["if"] == DEFAULT_BRANCH_ONLY
    assert apply["concurrency"] == {"group": "stagectl-apply", "cancel-in-progress": False}
    # Both kinds of credentials are wired: a token, or a username and password.
    assert set(job["env"]) == {
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    }
    assert all(value == f"${{{{ secrets.{name} }}}}" for name, value in job["env"].items())


@pytest.mark.parametrize("path", [*WORKFLOWS, *EXAMPLES], ids=lambda p: str(p.relative_to(ROOT)))
def test_least_permissions_no_persisted_credentials_no_secrets_outside_apply(path: Path) -> None:
    document = load(path)
    assert document["permissions"] == {"contents": "read"}, path.name
    for name, job in document["jobs"].items():
        if (path.name, name) == POSTER:
            assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
            continue  # the one job that writes: audited by test_the_plan_comment_is_posted_without_running_the_pr
        assert "write" not in str(job.get("permissions", "")), f"{path.name}: job {name}"
        if "secrets." in str(job):
            assert job.get("environment") == "model-registry", f"{path.name}: job {name} reads secrets"
    for step in steps(document):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, path.name
        assert "${{" not in step.get("run", ""), f"{path.name}: an expression pasted into a script"


POSTER = ("plan-comment-post.yml", "post")


def test_the_plan_comment_is_posted_without_running_the_pr() -> None:
    """The rendering job reads the pull request with read-only permissions and uploads text; the posting
    job (workflow_run, the only write permission of all the workflows) runs nothing of the pull request:
    no checkout, no install, one action (download-artifact), and a script that reads the artifact as data."""
    render = load(ROOT / ".github/workflows/plan-comment.yml")
    assert set(render[True]) == {"pull_request"}
    [job] = render["jobs"].values()
    assert "permissions" not in job and "secrets." not in str(render)
    assert "stagectl check --format markdown" in str(job)
    assert any(str(s.get("uses", "")).startswith("actions/upload-artifact@") for s in job["steps"])
    post = load(ROOT / ".github/workflows/plan-comment-post.yml")
    assert post[True] == {"workflow_run": {"workflows": [render["name"]], "types": ["completed"]}}
    job = post["jobs"][POSTER[1]]
    assert "github.event.workflow_run.conclusion == 'success'" in job["if"]
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert len(uses) == 1 and uses[0].startswith("actions/download-artifact@"), uses
    script = "\n".join(s.get("run", "") for s in job["steps"])
    for forbidden in ("git ", "pip ", "python", "stagectl ", "source ", "eval", "bash "):
        assert forbidden not in script, forbidden
    assert "^[1-9][0-9]{0,9}$" in script and '"$RUN_HEAD_SHA"' in script  # the number is checked, not trusted
    for path in WORKFLOWS:
        if path.name != POSTER[0]:
            assert "workflow_run" not in load(path)[True] and "pull_request_target" not in load(path)[True]


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("zizmor", path=str(BIN))
    if not found:
        pytest.skip("zizmor not installed (pip install -e '.[dev]')")
    command = [found, "--offline", "--no-progress", "-q", "--format", "json", *map(str, paths)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)


def test_the_examples_pass_actionlint() -> None:
    """.github/workflows is linted by the other workflow test; the examples are named explicitly."""
    actionlint = shutil.which("actionlint", path=str(BIN))
    if not actionlint:
        pytest.skip("actionlint not installed (pip install -e '.[dev]')")
    linted = subprocess.run(
        [actionlint, "-oneline", *map(str, EXAMPLES)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def findings(audited: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return [(f["ident"], f["determinations"]["severity"]) for f in json.loads(audited.stdout)]


def test_zizmor_finds_nothing_in_the_workflows_the_action_and_the_examples() -> None:
    """As .ci/run audits them: no finding at any severity (the few ignores are commented in place)."""
    audited = zizmor(*AUDITED)
    assert (audited.returncode, findings(audited)) == (0, []), audited.stderr


def test_zizmor_would_catch_an_unpinned_action(tmp_path: Path) -> None:
    """The audit above is only worth something if zizmor, run this way, reports what it should."""
    workflow = tmp_path / "unpinned.yml"
    pinned = (ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    workflow.write_text(re.sub(r"actions/checkout@\S+ # \S+", "actions/checkout@v5", pinned), encoding="utf-8")
    audited = zizmor(workflow)
    assert audited.returncode != 0
    assert findings(audited) == [("unpinned-uses", "High")]


# -- the models-repository examples ----------------------------------------------------------------------

OUR_ACTION = re.compile(r"^OWNER/stagectl@(?P<sha>[0-9a-f]{40})$")


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_examples_use_this_repositorys_action_by_commit() -> None:
    """Each use of stagectl's action in the examples names a commit of this repository, and the
    action at that commit declares every input the example passes, with the version in the comment."""
    assert [p.name for p in EXAMPLES] == ["apply.yml", "validate.yml"]
    ours = [
        step
        for path in EXAMPLES
        for step in steps(load(path))
        if "stagectl" in str(step.get("uses", "")) and not str(step["uses"]).startswith("actions/")
    ]
    assert len(ours) == 4  # check, plan (pull request); plan, apply (after merge)
    pins = [OUR_ACTION.match(step["uses"]) for step in ours]
    assert all(pins), [step["uses"] for step in ours]
    [sha] = {pin["sha"] for pin in pins if pin}  # one commit throughout
    if git("cat-file", "-e", f"{sha}^{{commit}}").returncode != 0:
        if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
            pytest.skip(f"a shallow clone cannot tell whether {sha} is a commit of this repository")
        pytest.fail(f"the examples pin {sha}, which is not a commit of this repository: pin a commit of main")
    action = yaml.safe_load(git("show", f"{sha}:action.yml").stdout)
    for step in ours:
        assert set(step["with"]) <= set(action["inputs"]), step
    version = re.search(r'^version = "(.+)"$', git("show", f"{sha}:pyproject.toml").stdout, re.MULTILINE)
    assert version
    for path in EXAMPLES:
        for target, comment in uses_lines(path):
            if OUR_ACTION.match(target):
                assert comment == f"v{version[1]}", f"{path.name}: {target} # {comment}"


def test_the_guide_shows_the_examples_as_they_are_and_documents_every_input() -> None:
    """docs/models-repo.md shows both workflows in full: the tested files, not a drifting copy."""
    guide = (ROOT / "docs" / "models-repo.md").read_text(encoding="utf-8")
    for path in EXAMPLES:
        assert f"```yaml\n{path.read_text(encoding='utf-8')}```" in guide, f"the guide's copy of {path.name} differs"
    for name in load(ACTION)["inputs"]:
        assert f"| `{name}` |" in guide, f"action.yml's input {name!r} is not in the guide's table"
    check_job = load(EXAMPLES[1])["jobs"]["check"]["name"]
    assert f"**`{check_job}`**" in guide  # the required check's name, as the guide tells users to require it
    assert "(docs/models-repo.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# -- the credentials apply.yml wires ------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """A registry that refuses everything and notes the Authorization header each request carried."""

    seen: list[str | None]

    def answer(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        body = b'{"error_code": "PERMISSION_DENIED", "message": "recorded"}'
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_unset_credentials_arrive_empty_and_send_nothing(
    tmp_path: Path, recorder: tuple[str, list[str | None]]
) -> None:
    """apply.yml passes the token and the username/password; GitHub gives an unset secret as an empty
    string. Empty ones must send no credentials at all, and the ones set must be the ones sent."""

    url, seen = recorder
    repo: Repo = init_repo(tmp_path / "models")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none")))
    repo.commit()
    empty = {"MLFLOW_TRACKING_TOKEN": "", "MLFLOW_TRACKING_USERNAME": "", "MLFLOW_TRACKING_PASSWORD": ""}
    cases = [
        (empty, None),
        ({**empty, "MLFLOW_TRACKING_TOKEN": "t0ken"}, "Bearer t0ken"),
        (
            {**empty, "MLFLOW_TRACKING_USERNAME": "ci", "MLFLOW_TRACKING_PASSWORD": "pw"},
            "Basic " + base64.b64encode(b"ci:pw").decode(),
        ),
    ]
    for env, expected in cases:
        seen.clear()
        planned = repo.stagectl("plan", "--registry", url, env={**env, "HOME": str(tmp_path)}, in_process=True)
        assert planned.returncode in (1, 2) and "recorded" in planned.stderr, planned.stderr
        assert seen and set(seen) == {expected}, (env, seen)


def test_the_reviews_guide_shows_the_comment_workflows_as_they_are() -> None:
    guide = (ROOT / "docs" / "reviews.md").read_text(encoding="utf-8")
    for name in ("plan-comment.yml", "plan-comment-post.yml"):
        text = (ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert f"### `.github/workflows/{name}`\n\n```yaml\n{text}```" in guide, f"the guide's copy of {name} differs"
    assert "(docs/reviews.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
