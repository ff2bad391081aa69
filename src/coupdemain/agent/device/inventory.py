"""What the console shows of this computer: name, OS, signed-in user, hardware (psutil)."""

from __future__ import annotations

import contextlib
import getpass
import platform
import socket
import sys
from datetime import UTC, datetime
from typing import Any

import psutil  # type: ignore[import-untyped]  # psutil ships no type information


def logged_in_user() -> str:
    """The user at the screen: the first psutil session, else the service's own account."""
    try:
        users = psutil.users()
    except (OSError, RuntimeError):
        users = []
    if users:
        return str(users[0].name)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def hardware() -> dict[str, Any]:
    """Processors, memory, the system disk, when the computer started."""
    info: dict[str, Any] = {
        "cpus": psutil.cpu_count() or 0,
        "cpu_model": platform.processor() or platform.machine(),
        "memory_bytes": psutil.virtual_memory().total,
        "python": platform.python_version(),
    }
    try:
        disk = psutil.disk_usage("C:\\" if sys.platform == "win32" else "/")
        info.update(disk_bytes=disk.total, disk_free_bytes=disk.free)
    except OSError:
        pass
    with contextlib.suppress(OSError, RuntimeError):
        info["boot_time"] = datetime.fromtimestamp(psutil.boot_time(), UTC).isoformat(
            timespec="seconds")
    return info


def describe() -> dict[str, Any]:
    """The inventory message's fields."""
    return {
        "name": socket.gethostname(),
        "os": f"{platform.system()} {platform.release()}".strip(),
        "user": logged_in_user(),
        "hardware": hardware(),
    }
