"""Who asks to see the screen: Allow viewing / Decline; and whether the session is recorded."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from .look import NOTICE_COLOUR
from .question import QuestionDialog
from .window import PAD


class ConsentDialog(QuestionDialog):
    """Names the technician and organisation; closing the window declines.

    With a recording policy of ``always`` it says the session will be
    recorded; with ``ask`` the person chooses, with a box left unticked:
    no recording unless they tick it (``record_answer``).
    """

    name = "consent"
    title_key = "consent.title"
    asks_key = "consent.asks"
    detail_keys = ("consent.scope", "consent.stop")
    yes = ("allow_view", "consent.allow_view")
    no = ("decline", "consent.decline")

    def build(self) -> None:
        super().build()
        self.policy = "never"
        self.record = tk.BooleanVar(master=self.top, value=False)
        self.recording_box = ttk.Frame(self.answer_row.master)
        self.recording_text = self.label(self.recording_box, "", colour=NOTICE_COLOUR)
        box = ttk.Checkbutton(self.recording_box, text=self.t("consent.record"),
                              variable=self.record, cursor="hand2")
        self.buttons["record"] = box
        self.record_box = box

    def ask_recorded(self, technician: str, organisation: str, policy: str, days: int) -> None:
        """Asks, saying what the recording policy means for this session."""
        self.policy = policy
        self.record.set(False)
        for widget in (self.recording_box, self.recording_text, self.record_box):
            widget.pack_forget()  # a widget packed in a hidden frame would never show
        if policy in ("ask", "always"):
            self.recording_text.configure(
                text=self.t(f"consent.recording_{policy}", name=organisation, days=days))
            self.recording_box.pack(fill="x", before=self.answer_row, pady=(0, 16))
            self.recording_text.pack(fill="x")
            if policy == "ask":
                self.record_box.pack(anchor="w", pady=(PAD, 0))
        self.ask(technician, organisation)

    def record_answer(self) -> bool:
        """Whether the person accepts the recording: told it (always), or ticked it (ask)."""
        if self.policy == "always":
            return True
        return self.policy == "ask" and bool(self.record.get())
