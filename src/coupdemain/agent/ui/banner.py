"""The always-visible banner: who is connected, viewing or controlling, and how to stop.

It sits at the top centre of the screen, above other windows, for as long
as the session runs, and cannot be closed: End session is how to stop.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from ...i18n import Translator
from .events import SessionStatus
from .trace import UiTrace
from .window import BACKGROUND, PAD, AgentWindow

# Without a window manager "-topmost" means nothing; raising the banner now
# and then keeps it above windows opened later.
RAISE_EVERY_MS = 1500
# Wide and short: the banner must not hide the top of the applications below it.
WRAP = 540


class Banner(AgentWindow):
    """Stop control (only while controlling), Pause or Resume, End session.

    Args:
        on_stop_control, on_pause, on_resume, on_chat, on_end: the buttons' actions.
    """

    name = "banner"
    title_key = "banner.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace,
        on_stop_control: Callable[[], None], on_pause: Callable[[], None],
        on_resume: Callable[[], None], on_chat: Callable[[], None], on_end: Callable[[], None],
        on_send_file: Callable[[], None] = lambda: None,
    ) -> None:
        self.actions = {
            "stop_control": on_stop_control, "pause": on_pause, "resume": on_resume,
            "chat": on_chat, "send_file": on_send_file, "end_session": on_end,
        }
        self.status: SessionStatus | None = None
        self.unread_from = ""  # who wrote the chat message not read yet, if any
        self.reading = False  # the technician is reading the computer's settings
        super().__init__(root, t, trace)

    def build(self) -> None:
        t = self.t
        self.top.configure(highlightthickness=2, highlightbackground="#d97706")
        frame = tk.Frame(self.top, background=BACKGROUND, padx=PAD, pady=8)
        frame.pack(fill="both", expand=True)
        texts = tk.Frame(frame, background=BACKGROUND)
        texts.pack(side="left", fill="both", expand=True)
        self.who = self.label(texts, "", bold=True, wrap=WRAP)
        self.who.pack(fill="x")
        self.detail = self.label(texts, "", wrap=WRAP, colour="#8a4b00")
        self.demo = self.label(texts, "", wrap=WRAP)
        self.unread = self.label(texts, "", wrap=WRAP, colour="#1f5fbf")
        self.reading_note = self.label(texts, t("banner.diagnostics_reading"), wrap=WRAP,
                                       colour="#8a4b00")
        self.how_to_stop = self.label(texts, t("banner.how_to_stop"), wrap=WRAP)
        self.how_to_stop.pack(fill="x")
        self.row = tk.Frame(frame, background=BACKGROUND)
        self.row.pack(side="right", padx=(12, 0))
        for ident in ("stop_control", "pause", "resume", "chat", "send_file", "end_session"):
            self.button(self.row, ident, t(f"banner.{ident}"), self._click(ident),
                        primary=ident == "end_session")
        self.root.after(RAISE_EVERY_MS, self._keep_on_top)

    def _click(self, ident: str) -> Callable[[], None]:
        return lambda: self.actions[ident]()

    def place(self) -> None:
        self.top.update_idletasks()
        x = (self.top.winfo_screenwidth() - self.top.winfo_reqwidth()) // 2
        self.top.geometry(f"+{max(0, x)}+0")

    def _keep_on_top(self) -> None:
        if self.visible and self.top.winfo_exists():
            self.top.lift()
        self.root.after(RAISE_EVERY_MS, self._keep_on_top)

    def set_unread(self, name: str) -> None:
        """Announces (or, with "", clears) a chat message the person has not seen."""
        self.unread_from = name
        if self.status is not None:
            self.update(self.status)

    def set_reading(self, reading: bool) -> None:
        """Says (or stops saying) that the technician is reading the computer's settings."""
        self.reading = reading
        if self.status is not None:
            self.update(self.status)

    def update(self, status: SessionStatus) -> None:
        """Shows the session as the server last described it."""
        self.status = status
        t = self.t
        names = {"technician": status.technician, "organisation": status.organisation}
        who = t(f"banner.{status.state}", **names)
        if status.took_over_from:  # another technician opened the session: say so
            who += " " + t("banner.took_over", previous=status.took_over_from)
        self.who.configure(text=who)
        if not status.viewer_connected:
            detail = t("banner.viewer_dropped", **names)
        elif status.paused:
            detail = t("banner.paused", **names)
        else:
            detail = ""
        self.detail.configure(text=detail)
        self.demo.configure(text=t("banner.consent_assumed") if status.consent_assumed else "")
        self.unread.configure(
            text=t("banner.unread", name=self.unread_from) if self.unread_from else ""
        )
        for widget in (self.detail, self.demo, self.unread, self.reading_note, self.how_to_stop):
            widget.pack_forget()
        if detail:
            self.detail.pack(fill="x")
        if status.consent_assumed:
            self.demo.pack(fill="x")
        if self.unread_from:
            self.unread.pack(fill="x")
        if self.reading:
            self.reading_note.pack(fill="x")
        self.how_to_stop.pack(fill="x")

        wanted = []
        if status.state == "controlling" and not status.paused:
            wanted.append("stop_control")
        wanted.append("resume" if status.paused else "pause")
        wanted.append("chat")
        if status.can_send_files:
            wanted.append("send_file")
        wanted.append("end_session")
        for button in self.buttons.values():
            button.pack_forget()
        for ident in wanted:
            self.buttons[ident].pack(side="left", padx=(8, 0))
        if self.visible:
            self.place()
            self.changed()
        else:
            self.show()
