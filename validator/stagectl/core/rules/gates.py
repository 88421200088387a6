"""gate: a version entering a stage carries the metrics the policy demands of that stage."""

from __future__ import annotations

from collections.abc import Iterator

from stagectl.core.model import NEW
from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    head = change.head
    if head is None or not policy.gates:
        return
    for old, version in change.versions():
        number = version.number
        from_stage = old.stage if old else NEW
        gate = policy.gates.get(version.stage)
        if from_stage == version.stage or not gate:
            continue  # gates guard the way in, not versions already there
        metrics = version.fields.get("metrics") or {}
        for metric, bound in gate.items():
            value = metrics.get(metric)
            if value is None:
                where = version.path + (("metrics",) if "metrics" in version.fields else ("stage",))
                message = (
                    f"version {number} enters {version.stage} without the metric '{metric}': "
                    f"the {version.stage} gate needs {metric} {bound}; add it under metrics"
                )
            elif bound.admits(value):
                continue
            else:
                where = version.path + ("metrics", metric)
                message = f"{metric} {value:g} of version {number} misses the {version.stage} gate ({metric} {bound})"
            yield finding(head, where, message, number)


RULE = Rule("gate", check, standalone=False)
