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
RETRY_MS = 20
MAX_RETRIES = 100  # about two seconds; a window that never maps must not block the others
# What a window's description is while Tk has not finished mapping it.
INCOMPLETE: dict[str, Any] = {"incomplete": True}

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

    def schedule(self, root: Any) -> None:
        """Writes once Tk is idle; many changes in one burst make one write.

        Args:
            root: the Tk root, whose ``after_idle`` and ``after`` time the write.
        """
        if self.path is None or self._pending:
            return
        self._pending = True
        retries = 0

        def flush() -> None:
            nonlocal retries
            self._pending = False
            retries += 1
            if not self.write(partial=retries > MAX_RETRIES):
                # A window is still being laid out: its buttons are packed
                # but not mapped yet. Listing it now would show no buttons.
                self._pending = True
                root.after(RETRY_MS, flush)

        root.after_idle(flush)

    def write(self, partial: bool = False) -> bool:
        """Rewrites the file if what the windows show changed.

        Args:
            partial: write even if a window is half laid out, leaving it out.

        Returns:
            False when a window was half laid out and nothing was written.
        """
        if self.path is None:
            return True
        described = [describe() for describe in self._windows]
        if not partial and any(d is INCOMPLETE for d in described):
            return False
        windows = [d for d in described if d is not None and d is not INCOMPLETE]
        text = json.dumps({"windows": windows}, ensure_ascii=False, indent=1)
        if text == self._last:
            return True
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            logger.warning("cannot write the UI trace %s", self.path, exc_info=True)
            return True
        self._last = text
        return True
