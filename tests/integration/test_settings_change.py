"""A change to `stagectl.yaml` cannot walk around the judge: models are matched by name across the
base's and the head's `models_dir`, a remap of the registry's aliases is `registry-mapping`, and a
models folder that does not exist says so. Real repositories, the CLI in a subprocess; the pure
alias comparison also as a library function."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers.cli import clean_env
from helpers.gitrepo import Repo
from helpers.marks import quick_first
from helpers.models import key_line, model_yaml
from stagectl.core.aliases import AliasMapping, AliasMove, alias_moves
from stagectl.core.model import ModelFile
from stagectl.core.policy import RegistrySettings
from stagectl.core.rules import settings_rules
from stagectl.core.rules.registry_mapping import describe
from stagectl.load.parse import parse_model

FRAUD = "models/fraud.yaml"
MOVED = "m2/fraud.yaml"
SWAP = "registry:\n  aliases: {production: staging, staging: production}\n"
REMAP_ADVICE = (
    ": a remap belongs in a pull request of its own, merged on purpose by someone allowed to bypass this check"
)


def attack(repo: Repo) -> None:
    """The issue's story: on a branch, fraud moves to m2/ with v2 none → production and a new v3 in production."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production"), (2, "none")))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "attack")
    repo.write(MOVED, model_yaml("fraud", (1, "production"), (2, "production"), (3, "production")))
    repo.write("stagectl.yaml", "models_dir: m2\n")
    repo.commit("move the models folder")


ATTACK_ERRORS = [
    (MOVED, key_line(1), 5, "illegal-transition"),
    (MOVED, key_line(2), 5, "illegal-transition"),
    (MOVED, key_line(2), 5, "production-limit"),
]


def test_moving_the_folder_does_not_hide_a_promotion(repo: Repo) -> None:
    """Each change is judged at the moved file's lines, under the base's policy, the old file left as it was."""
    attack(repo)
    result = repo.stagectl("check", "--base", "main")
    assert result.returncode == 1, result.stdout
    assert result.located() == ATTACK_ERRORS
    assert "none → production skips staging" in result.stdout
    repo.git("rm", "-q", FRAUD)  # deleting the old file as well changes nothing: fraud lives in m2/ now
    repo.commit("drop the old copy")
    assert repo.stagectl("check", "--base", "main").located() == ATTACK_ERRORS


def test_a_move_with_changes_is_judged_as_those_changes(repo: Repo) -> None:
    """Immutable fields and version numbers follow the model, not its path."""
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (3, "production")))
    repo.commit("base")
    repo.git("mv", "models", "m2")
    repo.write("stagectl.yaml", "models_dir: m2\n")
    moved = model_yaml("fraud", (1, "archived"), (2, "none"), (3, "production")).replace("fraud/3", "evil/3")
    repo.write(MOVED, moved)
    result = repo.stagectl("check")
    assert result.located() == [
        (MOVED, key_line(1, "version"), 5, "version-number"),
        (MOVED, key_line(2, "source"), 5, "immutable-field"),
    ], result.stdout


@pytest.mark.parametrize("mode", quick_first("--base", "--head", "--staged", "worktree"))
def test_a_pure_move_passes_in_every_mode(repo: Repo, mode: str) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production")))
    repo.write("models/churn.yml", model_yaml("churn", (1, "staging")))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "move")
    repo.git("mv", "models", "m2")
    repo.write("stagectl.yaml", "models_dir: m2\n")
    repo.git("add", "-A")
    if mode in ("--base", "--head"):
        repo.commit("move the models folder")
    args = {"--base": ["--base", "main"], "--head": ["--head", "HEAD"], "--staged": ["--staged"], "worktree": []}[mode]
    result = repo.stagectl("check", *args, "--format", "json")
    assert result.returncode == 0, result.stdout
    assert result.json()["errors"] == []
    if mode != "worktree":  # git knows both sides' blobs: the same blob is not read again
        assert result.json()["files_checked"] == 0


