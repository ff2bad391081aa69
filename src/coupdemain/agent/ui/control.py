"""The technician asks for control: Allow control / Keep view only."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from ...i18n import Translator
from .trace import UiTrace
from .window import BACKGROUND, PAD, AgentWindow


class ControlDialog(AgentWindow):
    """Closing the window keeps view only.

    Args:
        on_answer: called with True (allow control) or False (keep view only).
    """

    name = "control"
    title_key = "control.title"

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
        self.label(frame, t("control.scope")).pack(fill="x", pady=(8, 16))
        row = tk.Frame(frame, background=BACKGROUND)
        row.pack(fill="x")
        self.button(row, "allow_control", t("control.allow_control"),
                    lambda: self.answer(True)).pack(side="left")
        self.button(row, "keep_view_only", t("control.keep_view_only"),
                    lambda: self.answer(False), primary=True).pack(side="left", padx=(12, 0))

    def ask(self, technician: str, organisation: str) -> None:
        self.asks.configure(
            text=self.t("control.asks", technician=technician, organisation=organisation)
        )
        self.show()

    def answer(self, allow: bool) -> None:
        if not self.visible:
            return
        self.hide()
        self.on_answer(allow)
