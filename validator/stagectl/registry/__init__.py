"""Reconcile an MLflow Model Registry with the model files at HEAD (plan / apply / diff / import).

Pure core: `desired` (files -> desired state), `plan` (desired vs actual -> ordered writes),
`importer` (actual -> YAML). I/O at the edges: `client` is the only module that imports mlflow,
`runner` reads and writes through it, `source` reads git.
"""
