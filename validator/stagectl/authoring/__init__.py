"""Authoring: what promote, archive, rollback, register and new change, written in place into the YAML."""
