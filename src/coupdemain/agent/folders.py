"""The person's own folders, as their desktop names them (XDG user dirs, in any language)."""

from __future__ import annotations

import contextlib
from pathlib import Path


def user_folder(key: str, home: Path) -> Path | None:
    """The folder ``~/.config/user-dirs.dirs`` gives for ``key`` (e.g. "XDG_DOWNLOAD_DIR"),
    or None when it names none."""
    dirs = home / ".config" / "user-dirs.dirs"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in dirs.read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{key}="):
                value = line.split("=", 1)[1].strip().strip('"').replace("$HOME", str(home))
                return Path(value) if value else None
    return None
