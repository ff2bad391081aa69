"""The pre-configured agent's own setup: enrol this computer, then run the service.

The file an admin downloads for managed devices (console, *Devices*)
carries the server's address and an enrolment token in its trailer
(``protocol/agent_file.py``). Run without arguments, it says what
enrolling means, asks (in its terminal, else in a window; ``--yes`` for a
deployment job), enrols, copies itself to a stable place without the
token — the token may still have uses, and no file needs it any more —
and installs the service that starts that copy: a system service as root
(``/opt/coupdemain``), a user service otherwise (``~/.local/share``).
Run again on an enrolled computer, it installs the service again and
changes nothing else.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from ...i18n import Translator
from ...protocol.agent_file import AgentFileConfig, trailer, trailer_length
from .enroll import enroll
from .identity import DeviceIdentity, default_folder
from .unit import install

PROGRAM_NAME = "coupdemain-agent"
SYSTEM_HOME = Path("/opt/coupdemain")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def program_home(system: bool) -> Path:
    """Where the service's copy of the agent lives."""
    if system:
        return SYSTEM_HOME
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "coupdemain"


def copy_without_token(executable: Path, server: str, home: Path) -> Path:
    """Copies the agent to ``home`` with a trailer that names the server alone."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / PROGRAM_NAME
    keep = executable.stat().st_size - trailer_length(executable)
    partial = target.with_name(target.name + ".part")
    with executable.open("rb") as source, partial.open("wb") as out:
        remaining = keep
        while remaining > 0 and (chunk := source.read(min(1 << 20, remaining))):
            out.write(chunk)
            remaining -= len(chunk)
        out.write(trailer(AgentFileConfig(server=server)))
    partial.chmod(0o755)
    partial.replace(target)
    return target


def ask_in_terminal_or_window(t: Translator, lines: list[str]) -> Callable[[str], str]:
    """The question, in the terminal when there is one, else in a window (a double click)."""
    if sys.stdin.isatty() or not os.environ.get("DISPLAY"):
        return input

    def ask(question: str) -> str:
        import tkinter as tk
        from tkinter import messagebox

        root = tk.Tk()
        root.withdraw()
        try:
            yes = messagebox.askyesno("coupdemain", "\n\n".join([*lines, t("device.setup.ask")]),
                                      parent=root)
        finally:
            root.destroy()
        return "yes" if yes else "no"

    return ask


def setup(config: AgentFileConfig, executable: Path, t: Translator, *, yes: bool,
          system: bool | None = None, display: str = "", account: str = "") -> int:
    """Enrols this computer with the file's token, then installs the service; the exit code."""
    system = is_root() if system is None else system
    identity = DeviceIdentity(default_folder(system))
    if identity.enrolled() is None:
        said: list[str] = []

        def out(line: str) -> None:
            said.append(line)
            print(line)

        code = enroll(config.server, config.enrolment_token, identity, t, yes=yes,
                      ask=ask_in_terminal_or_window(t, said), out=out)
        if code != 0:
            return code
    if account:
        # The service's account alone reads the key: it runs the agent in that session.
        shutil.chown(identity.folder, user=account)
        for path in identity.folder.iterdir():
            shutil.chown(path, user=account)
    program = copy_without_token(executable, config.server, program_home(system))
    print(t("device.setup.copied", path=program))
    return install(user=not system, config_dir=identity.folder,
                   display=display or os.environ.get("DISPLAY") or ":0",
                   program=[str(program)], account=account)
