#!/usr/bin/env bash
# Run one stagectl command for the composite action; pass the plan (JSON) on as the `plan` output.
# stagectl itself writes the step summary and the annotations.
#
# Every input arrives through the environment and is only ever expanded inside double quotes:
# STAGECTL_COMMAND (check | plan | apply | diff), STAGECTL_BASE (a commit or ref), STAGECTL_REGISTRY
# (an MLflow URI), STAGECTL_MODELS (model names, space-separated). Runner: GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY, RUNNER_TEMP.
#
# `plan` with a base and no registry plans the change offline: the base's model files are applied
# to a scratch sqlite registry, and HEAD is planned against it — what merging would write, with no
# registry and no credentials (the pull-request job).
set -euo pipefail

command="${STAGECTL_COMMAND:-check}"
base="${STAGECTL_BASE:-}"
registry="${STAGECTL_REGISTRY:-}"
output="${GITHUB_OUTPUT:-/dev/null}"
tmp="${RUNNER_TEMP:-$(mktemp -d)}"

put_output() {  # name, value (multi-line safe: a random delimiter)
  local delimiter
  delimiter="stagectl_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  { echo "$1<<$delimiter"; echo "$2"; echo "$delimiter"; } >> "$output"
}

case "$command" in
  check | plan | apply | diff) ;;
  *)
    echo "::error title=stagectl::input 'command' must be check, plan, apply or diff (got '$command')"
    exit 2
    ;;
esac

if [ "$command" = check ]; then
  args=()
  if [ -n "$base" ]; then args+=("--base=$base"); fi
  status=0
  stagectl check "${args[@]}" || status=$?
  put_output exit-code "$status"
  put_output plan ""
  exit "$status"
fi

args=(--format json)
if [ -n "$registry" ]; then args+=("--registry=$registry"); fi
read -r -a models <<< "${STAGECTL_MODELS:-}"  # split on blanks, no globbing
for model in "${models[@]}"; do args+=("--model=$model"); done

if [ "$command" = plan ] && [ -n "$base" ] && [ -z "$registry" ]; then
  sha="$(git rev-parse --verify --quiet --end-of-options "$base^{commit}")" || {
    echo "::error title=stagectl::base '$base' is not a commit in this clone (check out with fetch-depth: 0)"
    exit 2
  }
  tree="$tmp/stagectl-base-tree"
  scratch="$tmp/stagectl-base-registry.db"
  rm -rf "$tree" "$scratch"
  git worktree add --quiet --detach "$tree" "$sha"
  if ! (cd "$tree" && stagectl apply --registry "sqlite:///$scratch" --format json > "$tmp/stagectl-base.json"); then
    echo "::warning title=stagectl::the base's model files could not all be applied to the scratch registry; the plan may show more than this change"
  fi
  git worktree remove --force "$tree"
  args+=("--registry=sqlite:///$scratch")
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    echo "Planned against the model files at the base \`${sha:0:12}\` (not the live registry): what merging would write." >> "$GITHUB_STEP_SUMMARY"
  fi
fi

result="$tmp/stagectl-$command.json"
status=0
stagectl "$command" "${args[@]}" > "$result" || status=$?
cat "$result"
put_output plan "$(cat "$result")"
put_output exit-code "$status"
exit "$status"
