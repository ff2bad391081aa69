#!/usr/bin/env bash
# Builds the agent's Debian package for deployment tools, from the single-file
# agent (bash scripts/build-agent.sh first):
#   bash scripts/build-deb.sh            # -> dist/coupdemain-agent.deb
# It holds /opt/coupdemain/coupdemain-agent (the agent, no server address
# in it) and /usr/bin/coupdemain-agent; its post-install enrols the computer
# with the server and token given at install time (packaging/deb/postinst,
# docs/howto/devices.md). The server offers it to admins on the Devices page
# (`--agent-package`, or coupdemain-agent.deb in the data folder).
set -euo pipefail
cd "$(dirname "$0")/.."

agent=${AGENT:-dist/coupdemain-help}
out=${OUT:-dist/coupdemain-agent.deb}
python=${PYTHON:-.venv/bin/python}
[ -f "$agent" ] || { echo "$agent is missing: run bash scripts/build-agent.sh first." >&2; exit 2; }
command -v dpkg-deb >/dev/null || { echo "dpkg-deb is missing (Debian's dpkg)." >&2; exit 2; }

version=$("$python" -c "import coupdemain; print(coupdemain.__version__)")
tree=$(mktemp -d)
chmod 0755 "$tree"  # the package's "./": dpkg must not see a private root
trap 'rm -rf "$tree"' EXIT
install -d "$tree/DEBIAN" "$tree/opt/coupdemain" "$tree/usr/bin"
install -m 0755 "$agent" "$tree/opt/coupdemain/coupdemain-agent"
ln -s /opt/coupdemain/coupdemain-agent "$tree/usr/bin/coupdemain-agent"
size_kb=$(du -sk "$tree/opt" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE_KB@/$size_kb/" packaging/deb/control.in \
    > "$tree/DEBIAN/control"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/deb/$script" "$tree/DEBIAN/$script"
done
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$out" >/dev/null
echo "Built $out: coupdemain-agent $version, $(( $(stat -c %s "$out") / 1024 / 1024 )) MiB."