def test_a_model_left_behind_is_removed(repo: Repo) -> None:
    """Only fraud moves: churn, still live in the old folder, is a deletion; archived-only old is not."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.write("models/old.yaml", model_yaml("old", (1, "archived")))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "move")
    repo.write(MOVED, model_yaml("fraud", (1, "production")))
    repo.git("rm", "-q", FRAUD)
    repo.write("stagectl.yaml", "models_dir: m2\n")
    repo.commit("move fraud only")
    result = repo.stagectl("check", "--base", "main", "--format", "json")
    assert result.returncode == 1
    [error] = result.json()["errors"]
    assert (error["rule"], error["file"], error["line"], error["column"], error["model"]) == (
        "model-removed",
        "models/churn.yaml",
        1,
        1,
        "churn",
    )
    assert error["message"] == (
        "churn is not in the new models folder m2/ while version 1 is staging: "
        "move models/churn.yaml there too, or archive every version first"
    )


def test_a_rollback_in_a_moved_folder_asks_the_history_of_the_old_path(repo: Repo) -> None:
    """v1 was in production at the base (in models/): after a move, archived → production is still a rollback."""
    repo.write(FRAUD, model_yaml("fraud", (1, "production")))
    repo.commit("v1 production")
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "staging")))
    repo.commit("v1 archived")
    repo.git("mv", "models", "m2")
    repo.write("stagectl.yaml", "models_dir: m2\n")
    repo.write(MOVED, model_yaml("fraud", (1, "production"), (2, "staging")))
    assert repo.stagectl("check").returncode == 0
    repo.write(MOVED, model_yaml("fraud", (1, "archived"), (2, "staging"), (3, "production")))
    assert repo.stagectl("check").located() == [(MOVED, key_line(2), 5, "illegal-transition")]


# -- registry-mapping -------------------------------------------------------------------------------


def live_models(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production"), (3, "staging")))
    repo.write("models/churn.yaml", model_yaml("churn", (1, "production")))
    repo.write("models/idle.yaml", model_yaml("idle", (1, "none"), (2, "archived")))
    repo.commit("base")


def test_swapping_the_aliases_is_refused_per_model_and_alias(repo: Repo) -> None:
    live_models(repo)
    repo.git("checkout", "-q", "-b", "swap")
    repo.write("stagectl.yaml", SWAP)
    repo.commit("swap the aliases")
    result = repo.stagectl("check", "--base", "main", "--format", "json")
    assert result.returncode == 1
    assert result.json()["files_checked"] == 3  # every model file was read to see where its aliases go
    found = [(e["file"], e["line"], e["column"], e["rule"], e["model"], e["message"]) for e in result.json()["errors"]]
    assert found == [
        ("stagectl.yaml", 2, 13, "registry-mapping", "churn", "alias 'staging' of churn would be added, on version 1 "
         "(no version has it now)" + REMAP_ADVICE),
        ("stagectl.yaml", 2, 13, "registry-mapping", "fraud", "alias 'staging' of fraud would move from version 3 "
         "to version 2" + REMAP_ADVICE),
        ("stagectl.yaml", 2, 34, "registry-mapping", "churn", "alias 'production' of churn would be dropped from "
         "version 1 (no version would have it)" + REMAP_ADVICE),
        ("stagectl.yaml", 2, 34, "registry-mapping", "fraud", "alias 'production' of fraud would move from version 2 "
         "to version 3" + REMAP_ADVICE),
    ]  # fmt: skip


def test_renaming_an_alias_a_model_has_is_a_drop_and_an_add(repo: Repo) -> None:
    live_models(repo)
    repo.write("stagectl.yaml", "registry:\n  mode: aliases\n  aliases:\n    production: live\n")
    result = repo.stagectl("check")
    assert [line.split(": a remap")[0] for line in result.stdout.splitlines()] == [
        "stagectl.yaml:4:5: registry-mapping: alias 'production' of churn would be dropped from version 1 "
        "(no version would have it)",
        "stagectl.yaml:4:5: registry-mapping: alias 'live' of churn would be added, on version 1 "
        "(no version has it now)",
        "stagectl.yaml:4:5: registry-mapping: alias 'production' of fraud would be dropped from version 2 "
        "(no version would have it)",
        "stagectl.yaml:4:5: registry-mapping: alias 'live' of fraud would be added, on version 2 "
        "(no version has it now)",
    ]


def test_a_mapping_change_that_moves_nothing_passes(repo: Repo) -> None:
    """Renaming the staging alias while no model has a staging version; switching mode (stages are added beside
    the aliases, which stay where they are); the registry's address."""
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "production")))
    repo.write("models/idle.yaml", model_yaml("idle", (1, "none")))
    repo.commit("base")
    for settings in (
        "registry:\n  aliases: {staging: candidate}\n",
        "registry:\n  mode: stages\n",
        "registry:\n  uri: sqlite:///other.db\n  aliases: {production: production}\n",
    ):
        repo.write("stagectl.yaml", settings)
        result = repo.stagectl("check", "--format", "json")
        assert result.returncode == 0, (settings, result.stdout)
    repo.commit("stages too")
    repo.write("stagectl.yaml", "registry:\n  mode: aliases\n")  # and back
    assert repo.stagectl("check").returncode == 0


