"""The single-file agent's entry in the applications menu, so that next time is one click.

When the downloaded file runs, it writes a desktop entry (the freedesktop.org
Desktop Entry Specification) to ``$XDG_DATA_HOME/applications``
(``~/.local/share/applications``): GNOME, KDE, Xfce and the others then list
*Get help (coupdemain)* among the person's applications. ``TryExec`` names
the file, so the entry disappears from the menus when the person deletes or
moves it; the next start from its new place writes it again.

The first start still needs the file made executable and double-clicked
(no browser marks a download executable); the join page says how.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ..i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, catalog

logger = logging.getLogger("coupdemain.agent.launcher")

ENTRY_NAME = "coupdemain-help.desktop"
# Characters that the Exec key would need escaped twice over; a path with one
# of them gets no entry rather than a wrong one.
_UNSAFE = set('"`$\\\n\r\t%')


def applications_folder(environ: Mapping[str, str]) -> Path:
    """Where a person's own desktop entries go."""
    base = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", "~")) / ".local/share")
    return Path(base).expanduser() / "applications"


def desktop_entry(executable: Path) -> str | None:
    """The desktop entry that starts ``executable``, in every language of the agent's windows;
    None for a path the Exec key cannot carry plainly."""
    path = str(executable)
    if _UNSAFE & set(path):
        return None
    default = catalog("agent", DEFAULT_LANGUAGE)
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",
        f"Name={default['launcher.name']}",
        f"Comment={default['launcher.comment']}",
    ]
    for language in SUPPORTED_LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            texts = catalog("agent", language)
            lines += [f"Name[{language}]={texts['launcher.name']}",
                      f"Comment[{language}]={texts['launcher.comment']}"]
    lines += [
        f'Exec="{path}"',
        f"TryExec={path}",
        "Icon=help-browser",
        "Terminal=false",
        "Categories=Utility;RemoteAccess;",
        "StartupNotify=true",
    ]
    return "\n".join(lines) + "\n"


def install(executable: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """Writes (or refreshes) the menu entry for ``executable``; returns its path.

    Never fails: a home that cannot be written to only means no menu entry.
    """
    environ = os.environ if environ is None else environ
    entry = desktop_entry(executable.resolve())
    if entry is None:
        return None
    target = applications_folder(environ) / ENTRY_NAME
    try:
        if target.is_file() and target.read_text(encoding="utf-8") == entry:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        partial.write_text(entry, encoding="utf-8")
        partial.replace(target)
    except OSError:
        logger.debug("no menu entry written at %s", target, exc_info=True)
        return None
    return target
