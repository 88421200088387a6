"""Every rule id stagectl reports, with what it means and what to do: the help SARIF viewers show.

The ids are the contract's (SPEC "Rules"); the file-level ones (YAML, schema, names, file types,
policy) come from the loader rather than from `all_rules()`, so this list names them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleDoc:
    id: str
    summary: str  # when the rule fires: one sentence
    help: str  # what to do about it
    level: str = "error"  # every rule fails the check (exit 1)


CATALOGUE: tuple[RuleDoc, ...] = (
    RuleDoc(
        "yaml-syntax",
        "The file is not parseable YAML.",
        "Fix the YAML at the reported line and column; a model file holds exactly one YAML document.",
    ),
    RuleDoc(
        "yaml-duplicate-key",
        "A mapping repeats a key (a YAML loader would silently keep the last one).",
        "Keep one of the two keys: the message names the line of the first.",
    ),
    RuleDoc(
        "yaml-unsafe",
        "The file uses anchors, aliases, explicit tags, merge keys, nests too deep, or is over 1 MiB.",
        "Write the values out in plain YAML: no '&anchor', '*alias', '<<:' or '!!tag', at most 64 levels deep, "
        "and keep the file under 1 MiB.",
    ),
    RuleDoc(
        "schema",
        "The document breaks the model file's JSON Schema (schemas/model.schema.json).",
        "Fix the key the error points at: a misspelled key, a missing required field (name, versions, "
        "version, stage, source) or a value of the wrong type.",
    ),
    RuleDoc(
        "model-name",
        "The model name is invalid, differs from the file's stem, or two files name one model.",
        "Use a name of letters, digits, '.', '_' and '-' that equals the file name without .yaml, "
        "and keep one file per model (names that differ only in case are one model).",
    ),
    RuleDoc(
        "file-type",
        "A symlink, submodule or other non-regular file, or a file in a subfolder, is in the models folder.",
        "Replace it with a regular model file directly in the models folder, or move it out of that folder.",
    ),
    RuleDoc(
        "version-duplicate",
        "Two entries of one model have the same version number.",
        "Remove or renumber the second entry: each version number appears once.",
    ),
    RuleDoc(
        "version-number",
        "A version added by the change is not greater than every version at the base.",
        "Number the new version one above the highest existing one ('stagectl register' does this).",
    ),
    RuleDoc(
        "version-removed",
        "A version present at the base is gone.",
        "Put the version back and set its stage to archived instead ('stagectl archive MODEL VERSION').",
    ),
    RuleDoc(
        "immutable-field",
        "An immutable field (source, run_id by default) of an existing version changed.",
        "Restore the field's old value; register a new version for a new artifact.",
    ),
    RuleDoc(
        "illegal-transition",
        "A stage change, or a new version's first stage, that the policy's transitions do not allow.",
        "Move the version through the allowed stages one change at a time (e.g. none → staging → production), "
        "or ask for the policy to change in a pull request of its own.",
    ),
    RuleDoc(
        "production-limit",
        "More versions of a model are in production than max_production allows, and the change raised the count.",
        "Archive the version(s) being replaced in the same change ('stagectl promote' does this).",
    ),
    RuleDoc(
        "model-removed",
        "A model file was deleted while some of its versions are not archived.",
        "Archive every version first and merge that; delete the file in a later change.",
    ),
    RuleDoc(
        "soak-time",
        "A version goes from staging to production before min_staging_hours in staging on the base branch.",
        "Wait until the time the message names, then promote it.",
    ),
    RuleDoc(
        "gate",
        "A version enters a stage without the metrics that stage's gate demands, or with values that miss it.",
        "Add the metric under the version's metrics, or promote a version whose metrics meet the gate.",
    ),
    RuleDoc(
        "policy",
        "stagectl.yaml itself is invalid.",
        "Fix the key the error points at (see schemas/policy.schema.json), or delete the key to take the default.",
    ),
    RuleDoc(
        "registry-mapping",
        "A change to the registry mapping (registry.aliases or registry.mode) would move, add or drop an alias "
        "of a model.",
        "Remap aliases in a pull request of its own, merged on purpose by someone allowed to bypass the check.",
    ),
    RuleDoc(
        "approval",
        "In a pull request's check: a version moves into a stage whose `approvals` the pull request's reviews "
        "do not meet.",
        "Ask one of the people or teams the message names to approve the pull request at its head commit; "
        "the check runs again on each review.",
    ),
)


def rule_ids() -> tuple[str, ...]:
    return tuple(rule.id for rule in CATALOGUE)
