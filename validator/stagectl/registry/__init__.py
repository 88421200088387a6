"""Reconcile an MLflow Model Registry with the model files at HEAD (plan / apply / diff / import).

Pure core: `desired` (files -> desired state), `writes` (the kinds of write, one type each),
`reconcile` (desired vs actual -> ordered writes), `onboard` (actual -> YAML, for import). Git: `judged` (each
model's change since the commit the registry recorded, judged by the rules, one first-parent step
at a time) and `source` (the accepted files' history). MLflow: `client`, the only module that
imports it, and `location` (which registry). `lease` (who may create a model's versions) and
`rollout` (per model: read -> plan -> acquire -> write) run plans; `session` is the set-up plan /
apply / diff share, with one function per command; `report` prints what each found.
"""
