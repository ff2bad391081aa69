"""Files with the technician: the question for each file offered, and the files window.

The question says who sends what (name, size) and where it goes (Downloads
unless the person chooses another folder); closing it refuses. The files
window lists each transfer with a progress bar, its speed and time left,
a Cancel button while it runs, and then what became of it, in words.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk
from typing import Any

from ...i18n import Translator
from ...protocol.enums import By, Direction
from . import events as ev
from .trace import INCOMPLETE, UiTrace
from .window import PAD, PROBLEM_COLOUR, AgentWindow

WRAP = 460
UNITS = ("B", "kB", "MB", "GB", "TB")
# Tk's own file dialog (tkfbox.tcl): its window and its "File name" entry.
CHOOSER = ".__tk_filedialog"
CHOOSER_ENTRY = CHOOSER + ".contents.f2.ent"
CHOOSER_TRACE_MS = 200


def human_size(size: float, t: Translator) -> str:
    """``1.5 MB`` / ``1,5 Mo``: one decimal below 10, none above; units from the catalog."""
    unit = 0
    while size >= 1000 and unit < len(UNITS) - 1:
        size /= 1000
        unit += 1
    number = f"{size:.1f}" if unit and size < 10 else f"{size:.0f}"
    if t.language == "fr":
        number = number.replace(".", ",")
    return t("files.size", number=number, unit=t(f"files.unit.{UNITS[unit]}"))


def human_duration(seconds: float, t: Translator) -> str:
    if seconds < 60:
        return t("files.time.seconds", n=max(1, round(seconds)))
    if seconds < 3600:
        return t("files.time.minutes", n=round(seconds / 60))
    return t("files.time.hours", n=round(seconds / 3600, 1))


def progress_text(done: int, total: int, elapsed: float, t: Translator) -> str:
    """``3.2 MB of 10 MB · 1.1 MB/s · 6 s left``."""
    text = t("files.progress", done=human_size(done, t), total=human_size(total, t))
    if elapsed > 0.2 and done > 0:
        speed = done / elapsed
        text += " · " + t("files.speed", speed=human_size(speed, t))
        if done < total:
            text += " · " + t("files.left", time=human_duration((total - done) / speed, t))
    return text


class FileQuestion(AgentWindow):
    """Accept or refuse a file from the technician, and choose where it goes.

    Args:
        on_answer: called with (transfer id, accepted, folder).
    """

    name = "file_question"
    title_key = "files.question_title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace,
        on_answer: Callable[[str, bool, str], None],
    ) -> None:
        self.on_answer = on_answer
        self.asking: ev.AskFile | None = None
        self.queue: list[ev.AskFile] = []
        self.folder = ""
        super().__init__(root, t, trace, on_close=lambda: self.answer(False))

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.asks = self.label(frame, "", bold=True, wrap=WRAP)
        self.asks.pack(fill="x")
        self.what = self.label(frame, "", wrap=WRAP)
        self.what.pack(fill="x", pady=(8, 0))
        self.where = self.label(frame, "", wrap=WRAP)
        self.where.pack(fill="x", pady=(8, 0))
        self.label(frame, t("files.question_note"), wrap=WRAP).pack(fill="x", pady=(8, 16))
        row = ttk.Frame(frame)
        row.pack(fill="x")
        self.button(row, "accept_file", t("files.accept"), lambda: self.answer(True),
                    kind="primary").pack(side="left")
        self.button(row, "refuse_file", t("files.refuse"), lambda: self.answer(False)).pack(
            side="left", padx=(12, 0))
        self.button(row, "choose_folder", t("files.choose_folder"), self.choose_folder).pack(
            side="left", padx=(12, 0))

    def ask(self, event: ev.AskFile) -> None:
        """Asks now, or after the question on screen is answered."""
        if self.asking is not None:
            self.queue.append(event)
            return
        self.asking, self.folder = event, event.folder
        t = self.t
        self.asks.configure(text=t("files.asks", sender=event.sender))
        self.what.configure(text=t("files.what", name=event.name,
                                   size=human_size(event.size, t)))
        self._show_folder()
        self.show()

    def _show_folder(self) -> None:
        self.where.configure(text=self.t("files.where", folder=self.folder))
        self.changed()

    def choose_folder(self) -> None:
        chosen = filedialog.askdirectory(
            parent=self.top, initialdir=self.folder, mustexist=False,
            title=self.t("files.choose_folder_title"),
        )
        if chosen:
            self.folder = str(chosen)
            self._show_folder()

    def answer(self, accept: bool) -> None:
        if self.asking is None:
            return  # a double click
        asked, self.asking = self.asking, None
        self.hide()
        self.on_answer(asked.id, accept, self.folder)
        if self.queue:
            self.ask(self.queue.pop(0))

    def withdraw_offer(self, transfer_id: str) -> None:
        """The technician cancelled a file the person has not answered yet."""
        self.queue = [e for e in self.queue if e.id != transfer_id]
        if self.asking is not None and self.asking.id == transfer_id:
            self.asking = None
            self.hide()
            if self.queue:
                self.ask(self.queue.pop(0))


class FilesWindow(AgentWindow):
    """Every transfer of the session with its progress; Cancel while one runs.

    Args:
        on_cancel: called with the id of the transfer the person stops.
    """

    name = "files"
    title_key = "files.window_title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace, on_cancel: Callable[[str], None]
    ) -> None:
        self.on_cancel = on_cancel
        self.rows: dict[str, dict[str, Any]] = {}
        super().__init__(root, t, trace, on_close=self.hide)

    def build(self) -> None:
        frame = ttk.Frame(self.top, padding=PAD)
        frame.pack(fill="both", expand=True)
        self.list = ttk.Frame(frame)
        self.list.pack(fill="both", expand=True)
        self.button(frame, "close_files", self.t("files.close"), self.hide).pack(
            anchor="e", pady=(8, 0))

    def place(self) -> None:
        # Bottom left: the chat window takes the bottom right.
        self.top.update_idletasks()
        y = self.top.winfo_screenheight() - self.top.winfo_reqheight() - 48
        self.top.geometry(f"+24+{max(0, y)}")

    def start(self, event: ev.FileStarted) -> None:
        t = self.t
        key = "files.receiving" if event.direction == Direction.TO_PERSON else "files.sending"
        row = ttk.Frame(self.list, padding=(0, 6))
        row.pack(fill="x")
        title = self.label(row, t(key, name=event.name), bold=True, wrap=WRAP)
        title.pack(fill="x")
        bar = ttk.Progressbar(row, length=WRAP, maximum=max(1, event.size), mode="determinate")
        bar.pack(fill="x", pady=(4, 0))
        first = "files.waiting" if event.direction == Direction.TO_PERSON else "files.preparing"
        detail = self.label(row, t(first), wrap=WRAP)
        detail.pack(fill="x")
        ident = f"cancel_{event.id[:8]}"
        cancel = self.button(row, ident, t("files.cancel"), lambda: self.on_cancel(event.id))
        cancel.pack(anchor="e")
        self.rows[event.id] = {"name": event.name, "size": event.size, "bar": bar,
                               "detail": detail, "button": ident, "state": "running",
                               "direction": event.direction}
        self.show()

    def progress(self, event: ev.FileProgress) -> None:
        row = self.rows.get(event.id)
        if row is None or row["state"] != "running":
            return
        row["bar"].configure(value=event.done)
        row["detail"].configure(text=progress_text(event.done, row["size"], event.elapsed,
                                                   self.t))
        self.changed()

    def update_state(self, event: ev.FileUpdate) -> None:
        row = self.rows.get(event.id)
        if row is None:
            if event.state in ("refused", "failed", "cancelled") and event.name:
                self.start(ev.FileStarted(event.id, event.name, 0, event.direction))
                row = self.rows[event.id]
            else:
                return
        if event.state == "waiting":
            row["detail"].configure(text=self.t("files.downloading"))
            self.changed()
            return
        row["state"] = event.state
        button = self.buttons.pop(row["button"], None)
        if button is not None:
            button.destroy()
        text = final_sentence(event, self.t)
        colour = PROBLEM_COLOUR if event.state in ("failed", "refused") else "#1a7f37"
        if event.state in ("delivered", "sent"):
            row["bar"].configure(value=row["size"])
        row["detail"].configure(text=text, foreground=colour)
        if not self.visible:
            self.show()
        self.changed()

    def describe(self) -> dict[str, Any] | None:
        description = super().describe()
        if description is None or description is INCOMPLETE:
            return description
        description["transfers"] = [
            {"id": ident, "name": row["name"], "state": row["state"],
             "text": str(row["detail"].cget("text"))}
            for ident, row in self.rows.items()
        ]
        return description


def final_sentence(event: ev.FileUpdate, t: Translator) -> str:
    """What became of a transfer, for the person."""
    if event.state == "delivered":
        return t("files.delivered", path=event.path)
    if event.state == "sent":
        return t("files.sent")
    reason = t(f"files.reason.{event.reason}") if event.reason else ""
    if event.state == "cancelled":
        sentence = t(f"files.cancelled.{event.by or 'person'}")
        return f"{sentence} {reason}".strip() if event.by == By.SERVER else sentence
    return t(f"files.{event.state}", reason=reason or t("files.reason.write_error"))


def describe_chooser(root: tk.Tk, t: Translator) -> dict[str, Any] | None:
    """Tk's file dialog while it is open, for the UI trace: its "File name" entry."""
    call = root.tk.call
    try:
        if not int(call("winfo", "exists", CHOOSER_ENTRY)) or not int(
            call("winfo", "ismapped", CHOOSER)
        ):
            return None
        geometry = {key: int(call("winfo", f"root{key}" if key in "xy" else key, CHOOSER_ENTRY))
                    for key in ("x", "y", "width", "height")}
        return {"name": "file_chooser", "title": str(call("wm", "title", CHOOSER)),
                "texts": [], "buttons": {},
                "entries": {"file_name": {"text": str(call(CHOOSER_ENTRY, "get")), **geometry}}}
    except tk.TclError:
        return None


def choose_file(root: tk.Tk, t: Translator, trace: UiTrace, technician: str, *,
                save_as: str = "", folder: str = "", title: str = "") -> str:
    """Tk's file dialog, traced while open; the path chosen, or "".

    Args:
        save_as: a file name to save under (the dialog to save), "" to open a file.
        folder: where the dialog opens; "" for the current folder.
        title: the dialog's title; "" for the one of a file sent to ``technician``.
    """
    open_ = [True]

    def keep_tracing() -> None:
        if open_[0]:
            trace.schedule(root)
            root.after(CHOOSER_TRACE_MS, keep_tracing)

    root.after(CHOOSER_TRACE_MS, keep_tracing)
    title = title or t("files.choose_file_title", technician=technician)
    try:
        if save_as:
            chosen = filedialog.asksaveasfilename(
                parent=root, title=title, initialfile=save_as, initialdir=folder or None)
        else:
            chosen = filedialog.askopenfilename(parent=root, title=title,
                                                initialdir=folder or None)
    finally:
        open_[0] = False
        trace.schedule(root)
    return str(chosen) if chosen else ""