def test_a_remap_of_a_model_changed_in_the_same_change_is_judged_on_its_head_stages(repo: Repo) -> None:
    """Both mappings are applied to the head's stages: the promotion is judged by its own rules, the remap here."""
    live_models(repo)
    repo.write(FRAUD, model_yaml("fraud", (1, "archived"), (2, "archived"), (3, "production")))
    repo.write("stagectl.yaml", "registry:\n  aliases: {production: prod}\n")
    result = repo.stagectl("check", "--format", "json")
    errors = [(e["model"], e["message"].split(":")[0]) for e in result.json()["errors"]]
    assert errors == [
        ("churn", "alias 'production' of churn would be dropped from version 1 (no version would have it)"),
        ("churn", "alias 'prod' of churn would be added, on version 1 (no version has it now)"),
        ("fraud", "alias 'production' of fraud would be dropped from version 3 (no version would have it)"),
        ("fraud", "alias 'prod' of fraud would be added, on version 3 (no version has it now)"),
    ]


def test_a_model_the_base_did_not_have_has_no_alias_to_move(repo: Repo) -> None:
    """A new model under the new mapping is not a remap, nor is a first commit's own mapping."""
    repo.write(FRAUD, model_yaml("fraud", (1, "staging")))
    repo.write("stagectl.yaml", "registry:\n  aliases: {staging: candidate}\n")
    repo.git("add", "-A")
    assert repo.stagectl("check", "--staged").returncode == 0  # no commits yet: nothing was ever applied
    repo.commit("first")
    repo.write("models/churn.yaml", model_yaml("churn", (1, "staging")))
    repo.write("stagectl.yaml", "registry:\n  aliases: {staging: next}\n")
    result = repo.stagectl("check", "--format", "json")
    assert [(e["model"], e["message"].split(":")[0]) for e in result.json()["errors"]] == [
        ("fraud", "alias 'candidate' of fraud would be dropped from version 1 (no version would have it)"),
        ("fraud", "alias 'next' of fraud would be added, on version 1 (no version has it now)"),
    ]


@pytest.mark.slow  # three branches, two merges, and checks of each way to name the change
def test_a_settings_change_merged_with_git_merge_is_judged(repo: Repo) -> None:
    """Two branches, one swapping the aliases and one moving the folder with a promotion, merged with
    `git merge --no-ff` into a third: the merge is judged like the changes it brings."""
    live_models(repo)
    repo.git("checkout", "-q", "-b", "remap")
    repo.write("stagectl.yaml", SWAP)
    repo.commit("swap the aliases")
    repo.git("checkout", "-q", "main")
    repo.git("checkout", "-q", "-b", "move")
    repo.git("mv", "models", "m2")
    repo.write("m2/churn.yaml", model_yaml("churn", (1, "production"), (2, "production")))
    repo.write("stagectl.yaml", "models_dir: m2\n")
    repo.commit("move, and a new version straight to production")
    repo.git("checkout", "-q", "main")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("models/new.yaml", model_yaml("new", (1, "none")))
    before = repo.commit("an honest change")
    assert repo.stagectl("check", "--base", "main").returncode == 0
    repo.git("merge", "-q", "--no-ff", "-m", "merge the remap", "remap")
    merged = repo.rev()
    expected = [("stagectl.yaml", 2, 13, "registry-mapping")] * 2 + [("stagectl.yaml", 2, 34, "registry-mapping")] * 2
    for args in (["--base", before], ["--head", merged]):
        assert repo.stagectl("check", *args).located() == expected, args
    repo.git("reset", "-q", "--hard", before)
    repo.git("-c", "merge.directoryRenames=true", "merge", "-q", "--no-ff", "-m", "merge the move", "move")
    merged = repo.rev()
    assert repo.rev("HEAD^1") == before
    assert (repo.path / "m2/new.yaml").exists()  # git carried the branch's new model into the moved folder
    for args in (["--base", before], ["--head", merged]):
        result = repo.stagectl("check", *args)
        assert result.located() == [
            ("m2/churn.yaml", key_line(1), 5, "illegal-transition"),
            ("m2/churn.yaml", key_line(1), 5, "production-limit"),
        ], (args, result.stdout)


# -- the models folder must exist ------------------------------------------------------------------


