"""The composite action's scripts, run as the runner runs them (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_EVENT_PATH, RUNNER_TEMP), and the workflows' shape: actionlint-clean, secrets only in apply.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.cli import ROOT, clean_env
from helpers.gitrepo import Repo
from helpers.models import model_yaml
from helpers.registry import state

BIN = Path(sys.executable).parent  # where pip put stagectl, actionlint and shellcheck


def outputs(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT as the runner does: `name=value` and `name<<DELIMITER` blocks."""
    found: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        name, sep, rest = lines[i].partition("<<")
        if sep:
            end = lines.index(rest, i + 1)
            found[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            key, _, value = lines[i].partition("=")
            found[key] = value
            i += 1
    return found


class Runner:
    """A simulated GitHub Actions runner around one checkout."""

    def __init__(self, repo: Repo, tmp: Path, event: str = "push", payload: dict[str, Any] | None = None) -> None:
        self.repo = repo
        self.temp = tmp / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.output = tmp / "github-output"
        self.summary = tmp / "step-summary"
        event_path = tmp / "event.json"
        event_path.write_text(json.dumps(payload or {}))
        self.env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_ACTION_PATH": str(ROOT),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }

    def run(self, script: str, **inputs: str) -> subprocess.CompletedProcess[str]:
        self.output.write_text("")
        self.summary.write_text("")
        env = clean_env({**self.env, **{f"STAGECTL_{k.upper()}": v for k, v in inputs.items()}})
        env.pop("MLFLOW_TRACKING_URI", None)
        return subprocess.run(
            ["bash", str(ROOT / "action" / script)],
            cwd=self.repo.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.mark.slow
def test_apply_then_plan_through_the_action_script(repo: Repo, tmp_path: Path) -> None:
    repo.write(
        "models/fraud.yaml", model_yaml("fraud", (1, "production"), (2, "staging"), source="s3://b", run_ids=True)
    )
    repo.commit()
    runner = Runner(repo, tmp_path)
    registry = f"sqlite:///{tmp_path}/registry.db"

    applied = runner.run("run.sh", command="apply", registry=registry)
    assert applied.returncode == 0, applied.stderr
    found = outputs(runner.output)
    assert found["exit-code"] == "0"
    plan = json.loads(found["plan"])
    assert [a["action"] for a in plan["actions"]] == ["create-model", "create-version", "create-version"] + [
        "set-alias"
    ] * 2 + ["set-tag"]  # stagectl.applied, written last
    summary = runner.summary.read_text()
    assert summary.startswith("### stagectl apply: writes made\n")
    assert "| fraud | 1 | create-version | source s3://b/fraud/1, run_id run-1, stage production |" in summary
    assert state(registry, "fraud")["aliases"] == {"production": 1, "staging": 2}

    planned = runner.run("run.sh", command="plan", registry=registry)
    assert planned.returncode == 0
    assert json.loads(outputs(runner.output)["plan"])["actions"] == []
    assert "`plan: nothing to do (1 model up to date)`" in runner.summary.read_text()


@pytest.mark.slow
def test_a_pull_request_plan_is_computed_offline_against_the_base(repo: Repo, tmp_path: Path) -> None:
    repo.write(
        "models/fraud.yaml", model_yaml("fraud", (1, "production"), (2, "staging"), source="s3://b", run_ids=True)
    )
    base = repo.commit("base")
    repo.write(
        "models/fraud.yaml", model_yaml("fraud", (1, "archived"), (2, "production"), source="s3://b", run_ids=True)
    )
    head = repo.commit("promote 2")
    runner = Runner(repo, tmp_path, "pull_request", {"pull_request": {"base": {"sha": base}}})

    result = runner.run("run.sh", command="plan", base=base)
    assert result.returncode == 0, result.stderr
    actions = json.loads(outputs(runner.output)["plan"])["actions"]
    assert [(a["action"], a["version"], a["detail"]) for a in actions] == [
        ("set-tag", 1, "stagectl.stage=archived (was production)"),
        ("set-tag", 1, f"stagectl.commit={head[:12]} (was {base[:12]})"),
        ("delete-alias", None, "staging (was on version 2)"),
        ("set-alias", 2, "production → 2 (was 1)"),
        ("set-tag", 2, "stagectl.stage=production (was staging)"),
        ("set-tag", 2, f"stagectl.commit={head[:12]} (was {base[:12]})"),
        ("set-tag", None, f"stagectl.applied={head[:12]} (was {base[:12]})"),  # the record, written last
    ]
    assert f"Planned against the model files at the base `{base[:12]}`" in runner.summary.read_text()
    assert not (repo.path / "mlflow.db").exists()
    assert repo.git("worktree", "list").count("\n") == 1  # the scratch worktree is gone again


def test_check_through_the_action_script_annotates_and_fails(repo: Repo, tmp_path: Path) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none"), source="s3://b", run_ids=True))
    base = repo.commit("base")
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "production"), source="s3://b", run_ids=True))
    repo.commit("skip staging")
    runner = Runner(repo, tmp_path, "pull_request", {"pull_request": {"base": {"sha": base}}})
    result = runner.run("run.sh", command="check")
    assert result.returncode == 1
    assert "::error file=models/fraud.yaml,line=4,col=5,title=illegal-transition::" in result.stdout
    assert outputs(runner.output) == {"exit-code": "1", "plan": ""}


