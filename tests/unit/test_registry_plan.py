"""The pure core of plan / apply / import: desired vs actual -> ordered writes; registry -> YAML.

No MLflow here: these feed the planner the plain dataclasses the client would read.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from stagectl.core.aliases import TAG_COMMIT, TAG_NEXT_VERSION, TAG_STAGE, AliasMapping
from stagectl.core.model import ModelFile
from stagectl.core.policy import RegistrySettings
from stagectl.load.parse import parse_model
from stagectl.registry import location
from stagectl.registry.desired import DesiredModel, DesiredVersion
from stagectl.registry.onboard import import_model, infer_stages, scalar
from stagectl.registry.reconcile import plan_model
from stagectl.registry.state import ActualModel, ActualVersion
from stagectl.registry.writes import (
    Action,
    CreateModel,
    CreateVersion,
    DeleteAlias,
    SetAlias,
    SetStage,
    SetTag,
    UpdateDescription,
    assert_never,
    reverts,
)

ALIASES = AliasMapping()
STAGES = AliasMapping(stages=True)


def desired(*stages: str, name: str = "fraud", commit: str = "c0ffee") -> DesiredModel:
    versions = tuple(
        DesiredVersion(n, stage, f"s3://b/{name}/{n}", f"run-{n}", commit=commit) for n, stage in enumerate(stages, 1)
    )
    return DesiredModel(name, f"models/{name}.yaml", versions=versions)


def actual(
    *stages: str,
    name: str = "fraud",
    aliases: dict[str, int] | None = None,
    mlflow_stages: dict[int, str] | None = None,
    commit: str = "c0ffee",
    tags: dict[str, str] | None = None,
) -> ActualModel:
    """A registry model as stagectl would have left it for `stages` (aliases derived unless given)."""
    versions = {
        n: ActualVersion(
            n,
            f"s3://b/{name}/{n}",
            f"run-{n}",
            tags=MappingProxyType({TAG_STAGE: stage, TAG_COMMIT: commit}),
            mlflow_stage=(mlflow_stages or {}).get(n, "None"),
        )
        for n, stage in enumerate(stages, 1)
    }
    if aliases is None:
        aliases = {}
        for alias, stage in ALIASES.aliases.items():
            target = max((n for n, s in enumerate(stages, 1) if s == stage), default=None)
            if target is not None:
                aliases[alias] = target
    return ActualModel(
        name, tags=MappingProxyType(tags or {}), aliases=MappingProxyType(aliases), versions=MappingProxyType(versions)
    )


def target(action: Action) -> str:
    """What a write is about: the alias, the tag's key, the stage, or the description."""
    match action:
        case SetAlias() | DeleteAlias():
            return action.alias
        case SetTag():
            return action.key
        case SetStage():
            return action.stage
        case UpdateDescription():
            return action.description
        case CreateModel() | CreateVersion():
            return ""
        case _:
            assert_never(action)


def kinds(plan_actions: Sequence[Action]) -> list[tuple[str, int | None, str]]:
    return [(a.kind, a.version, target(a)) for a in plan_actions]


def test_a_new_model_is_created_with_its_versions_then_aliased() -> None:
    plan = plan_model(desired("archived", "production", "staging"), None, ALIASES)
    assert [(a.kind, a.version) for a in plan.actions] == [
        ("create-model", None),
        ("create-version", 1),
        ("create-version", 2),
        ("create-version", 3),
        ("set-alias", 2),
        ("set-alias", 3),
    ]
    created = plan.actions[2]
    assert isinstance(created, CreateVersion)
    assert created.source == "s3://b/fraud/2" and created.run_id == "run-2"
    assert dict(created.tags) == {TAG_STAGE: "production", TAG_COMMIT: "c0ffee"}  # bookkeeping in the same call
    assert [a.alias for a in plan.actions if isinstance(a, SetAlias)] == ["production", "staging"]


def test_a_registry_that_matches_needs_no_writes() -> None:
    plan = plan_model(
        desired("archived", "production", "staging"), actual("archived", "production", "staging"), ALIASES
    )
    assert plan.actions == () and plan.errors == ()


def test_promotion_in_stages_mode_demotes_before_it_promotes() -> None:
    before = actual("production", "staging", mlflow_stages={1: "Production", 2: "Staging"})
    plan = plan_model(desired("archived", "production", commit="beef"), before, STAGES)
    steps = kinds(plan.actions)
    assert steps.index(("set-stage", 1, "Archived")) < steps.index(("set-stage", 2, "Production"))
    assert steps.index(("set-stage", 1, "Archived")) < steps.index(("set-alias", 2, "production"))
    assert ("delete-alias", None, "staging") in steps
    stage_tags = [(a.version, a.value) for a in plan.actions if isinstance(a, SetTag) and a.key == TAG_STAGE]
    assert stage_tags == [(1, "archived"), (2, "production")]


