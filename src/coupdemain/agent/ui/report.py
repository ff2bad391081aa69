"""The summary of the session, as the technician sent it: what was done, the result, what
comes next; Save as PDF…, and "Is there anything else you need?" with a note for the technician.

Short and calm: the whole timeline is in the PDF; the window says what the
person needs to know. Its content comes from the server (``agent/report.py``).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from datetime import datetime
from tkinter import filedialog, ttk
from typing import Any

from ...i18n import Translator
from ..report import MAX_NOTE_CHARACTERS
from ..transfer import default_folder
from .look import BOLD_FONT, MUTED_COLOUR, PROBLEM_COLOUR, TEXT_FONT
from .trace import INCOMPLETE, UiTrace
from .transfer import CHOOSER_TRACE_MS
from .window import PAD, AgentWindow, geometry_of, technician_name

WIDE = 560          # this window's text width, in pixels
TEXT_LINES = 7      # the summary's box; longer summaries scroll


def _local(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso).astimezone()
    except (TypeError, ValueError):
        return None


class ReportWindow(AgentWindow):
    """Shows the report once it is sent.

    Args:
        on_save: called with the path the person chose for the PDF.
        on_send: called with the person's note.
        on_done: the person closed the window.
    """

    name = "report"
    title_key = "report.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_save: Callable[[str], None],
        on_send: Callable[[str], None], on_done: Callable[[], None],
    ) -> None:
        self.on_save = on_save
        self.on_send = on_send
        self.on_done = on_done
        self.documents = Translator("documents", t.language)
        self.report: dict[str, Any] = {}
        self.technician = ""
        super().__init__(root, t, trace, on_close=self.close)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.heading = self.label(frame, "", bold=True, wrap=WIDE)
        self.heading.pack(fill="x")
        self.when = self.label(frame, "", wrap=WIDE)
        self.when.pack(fill="x", pady=(4, 0))
        self.outcome = self.label(frame, "", bold=True, wrap=WIDE)
        self.outcome.pack(fill="x", pady=(8, 8))
        self.summary = tk.Text(frame, width=52, height=TEXT_LINES, font=TEXT_FONT, wrap="word",
                               background="#ffffff", relief="solid", borderwidth=1)
        self.summary.tag_configure("heading", font=BOLD_FONT)
        self.summary.pack(fill="x")
        row = ttk.Frame(frame)
        row.pack(fill="x", pady=(8, 0))
        self.button(row, "save_pdf", t("report.save"), self.save).pack(side="left")
        self.saved = self.label(frame, "", wrap=WIDE, colour=MUTED_COLOUR)
        self.saved.pack(fill="x", pady=(4, 0))
        self.label(frame, t("report.anything_else"), bold=True, wrap=WIDE).pack(
            fill="x", pady=(12, 0))
        self.note_hint = self.label(frame, "", wrap=WIDE)
        self.note_hint.pack(fill="x")
        self.note = tk.Text(frame, width=52, height=3, font=TEXT_FONT, wrap="word",
                            background="#ffffff", relief="solid", borderwidth=1)
        self.note.pack(fill="x", pady=(4, 0))
        self.sent = self.label(frame, "", wrap=WIDE)
        self.sent.pack(fill="x", pady=(4, 0))
        buttons = ttk.Frame(frame)
        buttons.pack(fill="x", pady=(8, 0))
        self.button(buttons, "close", t("report.close"), self.close).pack(side="right")
        self.button(buttons, "send", t("report.send"), self.send, kind="primary").pack(
            side="right", padx=(0, 8))
        self.label(frame, t("report.nothing_shared"), wrap=WIDE, colour=MUTED_COLOUR).pack(
            fill="x", pady=(12, 0))

    # --- what the server sent ----------------------------------------------------

    def show_report(self, report: dict[str, Any]) -> None:
        t, d = self.t, self.documents
        self.report = report
        self.technician = str(report.get("technician", ""))
        who = technician_name(t, self.technician, str(report.get("organisation", "")))
        self.heading.configure(text=t("report.heading", who=who))
        timeline = report.get("timeline") or {}
        start, end = _local(timeline.get("started_at", "")), _local(timeline.get("ended_at", ""))
        if start is not None and end is not None:
            self.when.configure(text=t("report.when", day=start.strftime(t("report.day_format")),
                                       start=start.strftime("%H:%M"), end=end.strftime("%H:%M")))
        outcome = str(report.get("outcome") or "none")
        self.outcome.configure(text=t("report.outcome", outcome=d(f"report.outcome.{outcome}")))
        self.summary.configure(state="normal")
        self.summary.delete("1.0", "end")
        self.summary.insert("end", t("report.done") + "\n", ("heading",))
        self.summary.insert("end", str(report.get("done", "")) + "\n")
        follow_ups = report.get("follow_ups") or []
        if follow_ups:
            self.summary.insert("end", "\n" + t("report.follow_ups") + "\n", ("heading",))
            for follow_up in follow_ups:
                line = f"• {follow_up.get('text', '')}"
                if follow_up.get("new_mandate"):
                    line += " " + t("report.new_mandate")
                self.summary.insert("end", line + "\n")
        self.summary.configure(state="disabled")
        self.note_hint.configure(text=t("report.anything_else_hint", technician=self.technician))
        self.show()

    def saved_at(self, path: str) -> None:
        self.saved.configure(text=self.t("report.saved", path=path), foreground=MUTED_COLOUR)
        self.changed()

    def problem(self, key: str) -> None:
        self.saved.configure(text=self.t(key), foreground=PROBLEM_COLOUR)
        self.changed()

    def note_sent(self) -> None:
        self.note.delete("1.0", "end")
        self.sent.configure(text=self.t("report.note_sent", technician=self.technician))
        self.changed()

    # --- the person's clicks -------------------------------------------------------

    def save(self) -> None:
        path = choose_save_path(self.root, self.t, self.trace)
        if path:
            self.on_save(path)

    def send(self) -> None:
        text = self.note.get("1.0", "end").strip()
        if not text:
            return
        if len(text) > MAX_NOTE_CHARACTERS:
            self.problem("report.problem.note_long")
            return
        self.sent.configure(text="")
        self.on_send(text)

    def close(self) -> None:
        self.on_done()

    def describe(self) -> dict[str, Any] | None:
        description = super().describe()
        if description is None or description is INCOMPLETE:
            return description
        description["summary"] = self.summary.get("1.0", "end").strip()
        description["note"] = self.note.get("1.0", "end").strip()
        description["note_box"] = geometry_of(self.note)  # where to click to type in it
        return description


def choose_save_path(root: tk.Tk, t: Translator, trace: UiTrace) -> str:
    """Tk's save dialog, traced while open (``describe_chooser``); the path, or ""."""
    open_ = [True]

    def keep_tracing() -> None:
        if open_[0]:
            trace.schedule(root)
            root.after(CHOOSER_TRACE_MS, keep_tracing)

    root.after(CHOOSER_TRACE_MS, keep_tracing)
    folder = default_folder()
    try:
        chosen = filedialog.asksaveasfilename(
            parent=root, title=t("report.save_title"), defaultextension=".pdf",
            initialfile=t("report.file_name") + ".pdf",
            initialdir=str(folder) if folder.is_dir() else None,
            filetypes=[("PDF", "*.pdf")])
    finally:
        open_[0] = False
        trace.schedule(root)
    return str(chosen) if chosen else ""
