"""The last window: the session is over, who ended it, that control is off and nothing is
shared any more, and that the person can close it; and, while the technician writes it,
that a summary will show here (``report.py`` shows it)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...i18n import Translator
from ...protocol.enums import By
from ...protocol.errors import CloseReason
from .events import ConnectionLost, SessionEnded
from .trace import UiTrace
from .window import PAD, AgentWindow

SERVER_REASON_KEYS: dict[int, str] = {
    CloseReason.PEER_LOST: "ended.peer_lost",
    CloseReason.SERVER_SHUTDOWN: "ended.server_shutdown",
    CloseReason.SERVER_RESTARTED: "ended.server_restarted",
    CloseReason.TIMED_OUT: "ended.timed_out",
}


def reason_key(event: SessionEnded | ConnectionLost) -> str:
    """The message key of the sentence that says who ended the session, and why."""
    if isinstance(event, ConnectionLost):
        return "ended.connection_lost"
    if event.reason == CloseReason.DECLINED:
        return "ended.declined"
    if event.reason == CloseReason.REPORTED_BY_PERSON:
        return "ended.reported"
    if event.reason == CloseReason.MANDATE_REFUSED:
        return "ended.mandate_refused"
    if event.reason == CloseReason.MANDATE_EXPIRED:
        return "ended.mandate_expired"
    if event.by == By.TECHNICIAN:
        return "ended.by_technician"
    if event.by == By.PERSON:
        return "ended.by_person"
    return SERVER_REASON_KEYS.get(event.reason, "ended.by_server")


class EndedNotice(AgentWindow):
    """Says the session ended, by whom; Close (or the timeout) exits the agent.

    Args:
        on_close: called once, when the person closes the notice.
    """

    name = "ended"
    title_key = "ended.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_done: Callable[[], None]
    ) -> None:
        self.on_done = on_done
        super().__init__(root, t, trace, on_close=self.close)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.label(frame, t("ended.heading"), bold=True).pack(fill="x")
        self.why = self.label(frame, "")
        self.why.pack(fill="x", pady=(8, 0))
        # Said in words, so that the technician does not have to.
        self.label(frame, t("ended.control_off")).pack(fill="x", pady=(8, 0))
        self.label(frame, t("ended.nobody")).pack(fill="x", pady=(8, 0))
        # Replaced, while the technician writes a summary, by where it will show (report.py).
        self.closing = self.label(frame, t("ended.closing"))
        self.closing.pack(fill="x", pady=(8, 16))
        self.button(frame, "close", t("ended.close"), self.close, kind="primary").pack(
            side="right")

    def tell(self, event: SessionEnded | ConnectionLost) -> None:
        technician = event.technician if isinstance(event, SessionEnded) else ""
        self.why.configure(text=self.t(reason_key(event), technician=technician))
        self.show()

    def await_report(self, technician: str) -> None:
        """The technician writes a summary: it will show here; the window stays open."""
        self.closing.configure(text=self.t("ended.report_writing", technician=technician))
        self.changed()

    def report_timed_out(self) -> None:
        self.closing.configure(text=self.t("ended.report_timed_out"))
        self.changed()

    def close(self) -> None:
        self.on_done()
