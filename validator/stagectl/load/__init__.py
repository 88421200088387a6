"""Bytes to documents: the hostile-YAML loader, the JSON Schemas, and model and policy files parsed."""
