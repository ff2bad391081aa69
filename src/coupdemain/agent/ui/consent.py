"""Who asks to see the screen: Allow viewing / Decline."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from ...i18n import Translator
from .trace import UiTrace
from .window import BACKGROUND, PAD, AgentWindow


class ConsentDialog(AgentWindow):
    """Names the technician and organisation; closing the window declines.

    Args:
        on_answer: called with True (allow viewing) or False (decline).
    """

    name = "consent"
    title_key = "consent.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_answer: Callable[[bool], None]
    ) -> None:
        self.on_answer = on_answer
        super().__init__(root, t, trace, on_close=lambda: self.answer(False))

    def build(self) -> None:
        t = self.t
        frame = tk.Frame(self.top, background=BACKGROUND, padx=PAD * 2, pady=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.asks = self.label(frame, "", bold=True)
        self.asks.pack(fill="x")
        self.label(frame, t("consent.scope")).pack(fill="x", pady=(8, 0))
        self.label(frame, t("consent.stop")).pack(fill="x", pady=(8, 16))
        row = tk.Frame(frame, background=BACKGROUND)
        row.pack(fill="x")
        self.button(row, "allow_view", t("consent.allow_view"), lambda: self.answer(True),
                    primary=True).pack(side="left")
        self.button(row, "decline", t("consent.decline"),
                    lambda: self.answer(False)).pack(side="left", padx=(12, 0))

    def ask(self, technician: str, organisation: str) -> None:
        self.asks.configure(
            text=self.t("consent.asks", technician=technician, organisation=organisation)
        )
        self.show()

    def answer(self, allow: bool) -> None:
        if not self.visible:
            return  # a double click
        self.hide()
        self.on_answer(allow)