def test_only_the_highest_staging_version_carries_the_staging_alias() -> None:
    plan = plan_model(desired("staging", "staging", "none"), None, ALIASES)
    assert [(a.alias, a.version) for a in plan.actions if isinstance(a, SetAlias)] == [("staging", 2)]


def test_an_alias_moved_outside_git_is_reverted_and_said_so() -> None:
    moved = actual("archived", "production", "staging", aliases={"production": 3, "staging": 3})
    plan = plan_model(desired("archived", "production", "staging"), moved, ALIASES)
    assert kinds(plan.actions) == [("set-alias", 2, "production")]
    assert reverts(plan.actions[0]) == "alias production was on version 3, not 2"
    assert "moved outside git" in plan.actions[0].detail


def test_a_change_made_in_git_is_not_called_drift() -> None:
    plan = plan_model(
        desired("archived", "archived", "production"), actual("archived", "production", "staging"), ALIASES
    )
    assert all(reverts(a) is None for a in plan.actions)


def test_a_stage_changed_by_a_notebook_is_reverted_in_stages_mode() -> None:
    before = actual("production", mlflow_stages={1: "Archived"})
    plan = plan_model(desired("production"), before, STAGES)
    assert kinds(plan.actions) == [("set-stage", 1, "Production")]
    assert reverts(plan.actions[0]) == "stage was Archived, changed outside git"


def test_a_version_whose_source_differs_is_refused_and_the_model_gets_no_writes() -> None:
    changed = actual("production")
    version = changed.versions[1]
    tampered = ActualVersion(1, "s3://elsewhere", version.run_id, tags=version.tags)
    changed = ActualModel("fraud", versions=MappingProxyType({1: tampered}), aliases=MappingProxyType({}))
    plan = plan_model(desired("production"), changed, ALIASES)
    assert plan.actions == ()
    (error,) = plan.errors
    assert error.version == 1
    assert "'s3://elsewhere'" in error.message and "'s3://b/fraud/1'" in error.message


def test_a_missing_run_id_counts_as_different() -> None:
    model = DesiredModel("m", "models/m.yaml", versions=(DesiredVersion(1, "none", "s3://b/m/1"),))
    found = ActualModel("m", versions=MappingProxyType({1: ActualVersion(1, "s3://b/m/1", "abc")}))
    assert plan_model(model, found, ALIASES).errors


def test_a_version_is_created_only_under_the_number_mlflow_will_assign() -> None:
    model = DesiredModel(
        "m", "models/m.yaml", versions=(DesiredVersion(1, "none", "s3://1"), DesiredVersion(3, "staging", "s3://3"))
    )
    plan = plan_model(model, None, ALIASES)
    assert plan.actions == ()
    (error,) = plan.errors
    assert "MLflow will number the next version of m 2, not 3" in error.message
    assert "number it 2 in models/m.yaml" in error.message


def test_a_deleted_number_is_never_reused_and_an_archived_version_there_is_skipped() -> None:
    # Versions 1-3 applied, then 3 deleted in the registry: MLflow's next number is 4.
    found = actual("none", "production", tags={TAG_NEXT_VERSION: "4"})
    archived = plan_model(desired("none", "production", "archived"), found, ALIASES)
    assert archived.errors == () and archived.actions == ()
    assert "it is archived, so it is skipped" in archived.notes[0].message
    live = plan_model(desired("none", "production", "staging"), found, ALIASES)
    assert "MLflow will number the next version of fraud 4, not 3" in live.errors[0].message
    assert "never reuses the number of a deleted version" in live.errors[0].message


def test_tags_are_set_never_deleted_and_bookkeeping_tags_in_files_are_ignored() -> None:
    model = DesiredModel(
        "m",
        "models/m.yaml",
        tags=MappingProxyType({"team": "risk", TAG_STAGE: "x"}),
        versions=(DesiredVersion(1, "none", "s3://1", tags=MappingProxyType({"k": "v"}), commit="c"),),
    )
    found = ActualModel(
        "m",
        tags=MappingProxyType({"team": "ops", "owner": "someone"}),
        versions=MappingProxyType({1: ActualVersion(1, "s3://1", tags=MappingProxyType({TAG_STAGE: "none"}))}),
    )
    plan = plan_model(model, found, ALIASES)
    assert kinds(plan.actions) == [("set-tag", None, "team"), ("set-tag", 1, "k"), ("set-tag", 1, TAG_COMMIT)]
    assert [n.message for n in plan.notes] == [
        "tag stagectl.stage in models/m.yaml is ignored: stagectl. tags are its own"
    ]


