#!/usr/bin/env bash
# The checks, as CI runs them: ruff on all the Python, mypy --strict on
# src/, ESLint on the viewer and the console (web/), their tests (tests/web/)
# and the benchmark's probe. Runs them all, then fails on any finding.
# Needs `bash scripts/setup.sh --test` first (ruff and mypy in .venv, ESLint
# in tools/lint/node_modules).
set -uo pipefail
cd "$(dirname "$0")/.."

eslint=tools/lint/node_modules/.bin/eslint
for tool in .venv/bin/ruff .venv/bin/mypy "$eslint"; do
  if [ ! -x "$tool" ]; then
    echo "$tool is missing: run bash scripts/setup.sh --test first." >&2
    exit 2
  fi
done

failed=()
echo "== ruff"
.venv/bin/ruff check . || failed+=(ruff)
echo "== mypy --strict src"
.venv/bin/mypy --strict src || failed+=(mypy)
echo "== eslint"
if "$eslint" --config tools/lint/eslint.config.js --max-warnings 0 web tests/web bench/probe.js; then
  echo "No problems."
else
  failed+=(eslint)
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "Failed: ${failed[*]}." >&2
  exit 1
fi
echo "All checks passed."