@pytest.mark.slow
def test_inputs_never_become_shell_code(repo: Repo, tmp_path: Path) -> None:
    repo.write("models/fraud.yaml", model_yaml("fraud", (1, "none"), source="s3://b", run_ids=True))
    repo.commit()
    runner = Runner(repo, tmp_path)
    hostile = "$(touch pwned1) `touch pwned2`; touch pwned3 *"
    result = runner.run("run.sh", command="plan", models=hostile, registry=f"sqlite:///{tmp_path}/r.db")
    assert result.returncode == 2 and "'$(touch' is not a valid model name" in result.stderr
    checked = runner.run("run.sh", command="check", base=hostile)
    assert checked.returncode == 2
    assert list(repo.path.glob("pwned*")) == [] and list(Path.cwd().glob("pwned*")) == []
    wrong = runner.run("run.sh", command="rm -rf /")
    assert wrong.returncode == 2
    assert "::error title=stagectl::input 'command' must be check, plan, apply or diff" in wrong.stdout


@pytest.mark.slow
def test_the_install_script_makes_a_private_venv_and_puts_it_on_path(repo: Repo, tmp_path: Path) -> None:
    runner = Runner(repo, tmp_path)
    runner.env["GITHUB_PATH"] = str(tmp_path / "github-path")
    runner.env["PIP_NO_DEPS"] = "1"  # the dependencies are not what is tested here, nor worth the download
    result = runner.run("install.sh", command="check", python=sys.executable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("stagectl 0.1.0")
    assert (tmp_path / "github-path").read_text() == f"{runner.temp}/stagectl-venv/bin\n"


# -- the workflow files ---------------------------------------------------------------------------------


def _workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_workflows_and_the_action_pass_actionlint_and_shellcheck() -> None:
    actionlint, shellcheck = shutil.which("actionlint", path=str(BIN)), shutil.which("shellcheck", path=str(BIN))
    if not (actionlint and shellcheck):
        pytest.skip("actionlint / shellcheck not installed (pip install -e '.[dev]')")
    # The action is linted through the workflows that use it (`uses: ./`): its inputs are checked there.
    linted = subprocess.run([actionlint, "-oneline"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    scripts = sorted(str(p) for p in (ROOT / "action").glob("*.sh"))
    checked = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout


def test_apply_workflow_serialises_applies_and_alone_holds_the_credentials() -> None:
    apply = _workflow("apply.yml")
    assert apply[True]["push"]["branches"] == ["main"]  # `on:` is YAML 1.1's True
    assert apply["concurrency"] == {"group": "stagectl-apply", "cancel-in-progress": False}
    assert apply["permissions"] == {"contents": "read"}
    steps = apply["jobs"]["apply"]["steps"]
    assert [s.get("with", {}).get("command") for s in steps if s.get("uses") == "./"] == ["plan", "apply"]
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        if path.name != "apply.yml":
            assert "secrets." not in path.read_text(), path.name


def test_no_expression_is_expanded_inside_a_script() -> None:
    """`${{ }}` in a run: block is pasted into the shell before it runs: data goes through env: only."""
    sources = [ROOT / "action.yml", *(ROOT / ".github" / "workflows").glob("*.yml")]
    for path in sources:
        text = yaml.safe_load(path.read_text())
        runs = [step["run"] for step in _steps(text) if "run" in step]
        for script in runs:
            assert not re.search(r"\$\{\{", script), f"{path.name}: {script}"


def _steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]
