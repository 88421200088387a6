"""Rule ids: tools and users match on them, so the tests hold the library and the CLI to these sets."""

from __future__ import annotations

# The contract's rules that judge a change to a model file (its rule table, after the file-level rows).
CHANGE_RULES = frozenset(
    {
        "model-name",
        "version-duplicate",
        "version-number",
        "version-removed",
        "immutable-field",
        "illegal-transition",
        "production-limit",
        "model-removed",
    }
)
# The rules a policy in stagectl.yaml adds: metric gates and a soak time in staging.
GATE_RULES = frozenset({"gate", "soak-time"})