def test_versions_in_the_registry_but_not_in_git_are_left_alone_with_a_note() -> None:
    plan = plan_model(desired("production"), actual("production", "none"), ALIASES)
    assert plan.actions == ()
    assert "version 2 is in the registry but not in models/fraud.yaml" in plan.notes[0].message


def test_descriptions_follow_the_file_absent_meaning_empty() -> None:
    found = ActualModel("m", description="typed in the UI")
    plan = plan_model(DesiredModel("m", "models/m.yaml"), found, ALIASES)
    assert kinds(plan.actions) == [("update-model", None, "")]


def test_import_reads_stages_from_aliases_and_apply_then_moves_nothing() -> None:
    registry = ActualModel(
        "fraud",
        aliases=MappingProxyType({"production": 2, "staging": 3}),
        versions=MappingProxyType(
            {
                n: ActualVersion(n, f"s3://b/fraud/{n}", f"run-{n}", mlflow_stage=s)
                for n, s in [(1, "Archived"), (2, "None"), (3, "None"), (4, "None")]
            }
        ),
    )
    imported = import_model(registry, ALIASES)
    assert imported.stages == {1: "archived", 2: "production", 3: "staging", 4: "none"}
    parsed = parse_model("models/fraud.yaml", imported.text.encode())
    assert isinstance(parsed, ModelFile)
    from stagectl.registry.desired import desired_model

    plan = plan_model(desired_model(parsed, {}), registry, ALIASES)
    assert {a.kind for a in plan.actions} == {"set-tag"}  # bookkeeping only: no alias, no stage
    assert {target(a) for a in plan.actions} == {TAG_STAGE}


def test_import_of_a_registry_that_used_stages_keeps_them() -> None:
    registry = ActualModel(
        "churn",
        versions=MappingProxyType(
            {n: ActualVersion(n, f"s3://{n}", mlflow_stage=s) for n, s in [(1, "Production"), (2, "Staging")]}
        ),
    )
    stages, notes = infer_stages(registry, ALIASES)
    assert stages == {1: "production", 2: "staging"}
    assert "the first apply will set alias production → 1, alias staging → 2" in notes[0]


@given(st.text(max_size=40))
def test_scalars_read_back_as_the_same_string(text: str) -> None:
    yaml = f"name: m\ndescription: {scalar(text)}\nversions: []\n"
    parsed = parse_model("models/m.yaml", yaml.encode())
    if isinstance(parsed, ModelFile):  # the schema may refuse some (e.g. over-long); never a different string
        assert parsed.document.data["description"] == text
    else:
        assert all(v.rule == "schema" for v in parsed.violations), parsed.violations


def test_relative_sqlite_paths_are_taken_from_the_repository_root() -> None:
    settings = RegistrySettings(uri="sqlite:///data/reg.db")
    assert location.resolve(None, {}, settings, "/repo") == "sqlite:////repo/data/reg.db"
    assert location.resolve(None, {}, RegistrySettings(), "/repo") == "sqlite:////repo/mlflow.db"
    assert location.resolve(None, {"MLFLOW_TRACKING_URI": "http://h:5000"}, settings, "/r") == "http://h:5000"
    assert (
        location.resolve("sqlite:////abs.db", {"MLFLOW_TRACKING_URI": "http://h"}, settings, "/r")
        == "sqlite:////abs.db"
    )


def test_mlflow_errors_are_shortened_and_classified() -> None:
    from stagectl.registry.client import classify, error_line, redact

    refused = Exception(
        "API request to http://h:1/api/2.0/mlflow/registered-models/get failed with exception "
        "HTTPConnectionPool(host='h', port=1): Max retries exceeded with url: /x (Caused by "
        "NewConnectionError(\"HTTPConnection(host='h', port=1): Failed to establish a new connection: "
        '[Errno 111] Connection refused"))'
    )
    assert error_line(refused) == "[Errno 111] Connection refused"
    assert classify(refused) == "unreachable"
    unavailable = Exception(
        "API request to http://h/x failed with exception … (Caused by ResponseError('too many 503 error responses'))"
    )
    assert error_line(unavailable) == "HTTP 503 on every attempt"
    assert classify(unavailable) == "transient"
    assert classify(Exception("(sqlite3.OperationalError) database is locked"), remote=False) == "transient"
    assert classify(refused, remote=False) == "permanent"  # an embedded store has no network to wait for
    assert redact("https://ada:s3cret@mlflow.example.com/") == "https://ada:***@mlflow.example.com/"
    assert redact("sqlite:////repo/mlflow.db") == "sqlite:////repo/mlflow.db"
