"""A yes-or-no question about the technician: who asks, what it means, two buttons."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import ClassVar

from ...i18n import Translator
from .trace import UiTrace
from .window import PAD, AgentWindow, technician_name


class QuestionDialog(AgentWindow):
    """Asks the person one question; closing the window is the cautious answer.

    Subclasses name the texts and the two buttons. The cautious answer is
    ``False`` and is the default button whenever ``cautious_is_default``.

    Args:
        on_answer: called once with True (yes) or False (no).
    """

    asks_key: ClassVar[str]
    detail_keys: ClassVar[tuple[str, ...]]
    yes: ClassVar[tuple[str, str]]  # (button id, text key)
    no: ClassVar[tuple[str, str]]
    cautious_is_default: ClassVar[bool] = False

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_answer: Callable[[bool], None]
    ) -> None:
        self.on_answer = on_answer
        super().__init__(root, t, trace, on_close=lambda: self.answer(False))

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.asks = self.label(frame, "", bold=True)
        self.asks.pack(fill="x")
        for index, key in enumerate(self.detail_keys):
            last = index == len(self.detail_keys) - 1
            self.label(frame, t(key)).pack(fill="x", pady=(8, 16 if last else 0))
        row = self.answer_row = ttk.Frame(frame)
        row.pack(fill="x")
        (yes_id, yes_key), (no_id, no_key) = self.yes, self.no
        cautious = self.cautious_is_default
        self.button(row, yes_id, t(yes_key), lambda: self.answer(True),
                    kind="plain" if cautious else "primary").pack(side="left")
        self.button(row, no_id, t(no_key), lambda: self.answer(False),
                    kind="primary" if cautious else "plain").pack(side="left", padx=(12, 0))

    def ask(self, technician: str, organisation: str) -> None:
        self.asks.configure(
            text=self.t(self.asks_key, who=technician_name(self.t, technician, organisation,
                                                          subject=True))
        )
        self.show()

    def answer(self, allow: bool) -> None:
        if not self.visible:
            return  # a double click
        self.hide()
        self.on_answer(allow)
