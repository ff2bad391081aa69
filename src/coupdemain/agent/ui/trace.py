"""``COUPDEMAIN_UI_TRACE``: what the windows show, written to a JSON file for tests.

End-to-end tests click the real buttons with xdotool and assert the words
the person sees. Whenever a window is shown, changed or hidden, the file
is rewritten atomically (a temporary file, then ``os.replace``)::

    {"windows": [{"name": "consent", "title": "...", "texts": ["..."],
                  "buttons": {"allow_view": {"label": "Allow viewing",
                              "x": 500, "y": 400, "width": 120, "height": 30}},
                  "entries": {}}]}

Coordinates are the screen's (``winfo_rootx``/``winfo_rooty``). Only
windows on screen are listed, and only their mapped buttons and entries.
The file is left as it is when the agent exits.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger("coupdemain.agent.ui")

ENV_VAR = "COUPDEMAIN_UI_TRACE"

Describe = Callable[[], dict[str, Any] | None]


class UiTrace:
    """Collects the windows' descriptions and writes them when they change.

    Args:
        path: the file to rewrite; None disables the trace.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._windows: list[Describe] = []
        self._last = ""
        self._pending = False

    @classmethod
    def from_environment(cls) -> UiTrace:
        value = os.environ.get(ENV_VAR, "")
        return cls(Path(value) if value else None)

    def register(self, describe: Describe) -> None:
        """Adds a window, in the order the file lists them."""
        self._windows.append(describe)

    def schedule(self, after_idle: Callable[[Callable[[], None]], object]) -> None:
        """Writes once the UI is idle; many changes in one burst make one write."""
        if self.path is None or self._pending:
            return
        self._pending = True

        def flush() -> None:
            self._pending = False
            self.write()

        after_idle(flush)

    def write(self) -> None:
        """Rewrites the file if what the windows show changed."""
        if self.path is None:
            return
        windows = [d for d in (describe() for describe in self._windows) if d is not None]
        text = json.dumps({"windows": windows}, ensure_ascii=False, indent=1)
        if text == self._last:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            logger.warning("cannot write the UI trace %s", self.path, exc_info=True)
            return
        self._last = text
