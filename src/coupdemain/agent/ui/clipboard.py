"""The assisted computer's text clipboard, through Tk, while the technician has control.

X11's CLIPBOARD belongs to whichever program copied last, so there is
nothing to subscribe to: the bridge asks for the clipboard's text now and
then, and reports a change. Text that came from the technician is not
reported back.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable

from ...protocol.messages import MAX_CONTROL_MESSAGE_BYTES

logger = logging.getLogger("coupdemain.agent.clipboard")

POLL_MS = 600
# What fits in one control message with room for the JSON around it.
MAX_CLIPBOARD_CHARACTERS = MAX_CONTROL_MESSAGE_BYTES // 4 - 256


class ClipboardBridge:
    """Reads and writes the clipboard from the Tk thread.

    Args:
        root: the Tk root, which owns the clipboard when it writes it.
        on_change: called with the new text when the person copies something.
    """

    def __init__(self, root: tk.Tk, on_change: Callable[[str], None]) -> None:
        self.root = root
        self.on_change = on_change
        self.active = False
        self._last: str | None = None
        self._timer: str | None = None

    def start(self) -> None:
        """Begins watching; what is on the clipboard now is not sent, only later copies."""
        if self.active:
            return
        self.active = True
        self._last = self._read()
        self._timer = self.root.after(POLL_MS, self._poll)

    def stop(self) -> None:
        self.active = False
        if self._timer is not None:
            self.root.after_cancel(self._timer)
            self._timer = None

    def write(self, text: str) -> None:
        """Puts the technician's text on the clipboard, for the person's Ctrl+V."""
        self.root.clipboard_clear()
        self.root.clipboard_append(text)
        self._last = text

    def _read(self) -> str | None:
        try:
            return str(self.root.clipboard_get())
        except tk.TclError:  # empty, or not text (an image, files)
            return None

    def _poll(self) -> None:
        self._timer = None
        if not self.active:
            return
        text = self._read()
        if text is not None and text != self._last:
            self._last = text
            if len(text) > MAX_CLIPBOARD_CHARACTERS:
                logger.info("clipboard of %d characters not sent: too long", len(text))
            else:
                self.on_change(text)
        self._timer = self.root.after(POLL_MS, self._poll)
