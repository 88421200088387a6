"""`stagectl.yaml`: the policy that judges a change, and where the registry lives.

Every key is optional; the defaults below are the contract's. A `transitions` map replaces the
default list only for the from-stages it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

POLICY_FILE = "stagectl.yaml"

DEFAULT_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "new": frozenset({"none", "staging"}),
        "none": frozenset({"staging", "archived"}),
        "staging": frozenset({"production", "none", "archived"}),
        "production": frozenset({"archived", "staging"}),
        "archived": frozenset({"staging"}),
    }
)


@dataclass(frozen=True)
class Bound:
    """A metric threshold of a gate: the value must be >= min and <= max (either may be absent)."""

    min: float | None = None
    max: float | None = None

    def admits(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def __str__(self) -> str:
        parts = ([f"≥ {self.min:g}"] if self.min is not None else []) + (
            [f"≤ {self.max:g}"] if self.max is not None else []
        )
        return " and ".join(parts)


@dataclass(frozen=True)
class Approval:
    """Reviews a change needs to move a version into a stage: `count` approvals from `approvers`."""

    approvers: tuple[str, ...]  # "@alice" (a user) or "@org/team" (a team)
    count: int = 1

    def who(self) -> str:
        """The approvers as a reader names them: "@org/ml-leads or @alice"."""
        return " or ".join(self.approvers)


@dataclass(frozen=True)
class Policy:
    transitions: Mapping[str, frozenset[str]] = field(default_factory=lambda: DEFAULT_TRANSITIONS)
    rollback: bool = True
    max_production: int | None = 1
    immutable: tuple[str, ...] = ("source", "run_id")
    min_staging_hours: float | None = None  # soak time in staging before production (None: none)
    gates: Mapping[str, Mapping[str, Bound]] = field(default_factory=dict)  # stage -> metric -> bound
    approvals: Mapping[str, Approval] = field(default_factory=dict)  # stage -> reviews needed to enter it

    def allows(self, from_stage: str, to_stage: str) -> bool:
        return to_stage in self.transitions.get(from_stage, frozenset())


@dataclass(frozen=True)
class RegistrySettings:
    uri: str | None = None  # None: MLflow's embedded sqlite store at the repository root
    mode: str = "aliases"
    production_alias: str = "production"  # registry.aliases.production
    staging_alias: str = "staging"  # registry.aliases.staging


@dataclass(frozen=True)
class Settings:
    """Everything `stagectl.yaml` says, defaults filled in."""

    models_dir: str = "models"
    policy: Policy = field(default_factory=Policy)
    registry: RegistrySettings = field(default_factory=RegistrySettings)


DEFAULT_SETTINGS = Settings()


def settings_from_data(data: Mapping[str, Any] | None) -> Settings:
    """Build settings from a document that already passed the policy schema."""
    if not data:
        return DEFAULT_SETTINGS
    policy_data: Mapping[str, Any] = data.get("policy") or {}
    transitions = dict(DEFAULT_TRANSITIONS)
    for from_stage, targets in (policy_data.get("transitions") or {}).items():
        transitions[from_stage] = frozenset(targets)
    policy = Policy(
        transitions=MappingProxyType(transitions),
        rollback=policy_data.get("rollback", True),
        max_production=policy_data.get("max_production", 1),
        immutable=tuple(policy_data.get("immutable", ("source", "run_id"))),
        min_staging_hours=policy_data.get("min_staging_hours"),
        gates=MappingProxyType(
            {
                stage: MappingProxyType({metric: Bound(b.get("min"), b.get("max")) for metric, b in metrics.items()})
                for stage, metrics in (policy_data.get("gates") or {}).items()
            }
        ),
        approvals=MappingProxyType(
            {
                stage: Approval(tuple(rule["from"]), rule.get("count", 1))
                for stage, rule in (policy_data.get("approvals") or {}).items()
            }
        ),
    )
    registry_data: Mapping[str, Any] = data.get("registry") or {}
    aliases: Mapping[str, str] = registry_data.get("aliases") or {}
    registry = RegistrySettings(
        uri=registry_data.get("uri"),
        mode=registry_data.get("mode", "aliases"),
        production_alias=aliases.get("production", "production"),
        staging_alias=aliases.get("staging", "staging"),
    )
    return Settings(models_dir=data.get("models_dir", "models"), policy=policy, registry=registry)
