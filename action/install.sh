#!/usr/bin/env bash
# Install stagectl (from this action's own checkout) into a private virtualenv and put it on PATH.
# The MLflow extra only when the command talks to a registry: `check` stays a small install.
#
# Inputs (environment): STAGECTL_COMMAND, STAGECTL_PYTHON (default python3),
# STAGECTL_SOURCE (default: $GITHUB_ACTION_PATH, the action's checkout); runner: RUNNER_TEMP, GITHUB_PATH.
set -euo pipefail

command="${STAGECTL_COMMAND:-check}"
python="${STAGECTL_PYTHON:-python3}"
source_dir="${STAGECTL_SOURCE:-${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as a GitHub Action}}"
venv="${RUNNER_TEMP:?RUNNER_TEMP is not set}/stagectl-venv"

case "$command" in
  check) target="$source_dir" ;;
  plan | apply | diff) target="${source_dir}[mlflow]" ;;
  *)
    echo "::error title=stagectl::input 'command' must be check, plan, apply or diff (got '$command')"
    exit 2
    ;;
esac

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$target"
echo "$venv/bin" >> "$GITHUB_PATH"
"$venv/bin/stagectl" --version
