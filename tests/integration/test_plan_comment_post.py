"""The posting job's script, run as the runner runs it, with `gh` replaced by a stand-in that answers
like GitHub's API (and filters with the real jq, as `gh api --jq` does): one comment, updated in place;
the artifact read as data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.cli import ROOT

MARKER = "<!-- stagectl-plan -->"
HEAD = "a" * 40

FAKE_GH = r'''#!PYTHON
"""gh api, as far as the posting script uses it."""
import json, os, subprocess, sys
state = os.environ["FAKE_GH_DIR"]
args = sys.argv[1:]
assert args[0] == "api", args
args = args[1:]
method, jq, body, paginate = "GET", None, None, False
rest = []
while args:
    a = args.pop(0)
    if a == "--method": method = args.pop(0)
    elif a == "--jq": jq = args.pop(0)
    elif a == "--input": body = json.load(open(args.pop(0)))
    elif a == "--paginate": paginate = True
    else: rest.append(a)
[path] = rest
with open(os.path.join(state, "calls.jsonl"), "a") as log:
    log.write(json.dumps({"method": method, "path": path, "body": body}) + "\n")
routes = json.load(open(os.path.join(state, "routes.json")))
answer = routes.get(f"{method} {path}", {})
text = json.dumps(answer)
if jq:
    done = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True, check=True)
    text = done.stdout
sys.stdout.write(text)
'''


def post_script() -> str:
    workflow = yaml.safe_load((ROOT / ".github/workflows/plan-comment-post.yml").read_text(encoding="utf-8"))
    [step] = [s for s in workflow["jobs"]["post"]["steps"] if "run" in s]
    return str(step["run"])


@pytest.fixture
def runner(tmp_path: Path) -> Any:
    if not shutil.which("jq"):
        pytest.skip("jq is not installed (the hosted runners have it)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.replace("PYTHON", sys.executable), encoding="utf-8")
    gh.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    temp = tmp_path / "runner-temp"
    (temp / "plan").mkdir(parents=True)

    def run(number: str, plan: str, routes: dict[str, Any], head: str = HEAD) -> tuple[int, list[dict[str, Any]], str]:
        (temp / "plan" / "pr-number").write_text(number, encoding="utf-8")
        (temp / "plan" / "plan.md").write_text(plan, encoding="utf-8")
        (state / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
        calls = state / "calls.jsonl"
        calls.write_text("", encoding="utf-8")
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_GH_DIR": str(state),
            "RUNNER_TEMP": str(temp),
            "GH_TOKEN": "ghs_posting_token",
            "REPOSITORY": "acme/models",
            "RUN_HEAD_SHA": head,
            "RUN_URL": "https://github.com/acme/models/actions/runs/99",
        }
        done = subprocess.run(
            ["bash", "-c", post_script()], env=env, capture_output=True, text=True, check=False, timeout=60
        )
        logged = [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]
        return done.returncode, logged, done.stdout + done.stderr

    return run


def comment(comment_id: int, login: str, body: str) -> dict[str, Any]:
    return {"id": comment_id, "user": {"login": login, "type": "Bot"}, "body": body}


def test_the_first_run_posts_and_the_next_updates_the_same_comment(runner: Any) -> None:
    pull = {"GET repos/acme/models/pulls/7": {"number": 7, "head": {"sha": HEAD}}}
    status, calls, output = runner("7\n", "### plan one\n", {**pull, "GET repos/acme/models/issues/7/comments": []})
    assert status == 0, output
    assert [(c["method"], c["path"]) for c in calls][-1] == ("POST", "repos/acme/models/issues/7/comments")
    body = calls[-1]["body"]["body"]
    assert body.startswith(MARKER + "\n### plan one\n") and "actions/runs/99" in body

    comments = [
        comment(11, "mallory", MARKER + " planted by someone else"),
        comment(12, "github-actions[bot]", MARKER + "\n### plan one\n"),
    ]
    status, calls, output = runner("7", "### plan two\n", {**pull, "GET repos/acme/models/issues/7/comments": comments})
    assert status == 0, output
    assert [(c["method"], c["path"]) for c in calls][-1] == ("PATCH", "repos/acme/models/issues/comments/12")
    assert calls[-1]["body"]["body"].startswith(MARKER + "\n### plan two\n")


def test_the_artifact_is_data_a_bad_number_or_another_head_posts_nothing(runner: Any, tmp_path: Path) -> None:
    pull = {"GET repos/acme/models/pulls/7": {"number": 7, "head": {"sha": HEAD}}}
    for number in ("7; touch pwned", "$(touch pwned)", "0", "-1", "", "12345678901"):
        status, calls, _ = runner(number, "x", pull)
        assert status == 1 and calls == [], number
    assert not list(tmp_path.rglob("pwned"))
    status, calls, output = runner("7", "x", pull, head="b" * 40)  # the pull request moved on since
    assert status == 0 and [c["method"] for c in calls] == ["GET"] and "another commit" in output


def test_an_oversized_plan_is_not_posted_the_run_is_linked_instead(runner: Any) -> None:
    routes = {"GET repos/acme/models/pulls/7": {"head": {"sha": HEAD}}, "GET repos/acme/models/issues/7/comments": []}
    status, calls, _ = runner("7", "x" * 70_000, routes)
    assert status == 0
    body = calls[-1]["body"]["body"]
    assert len(body) < 1_000 and "too long for a comment" in body
