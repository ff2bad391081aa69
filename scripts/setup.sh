#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for coupdemain: system packages, then a
# virtual environment in .venv with the project and its test tools.
#   bash scripts/setup.sh          # what the demo needs
#   bash scripts/setup.sh --test   # plus what the tests, checks and benchmarks need
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# Xvfb and xdotool give the demo and the tests a virtual screen to drive;
# python3-tk gives the agent its windows; libyuv0 converts its video frames
# to YUV ten times faster than swscale; chromium is the technician's browser
# in the end-to-end tests; Xorg's dummy driver and xrandr make a desktop
# with two monitors side by side (Xvfb has one output); x11vnc, websockify
# and novnc are the peer the benchmarks measure against; npm installs ESLint,
# the viewer's linter; coturn is the TURN server the browser-share tests
# relay through (Debian's package starts no service: the tests run their own);
# binutils gives PyInstaller objdump, objcopy and strip for the single-file
# agent (scripts/build-agent.sh); fonts-dejavu-core is the font the PDFs
# embed (server/documents/pdf.py).
packages=(xvfb xauth x11-utils xdotool python3-tk tk fonts-dejavu-core libyuv0)
if [ "$want_test" = 1 ]; then
  packages+=(chromium nodejs npm xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils
             x11vnc websockify novnc coturn binutils)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere than Debian; any on PATH will do.
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
fi
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The venv must see the system's tkinter: it comes with the interpreter, so
# use the same python3 that has it.
python=${PYTHON:-python3}
"$python" -c "import tkinter" 2>/dev/null || {
  echo "$python has no tkinter; install python3-tk or set PYTHON to a Python with Tk." >&2
  exit 1
}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$want_test" = 1 ]; then
  # PyInstaller (the build extra) for scripts/build-agent.sh: CI builds the
  # single-file agent and an end-to-end test runs it.
  .venv/bin/python -m pip install -q -e '.[test,build]'
  # ESLint, at the versions in its lockfile, for scripts/lint.sh.
  npm ci --prefix tools/lint --no-audit --no-fund --loglevel=error
else
  .venv/bin/python -m pip install -q -e .
fi
echo "Set up: .venv/bin/coupdemain is ready."
