"""The chat with the technician: the transcript, a line to type in, Send.

Opened from the banner's Chat button. A message that arrives while it is
closed is announced on the banner; the window never pops up by itself, so
it cannot steal the keyboard from what the person is typing elsewhere.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ...i18n import Translator
from ...protocol.enums import Author
from ...protocol.messages import MAX_CHAT_CHARACTERS
from .events import ChatReceived
from .look import BOLD_FONT, TEXT_FONT
from .trace import INCOMPLETE, UiTrace
from .window import PAD, AgentWindow, technician_name

WIDTH_CHARS = 48
HEADING_WRAP = 580  # about the transcript's width


class ChatWindow(AgentWindow):
    """Shows every line of the session's chat, in order, once each.

    Args:
        on_send: called with the text the person sends.
    """

    name = "chat"
    title_key = "chat.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_send: Callable[[str], None]
    ) -> None:
        self.on_send = on_send
        self.lines: list[ChatReceived] = []
        super().__init__(root, t, trace, on_close=self.hide)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD)
        frame.pack(fill="both", expand=True)
        self.heading = self.label(frame, "", bold=True, wrap=HEADING_WRAP)
        self.heading.pack(fill="x")
        self.transcript = tk.Text(
            frame, width=WIDTH_CHARS, height=12, font=TEXT_FONT, wrap="word", state="disabled",
            background="#ffffff", relief="solid", borderwidth=1,
        )
        self.transcript.tag_configure("who", font=BOLD_FONT)
        self.transcript.pack(fill="both", expand=True, pady=(8, 8))
        row = ttk.Frame(frame)
        row.pack(fill="x")
        fits = (self.root.register(lambda text: len(text) <= MAX_CHAT_CHARACTERS), "%P")
        message = ttk.Entry(row, font=TEXT_FONT, validate="key", validatecommand=fits)
        message.pack(side="left", fill="x", expand=True)
        message.bind("<Return>", lambda _e: self.send())
        self.entries["message"] = message
        self.button(row, "send", t("chat.send"), self.send, kind="primary").pack(
            side="left", padx=(8, 0)
        )
        self.button(row, "close", t("chat.close"), self.hide).pack(side="left", padx=(8, 0))

    def place(self) -> None:
        # Bottom right, out of the way of what the technician is showing.
        self.top.update_idletasks()
        x = self.top.winfo_screenwidth() - self.top.winfo_reqwidth() - 24
        y = self.top.winfo_screenheight() - self.top.winfo_reqheight() - 48
        self.top.geometry(f"+{max(0, x)}+{max(0, y)}")

    def open(self, technician: str, organisation: str) -> None:
        self.heading.configure(
            text=self.t("chat.with", who=technician_name(self.t, technician, organisation))
        )
        self.show()
        self.entries["message"].focus_set()

    def add(self, line: ChatReceived) -> None:
        """Appends a line, unless it is already shown (a replay after a reconnect)."""
        if any(known.id == line.id for known in self.lines):
            return
        self.lines.append(line)
        who = self.t("chat.you") if line.author == Author.PERSON else line.name
        stamp = time.strftime("%H:%M", time.localtime(line.at))
        self.transcript.configure(state="normal")
        self.transcript.insert("end", f"{stamp}  {who}: ", ("who",))
        self.transcript.insert("end", f"{line.text}\n")
        self.transcript.configure(state="disabled")
        self.transcript.see("end")
        self.changed()

    def send(self) -> None:
        entry = self.entries["message"]
        text = entry.get().strip()
        if text:
            entry.delete(0, "end")
            self.on_send(text)
        # A click on Send gave the keyboard to the button (ttk does): the next
        # line is typed in the entry.
        entry.focus_set()

    def describe(self) -> dict[str, Any] | None:
        description = super().describe()
        if description is None or description is INCOMPLETE:
            return description
        description["messages"] = [
            {"id": line.id, "author": line.author, "name": line.name, "text": line.text}
            for line in self.lines
        ]
        return description
