#!/usr/bin/env bash
# Builds the agent as one self-contained executable for Linux (x86-64):
# dist/coupdemain-help, which runs `coupdemain get-help` and nothing else.
#   bash scripts/build-agent.sh            # needs `pip install -e '.[build]'` (setup.sh --test)
# The server serves it (`coupdemain serve --agent-binary dist/coupdemain-help`,
# or copied to the data folder as coupdemain-help) with its own address
# appended: see docs/howto/deploy.md.
#
# PyInstaller's one-file mode: Python, Tk, python-xlib, mss, numpy, Pillow,
# simplejpeg and PyAV (with x264) in one file that unpacks itself to a
# temporary folder when it starts. What goes in and what stays out (the
# server's stack) is in scripts/coupdemain-help.spec.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
"$python" -c "import PyInstaller" 2>/dev/null || {
  echo "PyInstaller is missing: .venv/bin/python -m pip install -e '.[build]'" >&2
  exit 2
}

start=$(date +%s)
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/agent scripts/coupdemain-help.spec
end=$(date +%s)

size=$(stat -c %s dist/coupdemain-help)
gz=$(gzip -c dist/coupdemain-help | wc -c)
echo "Built dist/coupdemain-help: $((size / 1024 / 1024)) MiB ($size bytes;" \
     "$((gz / 1024 / 1024)) MiB gzipped) in $((end - start)) s."
