"""``coupdemain agent install-service``: the systemd unit that runs ``coupdemain agent run``.

``--user`` writes ``~/.config/systemd/user/coupdemain-agent.service`` (the
service then sees the user's display), ``--system`` writes
``/etc/systemd/system/coupdemain-agent.service``. Where systemd runs, the
unit is enabled and started (``systemctl [--user] enable --now``);
elsewhere (a container, a disk image being prepared) it is enabled
offline with ``systemctl --root``, as a package's post-install would.
The Windows and macOS equivalents are in docs/howto/devices.md.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

UNIT_NAME = "coupdemain-agent.service"


def agent_program(python: str = sys.executable) -> list[str]:
    """How the unit starts the agent: this single-file agent itself when frozen (the
    file an admin downloaded, or the package's copy), else ``python -m coupdemain``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [python, "-m", "coupdemain"]


def unit_text(*, config_dir: Path, user: bool, display: str = ":0",
              python: str = sys.executable, extra_env: dict[str, str] | None = None,
              program: Sequence[str] | None = None, account: str = "") -> str:
    """The unit file; exit statuses 2 to 4 mean "do not restart" (service.py's exit codes).

    Args:
        program: what runs ``agent run`` (default: ``agent_program(python)``).
        account: a system unit's user, whose display the agent joins and who alone
            reads the device's key (a kiosk's session); "" runs it as root.
    """
    command = shlex.join([*(program or agent_program(python)), "agent", "run",
                          "--config-dir", str(config_dir)])
    env = {"DISPLAY": display, **(extra_env or {})}
    run_as = f"User={account}\n" if account and not user else ""
    environment = "\n".join(f"Environment={shlex.quote(f'{k}={v}')}" for k, v in env.items())
    wanted_by = "default.target" if user else "multi-user.target"
    return f"""[Unit]
Description=coupdemain managed device service (remote help from your organisation)
Documentation=https://coupdemain.example/docs/howto/devices
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={command}
{run_as}{environment}
Restart=on-failure
RestartSec=5
RestartPreventExitStatus=2 3 4
NoNewPrivileges=yes

[Install]
WantedBy={wanted_by}
"""


def unit_path(user: bool, root: Path | None = None) -> Path:
    if user:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        path = Path(base) / "systemd" / "user" / UNIT_NAME
        if root is not None:
            return root / "etc" / "systemd" / "user" / UNIT_NAME
        return path
    return (root or Path("/")) / "etc" / "systemd" / "system" / UNIT_NAME


def systemd_runs() -> bool:
    return Path("/run/systemd/system").is_dir()


def install(*, user: bool, config_dir: Path, display: str, root: Path | None = None,
            out: Callable[[str], object] = print, program: Sequence[str] | None = None,
            account: str = "") -> int:
    """Writes the unit and enables it; returns the exit code."""
    say = out
    path = unit_path(user, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unit_text(config_dir=config_dir, user=user, display=display,
                              program=program, account=account), encoding="utf-8")
    say(f"Wrote {path}.")
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        say("systemctl was not found: enable the unit with your init system.")
        return 0
    if root is None and systemd_runs():
        scope = ["--user"] if user else []
        subprocess.run([systemctl, *scope, "daemon-reload"], check=False)
        started = subprocess.run([systemctl, *scope, "enable", "--now", UNIT_NAME], check=False)
        if started.returncode == 0:
            say(f"Enabled and started {UNIT_NAME}.")
        return started.returncode
    # No systemd here (or a root folder given): enable offline, as a package would.
    scope = ["--global"] if user else []
    done = subprocess.run(
        [systemctl, f"--root={root or Path('/')}", *scope, "enable", UNIT_NAME],
        check=False, capture_output=True, text=True)
    if done.returncode == 0:
        say(f"Enabled {UNIT_NAME}; it starts at the next boot"
            f"{' or sign-in' if user else ''}.")
    else:
        say(f"systemd does not run here: {UNIT_NAME} was written but not enabled "
            f"({done.stderr.strip() or done.returncode}).")
    return 0
