#!/usr/bin/env bash
# The test command: unit, JS and end-to-end tests (Xvfb + agent + Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q "$@"
