"""The systemd unit: systemd's own checker finds nothing to say (trust-devices.md §4)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coupdemain.agent.device.unit import UNIT_NAME, install, unit_text

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="needs systemd-analyze (the systemd package)")


def verify(path: Path, *, user: bool, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    args = ["systemd-analyze"]
    if user:
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
        args.append("--user")
    return subprocess.run([*args, "verify", str(path)], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize("user", [False, True])
def test_the_unit_verifies_without_a_word(tmp_path: Path, user: bool) -> None:
    # Unknown keys and bad values exit with 0 and a warning: stderr must be empty.
    path = tmp_path / UNIT_NAME
    path.write_text(unit_text(config_dir=tmp_path / "device", user=user, python=sys.executable))
    done = verify(path, user=user, tmp_path=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


def test_install_writes_and_enables_it_offline(tmp_path: Path) -> None:
    said: list[str] = []
    root = tmp_path / "root"
    assert install(user=False, config_dir=tmp_path / "device", display=":0", root=root,
                   out=said.append) == 0
    unit = root / "etc" / "systemd" / "system" / UNIT_NAME
    assert said[0] == f"Wrote {unit}."
    assert "ExecStart=" in unit.read_text()
    if shutil.which("systemctl"):
        wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants" / UNIT_NAME
        assert wants.is_symlink()
        assert said[-1] == f"Enabled {UNIT_NAME}; it starts at the next boot."
