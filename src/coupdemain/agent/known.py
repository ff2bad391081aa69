"""The organisations this computer has met: the first meeting shows a warning against scams.

An organisation is remembered with the server that named it: the same name
on another server is a stranger, since anyone can run a server and call
their organisation anything. The file is written only after the person
clicked *Continue* on the warning; a file that cannot be read or written
means every organisation is new, which only shows the warning again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

logger = logging.getLogger("coupdemain.agent.known")

FILE_NAME = "organisations.json"
MAX_REMEMBERED = 200  # the oldest are forgotten first


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/coupdemain``, or ``~/.config/coupdemain``."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "coupdemain"


class KnownOrganisations:
    """The (server, organisation) pairs the person chose to continue with.

    Args:
        path: the file; ``config_dir() / FILE_NAME`` by default.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME

    def _read(self) -> list[list[str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            logger.warning("%s could not be read; every organisation is new", self.path)
            return []
        met = data.get("met") if isinstance(data, dict) else None
        if not isinstance(met, list):
            return []
        return [pair for pair in met if isinstance(pair, list) and len(pair) == 2
                and all(isinstance(part, str) for part in pair)]

    def knows(self, server: str, organisation: str) -> bool:
        return [server, organisation] in self._read()

    def remember(self, server: str, organisation: str) -> None:
        met = [pair for pair in self._read() if pair != [server, organisation]]
        met.append([server, organisation])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"met": met[-MAX_REMEMBERED:]}, ensure_ascii=False,
                                            indent=1), encoding="utf-8")
            temporary.replace(self.path)
        except OSError:
            logger.warning("%s could not be written; the warning will show again", self.path)
