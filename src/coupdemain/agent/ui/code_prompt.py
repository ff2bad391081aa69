"""The first window: the person types the 9-digit code the technician reads out."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...i18n import Translator
from ...protocol.support_code import SupportCode
from .events import PROBLEM_FORMAT
from .look import MUTED_COLOUR
from .trace import UiTrace
from .window import PAD, PROBLEM_COLOUR, AgentWindow


class CodePrompt(AgentWindow):
    """Entry + Connect; a failed attempt's sentence stays in the window for a retry.

    Args:
        on_code: called with the 9 digits when the person clicks Connect.
        server: the server address, named in the "cannot reach" sentence.
    """

    name = "code_prompt"
    title_key = "code_prompt.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_code: Callable[[str], None],
        server: str, on_close: Callable[[], None],
    ) -> None:
        self.on_code = on_code
        self.server = server
        super().__init__(root, t, trace, on_close=on_close)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.label(frame, t("code_prompt.heading"), bold=True).pack(fill="x")
        self.label(frame, t("code_prompt.hint")).pack(fill="x", pady=(4, 12))
        row = ttk.Frame(frame)
        row.pack(fill="x")
        self.code = self.entry(row, "code")
        self.code.pack(side="left", ipady=4)
        self.connect = self.button(row, "connect", t("code_prompt.connect"), self.submit,
                                   kind="primary")
        self.connect.pack(side="left", padx=(12, 0))
        self.status = self.label(frame, "", colour=PROBLEM_COLOUR)
        self.status.pack(fill="x", pady=(12, 0))
        self.label(frame, t("code_prompt.nobody")).pack(fill="x", pady=(12, 0))
        # The scam the field knows best starts with an unexpected call "from IT".
        self.label(frame, t("code_prompt.scam_warning")).pack(fill="x", pady=(8, 0))
        self.code.bind("<Return>", lambda _e: self.submit())
        self.code.bind("<KP_Enter>", lambda _e: self.submit())
        # Tk's own Ctrl+A moves to the line start; people expect "select all".
        self.code.bind("<Control-a>", self._select_all)
        self.code.bind("<KeyRelease>", lambda _e: self.changed(), add="+")

    def _select_all(self, _event: object) -> str:
        self.code.selection_range(0, "end")
        self.code.icursor("end")
        return "break"

    def submit(self) -> None:
        if str(self.connect.cget("state")) == "disabled":
            return
        try:
            code = SupportCode.parse(self.code.get())
        except ValueError:
            self.show_problem(PROBLEM_FORMAT)
            return
        self.on_code(code.digits)

    def show_problem(self, problem: str) -> None:
        """Shows why the last attempt failed and lets the person try again."""
        text = self.t(f"problem.{problem}", server=self.server) if problem else ""
        self.status.configure(text=text, foreground=PROBLEM_COLOUR)
        self.connect.configure(state="normal")
        self.code.configure(state="normal")
        # Typing replaces the old code; it stays visible to be checked. A click
        # on Connect gave the keyboard to the button (ttk does): take it back.
        self.code.selection_range(0, "end")
        self.code.focus_set()
        self.changed()

    def show_connecting(self) -> None:
        self.status.configure(text=self.t("code_prompt.connecting"), foreground=MUTED_COLOUR)
        self.connect.configure(state="disabled")
        self.changed()

    def show(self) -> None:
        super().show()
        # Without a window manager nothing gives the entry the keyboard.
        self.root.after(50, self.code.focus_force)
