"""The technician announces a disruptive action: the person answers OK or Not now.

A restart, closing an application, installing or removing, administrator
rights: the technician waits for the answer. The window names the
technician, says what they will do in the technician's own words, and that
nothing is done on *Not now*. Closing the window is *Not now*, the cautious
answer, which is also the default button. Several announcements in a row
are asked one after the other.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...i18n import Translator
from .events import AskAction
from .trace import UiTrace
from .window import PAD, AgentWindow, technician_name


class ActionQuestion(AgentWindow):
    """Asks about one announced action at a time.

    Args:
        on_answer: called once per announcement with its id and True (OK) or False (Not now).
    """

    name = "action"
    title_key = "action.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace,
        on_answer: Callable[[int, bool], None],
    ) -> None:
        self.on_answer = on_answer
        self.asking: AskAction | None = None
        self.waiting: list[AskAction] = []
        super().__init__(root, t, trace, on_close=lambda: self.answer(False))

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.asks = self.label(frame, "", bold=True)
        self.asks.pack(fill="x")
        self.words = self.label(frame, "")
        self.words.pack(fill="x", pady=(8, 0))
        self.label(frame, t("action.not_now_means")).pack(fill="x", pady=(8, 16))
        row = ttk.Frame(frame)
        row.pack(fill="x")
        self.button(row, "action_ok", t("action.ok"), lambda: self.answer(True)).pack(side="left")
        self.button(row, "action_not_now", t("action.not_now"), lambda: self.answer(False),
                    kind="primary").pack(side="left", padx=(12, 0))

    def ask(self, event: AskAction) -> None:
        """Asks now, or after the question on screen is answered; once per announcement."""
        if any(asked.id == event.id for asked in (self.asking, *self.waiting) if asked):
            return
        if self.asking is not None:
            self.waiting.append(event)
            return
        self.asking = event
        t = self.t
        who = technician_name(t, event.technician, event.organisation, subject=True)
        self.asks.configure(text=t(f"action.asks.{event.kind}", who=who))
        self.words.configure(text=t("action.words", text=event.text))
        self.show()

    def answer(self, ok: bool) -> None:
        asked = self.asking
        if asked is None or not self.visible:
            return  # a double click
        self.asking = None
        self.hide()
        self.on_answer(asked.id, ok)
        if self.waiting:
            self.ask(self.waiting.pop(0))

    def forget(self) -> None:
        """The session ended, or the connection dropped: nothing is asked any more.

        After a drop the server asks again what is still unanswered."""
        self.asking = None
        self.waiting.clear()
        if self.visible:
            self.hide()
