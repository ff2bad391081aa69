"""The always-visible banner: who is connected, viewing or controlling, and how to stop.

It sits at the top centre of the screen, above other windows, for as long
as the session runs, and cannot be closed: End session is how to stop.

Its layout keeps End session on screen whatever the language and the
screen's width: the red button takes the top right corner, the lines of
text wrap to the width left beside it, and the other buttons go on rows
of their own under the text, as many per row as the screen holds. Should
the banner still be wider than the screen, it is cut to the screen's
width, and the text column gives way, never the End session button.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...i18n import Translator
from .events import Branded, SessionStatus
from .look import NOTICE_COLOUR, RECORDING_COLOUR
from .trace import UiTrace
from .window import PAD, TEXT_COLOUR, AgentWindow, technician_name

# Without a window manager "-topmost" means nothing; raising the banner now
# and then keeps it above windows opened later.
RAISE_EVERY_MS = 1500
# The text's width at most, in pixels, on a wide screen: longer lines are
# hard to read. Narrower screens get what is left beside End session.
MAX_WRAP = 720
# What the banner leaves free on each side of a narrow screen.
SCREEN_MARGIN = 8
BORDER = "#d97706"
BORDER_WIDTH = 3
BUTTON_GAP = 8
# The banner's lines of text, top to bottom, with their colour. A line is
# shown only while it has text (see ``texts``): adding a line is one entry
# here and one in ``texts``.
LINES: tuple[tuple[str, str], ...] = (
    ("recording", RECORDING_COLOUR),
    ("who", TEXT_COLOUR),
    ("detail", NOTICE_COLOUR),
    ("mandate", NOTICE_COLOUR),
    ("demo", TEXT_COLOUR),
    ("note", TEXT_COLOUR),
    ("unread", "#1f5fbf"),
    ("reading", NOTICE_COLOUR),
    ("mandate_copy", TEXT_COLOUR),
    ("how_to_stop", TEXT_COLOUR),
)
# The buttons under the text, in this order, those the session allows.
ROW_BUTTONS = ("stop_control", "pause", "resume", "chat", "send_file", "save_mandate")


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
        on_save_mandate: Callable[[], None] = lambda: None,
    ) -> None:
        self.actions = {
            "stop_control": on_stop_control, "pause": on_pause, "resume": on_resume,
            "chat": on_chat, "send_file": on_send_file, "end_session": on_end,
            "save_mandate": on_save_mandate,
        }
        self.status: SessionStatus | None = None
        self.unread_from = ""  # who wrote the chat message not read yet, if any
        self.reading = False  # the technician is reading the computer's settings
        self.reconnecting = 0  # the attempt to reach the server again, while the link is down
        self.note = ""  # the technician's latest step or announcement, as a sentence
        self.mandate_warning = False  # the mandate's time ends soon
        self.mandate_copy = ""  # where the mandate's copy was saved, or why it was not
        super().__init__(root, t, trace)

    def build(self) -> None:
        t = self.t
        self.top.configure(highlightthickness=BORDER_WIDTH, highlightbackground=BORDER)
        frame = ttk.Frame(self.top, padding=(PAD, 10))
        frame.pack(fill="both", expand=True)
        # Column 1, End session, never shrinks; column 0, the text, gives way.
        frame.columnconfigure(0, weight=1)
        end = self.button(frame, "end_session", t("banner.end_session"),
                          self._click("end_session"), kind="stop")
        end.grid(row=0, column=1, sticky="ne", padx=(PAD, 0))
        self.top.update_idletasks()
        # The banner's inner width on this screen, and the text's beside End session.
        self.room = self.top.winfo_screenwidth() - 2 * (SCREEN_MARGIN + BORDER_WIDTH + PAD)
        wrap = max(200, min(MAX_WRAP, self.room - end.winfo_reqwidth() - PAD))
        texts = ttk.Frame(frame)
        texts.grid(row=0, column=0, sticky="nw")
        self.lines: dict[str, ttk.Label] = {
            name: self.label(texts, "", bold=name in ("who", "recording"), wrap=wrap,
                             colour=colour)
            for name, colour in LINES
        }
        # Under the text and End session both: the whole banner's width.
        self.row = ttk.Frame(frame)
        self.row.grid(row=1, column=0, columnspan=2, sticky="w")
        # One frame per line of buttons; made first, they stay under the buttons.
        self.row_lines = [ttk.Frame(self.row) for _ in ROW_BUTTONS]
        for ident in ROW_BUTTONS:
            self.button(self.row, ident, t(f"banner.{ident}"), self._click(ident))
        self.root.after(RAISE_EVERY_MS, self._keep_on_top)

    def show_brand(self, brand: Branded, logo: tk.PhotoImage | None) -> None:
        """The banner keeps one look whoever connects: its orange border and red
        End session mean "someone is connected" on every computer, and no
        organisation's colours may make it look like something else."""

    def _click(self, ident: str) -> Callable[[], None]:
        return lambda: self.actions[ident]()

    def place(self) -> None:
        self.top.update_idletasks()
        screen = self.top.winfo_screenwidth()
        width = min(self.top.winfo_reqwidth(), screen)
        x = (screen - width) // 2
        self.top.geometry(f"{width}x{self.top.winfo_reqheight()}+{max(0, x)}+0")

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

    def set_note(self, kind: str, text: str, technician: str) -> None:
        """Shows what the technician last said they do: a step, or an action announced."""
        key = "banner.step" if kind == "step" else "banner.announced"
        self.note = self.t(key, technician=technician, text=text)
        if self.status is not None:
            self.update(self.status)

    def set_mandate_warning(self, warning: bool) -> None:
        """Says (or stops saying) that the help ends in a few minutes unless the person agrees."""
        self.mandate_warning = warning
        if self.status is not None:
            self.update(self.status)

    def set_mandate_copy(self, sentence: str) -> None:
        """Says where the mandate's copy was saved, or why it was not."""
        self.mandate_copy = sentence
        if self.status is not None:
            self.update(self.status)

    def texts(self, status: SessionStatus) -> dict[str, str]:
        """The text of each line of ``LINES`` for this status; "" hides a line."""
        t = self.t
        who = technician_name(t, status.technician, status.organisation, subject=True)
        took_over = ""
        if status.took_over_from:  # another technician opened the session: say so
            took_over = " " + t("banner.took_over", previous=status.took_over_from)
        if not status.viewer_connected:
            detail = t("banner.viewer_dropped", technician=status.technician)
        elif status.paused:
            detail = t("banner.paused", technician=status.technician)
        else:
            detail = ""
        return {
            "recording": t("banner.recording") if status.recording else "",
            "who": t(f"banner.{status.state}", who=who) + took_over,
            "detail": detail,
            "mandate": t("banner.mandate_warning") if self.mandate_warning else "",
            "demo": (t("banner.unattended", name=status.organisation)
                     if status.unattended
                     else t("banner.consent_assumed") if status.consent_assumed else ""),
            "note": self.note,
            "unread": t("banner.unread", name=self.unread_from) if self.unread_from else "",
            "reading": t("banner.diagnostics_reading") if self.reading else "",
            "mandate_copy": self.mandate_copy,
            "how_to_stop": t("banner.how_to_stop"),
        }

    def buttons_for(self, status: SessionStatus) -> list[str]:
        """The buttons of the row under the text, for this status."""
        wanted = []
        if status.state == "controlling" and not status.paused:
            wanted.append("stop_control")
        wanted.append("resume" if status.paused else "pause")
        wanted.append("chat")
        if status.can_send_files:
            wanted.append("send_file")
        if status.mandate_signed:
            wanted.append("save_mandate")
        return wanted

    def _lay_out_row(self, wanted: list[str]) -> None:
        """Packs the buttons in order, starting a new line where the screen ends."""
        for ident in ROW_BUTTONS:
            self.buttons[ident].pack_forget()
        for frame in self.row_lines:
            frame.pack_forget()
        line, used = 0, 0
        for ident in wanted:
            button = self.buttons[ident]
            width = button.winfo_reqwidth()
            if used and used + BUTTON_GAP + width > self.room:
                line, used = line + 1, 0
            gap = BUTTON_GAP if used else 0
            # Each line is a frame of its own, so that lines do not align in columns.
            button.pack(in_=self.row_lines[line], side="left", padx=(gap, 0))
            used += gap + width
        for frame in self.row_lines[:line + 1]:
            frame.pack(anchor="w", pady=(BUTTON_GAP, 0))

    def set_reconnecting(self, attempt: int) -> None:
        """Says the connection was lost and which attempt to resume it runs (0: it is back).

        Nothing is shared meanwhile: only End session is offered. Once back,
        the banner waits for the session's state (``update``), or hides if
        the person had not allowed viewing yet.
        """
        self.reconnecting = attempt
        if attempt:
            t = self.t
            self._show_lines({
                "who": t("banner.reconnecting", attempt=attempt),
                "detail": t("banner.reconnecting_detail"),
                "how_to_stop": t("banner.how_to_stop"),
            }, [])
        elif self.status is None:
            self.hide()

    def update(self, status: SessionStatus) -> None:
        """Shows the session as the server last described it."""
        self.status = status
        if self.reconnecting:
            return  # the state of before the drop; the server sends the new one
        self._show_lines(self.texts(status), self.buttons_for(status))

    def _show_lines(self, texts: dict[str, str], buttons: list[str]) -> None:
        for name, label in self.lines.items():
            label.pack_forget()
            label.configure(text=texts.get(name, ""))
        for name, label in self.lines.items():
            if texts.get(name):
                label.pack(fill="x", anchor="w")
        self._lay_out_row(buttons)
        if self.visible:
            self.place()
            self.changed()
        else:
            self.show()