def test_a_models_dir_that_does_not_exist_is_refused(repo: Repo) -> None:
    repo.write(FRAUD, model_yaml("fraud", (1, "archived")))
    repo.commit("base")
    repo.write("stagectl.yaml", "# settings\nmodels_dir: modles\n")
    message = (
        "stagectl.yaml:2:1: policy: models_dir names the folder modles/, which does not exist (nothing is in it): "
        "create it with the model files, or fix the path"
    )
    for args in ([], ["--all"]):
        result = repo.stagectl("check", *args)
        assert result.returncode == 1, args
        assert result.stdout.splitlines() == [message], args
    repo.commit("typo")
    for args in (["--head", "HEAD"], ["--base", "HEAD~1"], ["--all"]):
        assert repo.stagectl("check", *args).stdout.splitlines() == [message], args
    repo.write("modles/fraud.yaml", model_yaml("fraud", (1, "archived")))
    assert repo.stagectl("check", "--all").returncode == 0


def test_a_fresh_repository_without_a_models_folder_passes(repo: Repo) -> None:
    """No models yet: default settings, or the default folder named explicitly (the template's stagectl.yaml)."""
    for settings in (None, "models_dir: models\nregistry:\n  mode: aliases\n"):
        if settings is not None:
            repo.write("stagectl.yaml", settings)
        for args in ([], ["--staged"], ["--all"]):
            if args == ["--staged"]:
                repo.git("add", "-A")
            assert repo.stagectl("check", *args).returncode == 0, (settings, args)
        repo.commit("settings")
        assert repo.stagectl("check", "--head", "HEAD").returncode == 0


# -- the library ------------------------------------------------------------------------------------


def model(*versions: tuple[int, str]) -> ModelFile:
    parsed = parse_model(FRAUD, model_yaml("fraud", *versions).encode())
    assert isinstance(parsed, ModelFile), parsed
    return parsed


def mapping(production: str = "production", staging: str = "staging", mode: str = "aliases") -> AliasMapping:
    return AliasMapping.from_settings(RegistrySettings(mode=mode, production_alias=production, staging_alias=staging))


def test_mapping_targets_are_the_highest_version_in_each_stage() -> None:
    assert mapping().targets([(1, "production"), (2, "staging"), (4, "staging"), (3, "none")]) == {
        "production": 1,
        "staging": 4,
    }
    assert mapping().targets([(1, "archived")]) == {"production": None, "staging": None}


def remapped(file: ModelFile, before: AliasMapping, after: AliasMapping) -> list[AliasMove]:
    """What a change of mapping alone does to the aliases of `file` (its stages unchanged)."""
    stages = [(v.number, v.stage) for v in file.by_number().values()]
    return list(alias_moves(stages, stages, before, after))


def test_alias_moves_compare_two_mappings_on_the_same_stages() -> None:
    fraud = model((1, "archived"), (2, "production"), (3, "staging"))
    assert remapped(fraud, mapping(), mapping()) == []
    assert remapped(fraud, mapping(), mapping(mode="stages")) == []
    assert remapped(fraud, mapping(), mapping("staging", "production")) == [
        AliasMove("production", 2, 3),
        AliasMove("staging", 3, 2),
    ]
    assert remapped(fraud, mapping(), mapping("live")) == [
        AliasMove("production", 2, None),
        AliasMove("live", None, 2),
    ]
    assert remapped(model((1, "none"), (2, "archived")), mapping(), mapping("live", "candidate")) == []
    assert remapped(model((1, "production")), mapping(), mapping(staging="next")) == []
    moves = remapped(fraud, mapping(), mapping("staging", "production"))
    assert [describe("fraud", m) for m in moves] == [
        "alias 'production' of fraud would move from version 2 to version 3",
        "alias 'staging' of fraud would move from version 3 to version 2",
    ]


def test_registry_mapping_is_a_registered_rule() -> None:
    assert [rule.id for rule in settings_rules()] == ["registry-mapping"]


def test_check_never_imports_mlflow(repo: Repo) -> None:
    """registry-mapping shares the registry's alias logic without pulling MLflow into every check."""
    live_models(repo)
    repo.write("stagectl.yaml", SWAP)
    code = (
        "import sys\nsys.modules['mlflow'] = None\nfrom stagectl.cli import main\n"
        "code = main(['check', '-q'])\nassert not any(m.startswith('mlflow') and sys.modules[m] for m in sys.modules)\n"
        "raise SystemExit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo.path, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "registry-mapping" in done.stdout
