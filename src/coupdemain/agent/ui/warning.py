"""Before the first consent to an organisation: a calm warning against scams.

Two sentences say that nobody legitimate calls unexpectedly to ask for a
code; the organisation is named as the server states it, beside the
server's host name (which TLS verified, and only then is it called
verified). *Continue* is enabled after a few seconds, counted down where
the person sees it, so that the warning is read; *Report a problem* ends
the session at once. Closing the window declines, as closing the consent
question does: nothing is shared, and nothing is reported either.
"""

from __future__ import annotations

import os
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ...i18n import Translator
from .look import MUTED_COLOUR
from .trace import INCOMPLETE, UiTrace
from .window import PAD, AgentWindow

# How long Continue stays disabled; COUPDEMAIN_WARNING_SECONDS sets it (the tests: 0 or 1).
WARNING_SECONDS = 5
WARNING_SECONDS_VARIABLE = "COUPDEMAIN_WARNING_SECONDS"


def warning_seconds() -> int:
    """The delay before Continue, from the environment, else ``WARNING_SECONDS``."""
    try:
        return max(0, min(60, int(os.environ.get(WARNING_SECONDS_VARIABLE, ""))))
    except ValueError:
        return WARNING_SECONDS


class ScamWarning(AgentWindow):
    """The warning shown the first time this computer meets an organisation.

    Args:
        on_continue: the person continues: the consent question comes next.
        on_report: the person reports a problem: the session ends.
        on_decline: the person closed the window: the session ends, unreported.
        seconds: how long Continue stays disabled.
        tick_ms: one second of the countdown (the tests shorten it).
    """

    name = "warning"
    title_key = "warning.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_continue: Callable[[], None],
        on_report: Callable[[], None], on_decline: Callable[[], None],
        seconds: int = WARNING_SECONDS, tick_ms: int = 1000,
    ) -> None:
        self.on_continue = on_continue
        self.on_report = on_report
        self.on_decline = on_decline
        self.seconds = seconds
        self.tick_ms = tick_ms
        self.left = 0
        self._tick: str | None = None
        super().__init__(root, t, trace, on_close=self.decline)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.label(frame, t("warning.heading"), bold=True).pack(fill="x")
        self.who = self.label(frame, "", bold=True)
        self.who.pack(fill="x", pady=(8, 0))
        self.identity = self.label(frame, "", colour=MUTED_COLOUR)
        self.identity.pack(fill="x", pady=(4, 0))
        self.label(frame, t("warning.nobody_calls")).pack(fill="x", pady=(12, 0))
        self.label(frame, t("warning.if_called")).pack(fill="x", pady=(8, 0))
        self.wait = self.label(frame, "", colour=MUTED_COLOUR)
        self.wait.pack(fill="x", pady=(12, 16))
        row = ttk.Frame(frame)
        row.pack(fill="x")
        self.continue_button = self.button(row, "continue", t("warning.continue"), self.proceed,
                                           kind="primary")
        self.continue_button.pack(side="left")
        self.button(row, "report", t("warning.report"), self.report, kind="stop").pack(
            side="right")

    def warn(self, organisation: str, server: str, verified: bool) -> None:
        """Shows the warning about ``organisation``, met through ``server``."""
        t = self.t
        self.who.configure(text=t("warning.who", name=organisation, server=server)
                           if server else organisation)
        self.identity.configure(text=t("warning.verified" if verified else "warning.unverified",
                                       server=server))
        self.left = self.seconds
        self._count()
        self.show()

    def _count(self) -> None:
        """One step of the countdown: Continue is enabled once it reaches zero."""
        self._tick = None
        if self.left > 0:
            self.continue_button.state(["disabled"])
            self.wait.configure(text=self.t("warning.wait", seconds=self.left))
            self.left -= 1
            self._tick = self.top.after(self.tick_ms, self._count)
        else:
            self.continue_button.state(["!disabled"])
            self.wait.configure(text=self.t("warning.ready"))
        self.changed()

    def hide(self) -> None:
        if self._tick is not None:
            self.top.after_cancel(self._tick)
            self._tick = None
        super().hide()

    def proceed(self) -> None:
        if not self.visible or self.continue_button.instate(["disabled"]):
            return
        self.hide()
        self.on_continue()

    def report(self) -> None:
        if not self.visible:
            return
        self.hide()
        self.on_report()

    def decline(self) -> None:
        if not self.visible:
            return
        self.hide()
        self.on_decline()

    def describe(self) -> dict[str, Any] | None:
        description = super().describe()
        if description is not None and description is not INCOMPLETE:
            description["continue_enabled"] = not self.continue_button.instate(["disabled"])
        return description
