#!/usr/bin/env bash
# Render the README's stage timeline (docs/img/fraud-timeline.png) with the real Mermaid CLI.
#
# Builds a throw-away repository in which the example `fraud` model is registered, promoted,
# replaced and rolled back by stagectl's own editing commands in dated commits, writes
# `stagectl history fraud --format mermaid`, and draws it with @mermaid-js/mermaid-cli in Debian's
# headless Chromium (puppeteer never downloads a browser of its own).
#
# Needs: git, python with stagectl's dependencies, node + npm, and `apt-get install chromium`.
# Usage: bash docs/render_timeline.sh [OUTPUT.png]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
output="${1:-$here/img/fraud-timeline.png}"
mmdc_version="11.17.0"  # the newest mermaid-cli that runs on Node 20 (12.x needs Node >= 22.13)
mmdc_dir="${STAGECTL_MMDC_DIR:-$here/.mermaid-cli}"  # node_modules stay out of git (.gitignore)
python="${PYTHON:-python3}"

if [ ! -x "$mmdc_dir/node_modules/.bin/mmdc" ]; then
  mkdir -p "$mmdc_dir"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$mmdc_dir" --no-audit --no-fund --ignore-scripts \
    "@mermaid-js/mermaid-cli@$mmdc_version" >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/models-repo"

export PYTHONPATH="$root/validator${PYTHONPATH:+:$PYTHONPATH}"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Ada Lovelace" GIT_AUTHOR_EMAIL="ada@example.com"
export GIT_COMMITTER_NAME="Ada Lovelace" GIT_COMMITTER_EMAIL="ada@example.com"

stagectl() { "$python" -m stagectl "$@"; }
commit() {  # commit everything, dated: commit DATE MESSAGE
  git -C "$repo" add -A
  GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git -C "$repo" commit -q -m "$2"
}

git init -q -b main "$repo"
cd "$repo"
stagectl new fraud >&2
stagectl register fraud --source s3://ml-artifacts/fraud/1 --run-id 8f2c1e0a --metric auc=0.91 >&2
commit "2026-11-02T10:00:00Z" "fraud: register version 1 (#1)"
stagectl promote fraud 1 >&2
commit "2026-11-03T10:00:00Z" "fraud: version 1 to staging (#2)"
stagectl promote fraud 1 >&2
commit "2026-11-05T15:00:00Z" "Merge pull request #3 from ada/promote-fraud-1"
stagectl register fraud --source s3://ml-artifacts/fraud/2 --run-id 1d5e7a3c --stage staging --metric auc=0.87 >&2
commit "2026-11-10T11:00:00Z" "fraud: register version 2 in staging (#4)"
stagectl register fraud --source s3://ml-artifacts/fraud/3 --run-id 6b0f2d8e --stage staging --metric auc=0.94 >&2
commit "2026-11-11T09:00:00Z" "fraud: register version 3 in staging (#5)"
stagectl promote fraud 3 >&2
commit "2026-11-12T16:30:00Z" "fraud: version 3 to production (#6)"
stagectl rollback fraud >&2
commit "2026-11-13T08:15:00Z" "Roll back fraud: version 3 misbehaves (#7)"
stagectl archive fraud 2 >&2
commit "2026-11-16T10:00:00Z" "fraud: archive version 2 (#8)"
stagectl register fraud --source s3://ml-artifacts/fraud/4 --run-id 0c9d8e7f --stage staging --metric auc=0.95 >&2
commit "2026-11-17T14:00:00Z" "fraud: register version 4 in staging (#9)"
stagectl promote fraud 4 >&2
commit "2026-11-19T09:00:00Z" "fraud: version 4 to production (#10)"
GIT_AUTHOR_DATE="2026-11-20T12:00:00Z" GIT_COMMITTER_DATE="2026-11-20T12:00:00Z" \
  git commit -q --allow-empty -m "Update the runbook"  # the chart ends at the date of HEAD

stagectl history fraud --format mermaid > "$work/fraud.mmd"
cat "$work/fraud.mmd" >&2
mkdir -p "$(dirname "$output")"
"$mmdc_dir/node_modules/.bin/mmdc" --quiet \
  --puppeteerConfigFile "$here/puppeteer-config.json" \
  --input "$work/fraud.mmd" --output "$output" \
  --width 1100 --backgroundColor white
echo "wrote $output" >&2
