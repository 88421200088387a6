"""Reconcile an MLflow Model Registry with the model files at HEAD (plan / apply / diff / import).

Pure core: `desired` (files -> desired state), `plan` (desired vs actual -> ordered writes),
`importer` (actual -> YAML). Git: `judged` (each model's change since the commit the registry
recorded, judged by the rules, one first-parent step at a time) and `source` (the accepted files'
history). MLflow: `client`, the only module that imports it. `apply` runs plans (read -> plan ->
lease -> write), `session` sets up plan / apply / diff, `report` prints what each found.
"""
