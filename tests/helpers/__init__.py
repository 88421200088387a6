"""What the tests share, imported as plain modules (fixtures live in the conftest.py files).

- `cli`: the one way to run stagectl (a subprocess, as a user runs it; in-process for the MLflow tests)
- `warm`: those subprocesses forked from a server that has imported stagectl (and MLflow) once
- `gitrepo`: a real git repository in a temp dir
- `models`: the one way to write a model file
- `registry`: a real `mlflow server`, an MLflow client, migrated sqlite stores
- `pgcluster`: a throw-away PostgreSQL cluster (the benchmark uses it too)
- `edit_cases`, `github_fake`: the odd-style edit cases; a stand-in for GitHub's REST API
"""
