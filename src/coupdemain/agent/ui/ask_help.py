"""*Ask for help* on a managed device: the always-visible button and its two windows.

The device's service (``agent/device/ask.py``) runs this as its own process,
``python -m coupdemain.agent.ui.ask_help --lang fr``, so that its windows
never hold up the service, and a computer without a display still has its
service. They speak JSON lines: the service writes what became of the
request on this process's stdin, this process writes the person's clicks on
its stdout::

    service → window   {"state": "connected" | "offline" | "open" | "taken" | "cancelled"
                                 | "ended" | "not_sent", "organisation": …, "technician": …}
    window → service   {"do": "ask", "words": "…"} | {"do": "cancel"}

Without a window manager nothing keeps a window above the others: the
button lifts itself every ``LIFT_MS`` (docs: research on the tray, the Tk
fallback). The process ends when its stdin closes (the service stopped).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import sys
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ...i18n import Translator, normalize, system_language
from ...protocol.device import MAX_HELP_WORDS
from .look import MUTED_COLOUR, TEXT_FONT
from .trace import INCOMPLETE, UiTrace
from .window import PAD, AgentWindow, geometry_of

logger = logging.getLogger("coupdemain.agent.ask")

LIFT_MS = 2000
POLL_MS = 100
CLOSE_AFTER_MS = 15000  # a request taken or cancelled: the sentence, then the window goes
MARGIN = 24


class AskButton(AgentWindow):
    """The small window, always on top, bottom right: one button, *Ask for help*."""

    name = "ask_button"
    title_key = "ask.title"

    def __init__(self, root: tk.Tk, t: Translator, trace: UiTrace,
                 on_click: Callable[[], None]) -> None:
        self.on_click = on_click
        super().__init__(root, t, trace)

    def build(self) -> None:
        frame = ttk.Frame(self.top, padding=8)
        frame.pack(fill="both", expand=True)
        self.button(frame, "ask", self.t("ask.button"), self.on_click, kind="primary").pack(
            fill="both", expand=True)

    def place(self) -> None:
        self.top.update_idletasks()
        x = self.top.winfo_screenwidth() - self.top.winfo_reqwidth() - MARGIN
        y = self.top.winfo_screenheight() - self.top.winfo_reqheight() - MARGIN * 2
        self.top.geometry(f"+{max(0, x)}+{max(0, y)}")

    def keep_on_top(self) -> None:
        if self.visible:
            self.top.lift()
        self.root.after(LIFT_MS, self.keep_on_top)


class AskWindow(AgentWindow):
    """What is wrong? (optional), a text box, Send / Cancel."""

    name = "ask"
    title_key = "ask.title"

    def __init__(self, root: tk.Tk, t: Translator, trace: UiTrace,
                 on_send: Callable[[str], None]) -> None:
        self.on_send = on_send
        super().__init__(root, t, trace, on_close=self.hide)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.label(frame, t("ask.heading"), bold=True).pack(fill="x")
        self.label(frame, t("ask.what")).pack(fill="x", pady=(8, 4))
        self.words = tk.Text(frame, width=40, height=4, font=TEXT_FONT, wrap="word",
                             background="#ffffff", relief="solid", borderwidth=1)
        self.words.pack(fill="x")
        self.words.bind("<KeyRelease>", lambda _e: self.changed(), add="+")
        row = ttk.Frame(frame)
        row.pack(fill="x", pady=(16, 0))
        self.button(row, "send", t("ask.send"), self.send, kind="primary").pack(side="left")
        self.button(row, "cancel", t("ask.cancel"), self.hide).pack(side="left", padx=(12, 0))

    def open(self) -> None:
        self.words.delete("1.0", "end")
        self.show()
        # Without a window manager nothing gives the text box the keyboard.
        self.root.after(50, self.words.focus_force)

    def send(self) -> None:
        words = self.words.get("1.0", "end").strip()[:MAX_HELP_WORDS]
        self.hide()
        self.on_send(words)

    def describe(self) -> dict[str, Any] | None:
        description = super().describe()
        if description is None or description is INCOMPLETE:
            return description
        description["text_box"] = {"text": self.words.get("1.0", "end").rstrip("\n"),
                                   **geometry_of(self.words)}
        return description


class SentWindow(AgentWindow):
    """What became of the request: sent, taken, cancelled, lost; *Cancel my request* while open."""

    name = "ask_sent"
    title_key = "ask.title"

    def __init__(self, root: tk.Tk, t: Translator, trace: UiTrace,
                 on_cancel: Callable[[], None]) -> None:
        self.on_cancel = on_cancel
        self._closing: str | None = None
        super().__init__(root, t, trace, on_close=self.hide)

    def build(self) -> None:
        frame = ttk.Frame(self.top, padding=PAD * 2)
        frame.pack(fill="both", expand=True)
        self.message = self.label(frame, "", bold=True)
        self.message.pack(fill="x")
        self.detail = self.label(frame, "", colour=MUTED_COLOUR)
        self.detail.pack(fill="x", pady=(8, 0))
        row = self.row = ttk.Frame(frame)
        row.pack(fill="x", pady=(16, 0))
        self.cancel = self.button(row, "cancel_request", self.t("ask.cancel_request"),
                                  self.on_cancel, kind="stop")
        self.close = self.button(row, "close", self.t("ask.close"), self.hide)

    def say(self, message: str, detail: str = "", *, can_cancel: bool = False,
            close_after: int | None = None) -> None:
        self.message.configure(text=message)
        self.detail.configure(text=detail)
        if detail:
            self.detail.pack(fill="x", pady=(8, 0), before=self.row)
        else:
            self.detail.pack_forget()
        self.cancel.pack_forget()
        self.close.pack_forget()
        if can_cancel:
            self.cancel.pack(side="left", padx=(0, 12))
        self.close.pack(side="left")
        if self._closing is not None:
            self.root.after_cancel(self._closing)
            self._closing = None
        if close_after is not None:
            self._closing = self.root.after(close_after, self.hide)
        self.show()


class AskForHelp:
    """The three windows and the request's state, driven by the service's lines."""

    def __init__(self, root: tk.Tk, t: Translator, trace: UiTrace,
                 write: Callable[[dict[str, Any]], None]) -> None:
        self.t = t
        self.write = write
        self.organisation = ""
        self.connected = False
        self.request_open = False  # sent, and neither taken nor cancelled yet
        self.button = AskButton(root, t, trace, self.clicked)
        self.ask = AskWindow(root, t, trace, self.send)
        self.sent = SentWindow(root, t, trace, self.cancel)
        self.button.show()
        self.button.keep_on_top()

    def clicked(self) -> None:
        if self.request_open:
            self._say_open()
        else:
            self.sent.hide()
            self.ask.open()

    def send(self, words: str) -> None:
        self.write({"do": "ask", "words": words})
        self.sent.say(self.t("ask.sending"))

    def cancel(self) -> None:
        self.write({"do": "cancel"})

    def _say_open(self) -> None:
        self.sent.say(self.t("ask.sent", name=self.organisation),
                      self.t("ask.sent_detail"), can_cancel=True)

    def receive(self, line: dict[str, Any]) -> None:
        """One line from the service."""
        state = str(line.get("state", ""))
        self.organisation = str(line.get("organisation") or self.organisation)
        t = self.t
        match state:
            case "connected":
                self.connected = True
            case "offline":
                self.connected = False
            case "open":
                self.request_open = True
                self._say_open()
            case "taken":
                self.request_open = False
                self.sent.say(t("ask.taken", technician=str(line.get("technician", "")),
                                name=self.organisation),
                              close_after=CLOSE_AFTER_MS)
            case "cancelled":
                self.request_open = False
                self.sent.say(t("ask.cancelled"), close_after=CLOSE_AFTER_MS)
            case "ended":
                self.request_open = False
                self.sent.say(t("ask.lost"), t("ask.ask_again"))
            case "not_sent":
                self.request_open = False
                self.sent.say(t("ask.not_sent"), t("ask.ask_again"))
            case _:
                logger.debug("line %r ignored", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coupdemain.agent.ui.ask_help")
    parser.add_argument("--lang", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    t = Translator("agent", normalize(args.lang) if args.lang else system_language())
    try:
        root = tk.Tk(className="coupdemain")
    except tk.TclError as exc:
        print(f"no window for Ask for help: {exc}", file=sys.stderr)
        return 2
    root.withdraw()
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        for text in sys.stdin:
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                lines.put(value)
        lines.put(None)  # the service is gone

    def write(value: dict[str, Any]) -> None:
        try:
            sys.stdout.write(json.dumps(value) + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):
            root.quit()

    windows = AskForHelp(root, t, UiTrace.from_environment(), write)

    def poll() -> None:
        while True:
            try:
                line = lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                root.quit()
                return
            windows.receive(line)
        root.after(POLL_MS, poll)

    threading.Thread(target=read, name="ask-help-stdin", daemon=True).start()
    root.after(POLL_MS, poll)
    root.mainloop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
