"""The mandate to read and sign, before anything is shared; later, an extension of it.

The window names who asks, shows the whole text (scrolled when long), and
says how to stop: *Do not sign* ends the session and nothing is shared
(for an extension, *Not now* changes nothing). The person types their name
(*Sign* stays disabled until they do) and may draw a signature with the
mouse: the points of each stroke are recorded and drawn into a PNG with
Pillow, the size of the pad, black on white. Closing the window is the
cautious answer, as on every question.
"""

from __future__ import annotations

import io
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from PIL import Image, ImageDraw

from ...i18n import Translator
from .events import AskMandate
from .look import BORDER_COLOUR, MUTED_COLOUR, TEXT_COLOUR, TEXT_FONT
from .trace import INCOMPLETE, UiTrace
from .window import PAD, AgentWindow, geometry_of, technician_name

PAD_WIDTH, PAD_HEIGHT = 480, 120   # the signature pad, in pixels
STROKE_WIDTH = 3
TEXT_CHARS = 52                     # the mandate's text: its width in characters
# And its height, in lines: an extension's window must fit under the banner on a 768-pixel screen.
TEXT_LINES = {"mandate": 9, "extension": 3}
MIN_TEXT_LINES = 2
MIN_PAD_HEIGHT = 80
WIDE_WRAP = 600

Point = tuple[int, int]


def draw_signature(strokes: list[list[Point]], size: tuple[int, int] = (PAD_WIDTH, PAD_HEIGHT),
                   ) -> bytes:
    """The strokes as a PNG, black on white; b"" when nothing was drawn."""
    if not any(strokes):
        return b""
    image = Image.new("L", size, 255)
    pen = ImageDraw.Draw(image)
    radius = STROKE_WIDTH / 2
    for stroke in strokes:
        if len(stroke) == 1:  # a dot
            (x, y), = stroke
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
        elif stroke:
            pen.line(stroke, fill=0, width=STROKE_WIDTH, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class MandateWindow(AgentWindow):
    """Shows one offer at a time: a mandate, or an extension.

    Args:
        on_sign: called once per offer with its SHA-256, the name typed and the PNG drawn.
        on_refuse: called once per offer with its SHA-256 (*Do not sign*, *Not now*).
    """

    name = "mandate"
    title_key = "mandate.title"

    def __init__(
        self, root: tk.Tk, t: Translator, *, trace: UiTrace,
        on_sign: Callable[[str, str, bytes], None], on_refuse: Callable[[str], None],
    ) -> None:
        self.on_sign = on_sign
        self.on_refuse = on_refuse
        self.offer: AskMandate | None = None
        self.strokes: list[list[Point]] = []
        self.pad_height = PAD_HEIGHT
        super().__init__(root, t, trace, on_close=self.refuse)

    def build(self) -> None:
        t = self.t
        frame = ttk.Frame(self.top, padding=(PAD * 2, PAD))
        frame.pack(fill="both", expand=True)
        self.asks = self.label(frame, "", bold=True, wrap=WIDE_WRAP)
        self.asks.pack(fill="x")
        box = ttk.Frame(frame)
        box.pack(fill="x", pady=(8, 0))
        self.text = tk.Text(
            box, font=TEXT_FONT, width=TEXT_CHARS, height=TEXT_LINES["mandate"], wrap="word",
            background="#ffffff", foreground=TEXT_COLOUR, relief="flat", highlightthickness=1,
            highlightbackground=BORDER_COLOUR, padx=8, pady=6, cursor="arrow",
        )
        scroll = ttk.Scrollbar(box, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        self.text.pack(side="left", fill="both", expand=True)
        scroll.pack(side="right", fill="y")
        self.how_to_stop = self.label(frame, "", wrap=WIDE_WRAP)
        self.how_to_stop.pack(fill="x", pady=(8, 0))

        row = ttk.Frame(frame)
        row.pack(fill="x", pady=(12, 0))
        self.label(row, t("mandate.your_name"), wrap=0).pack(side="left")
        self.name_value = tk.StringVar(self.top)
        self.name_entry = ttk.Entry(row, textvariable=self.name_value, font=TEXT_FONT, width=28)
        self.name_entry.pack(side="left", padx=(8, 0))
        self.entries["name"] = self.name_entry
        self.name_value.trace_add("write", lambda *_: self._enable_sign())

        row = ttk.Frame(frame)
        row.pack(fill="x", pady=(12, 4))
        self.label(row, t("mandate.draw"), wrap=0, colour=MUTED_COLOUR).pack(side="left")
        self.button(row, "clear", t("mandate.clear"), self.clear).pack(side="right")
        self.pad = tk.Canvas(frame, width=PAD_WIDTH, height=PAD_HEIGHT, background="#ffffff",
                             highlightthickness=1, highlightbackground=BORDER_COLOUR,
                             cursor="pencil")
        self.pad.pack(anchor="w")
        self.pad.bind("<ButtonPress-1>", self._press)
        self.pad.bind("<B1-Motion>", self._move)

        row = ttk.Frame(frame)
        row.pack(fill="x", pady=(16, 0))
        self.sign_button = self.button(row, "sign", t("mandate.sign"), self.sign, kind="primary")
        self.sign_button.pack(side="left")
        self.refuse_button = self.button(row, "refuse", "", self.refuse)
        self.refuse_button.pack(side="left", padx=(12, 0))
        self._enable_sign()

    # --- the signature pad ---------------------------------------------------

    def _inside(self, event: tk.Event[Any]) -> Point:
        return (max(0, min(PAD_WIDTH - 1, int(event.x))),
                max(0, min(self.pad_height - 1, int(event.y))))

    def _press(self, event: tk.Event[Any]) -> None:
        point = self._inside(event)
        self.strokes.append([point])
        x, y = point
        self.pad.create_oval(x - 1, y - 1, x + 1, y + 1, fill="#000000", outline="#000000")
        self.changed()

    def _move(self, event: tk.Event[Any]) -> None:
        if not self.strokes:
            return
        point = self._inside(event)
        stroke = self.strokes[-1]
        if point == stroke[-1]:
            return
        self.pad.create_line(*stroke[-1], *point, width=STROKE_WIDTH, capstyle="round",
                             fill="#000000")
        stroke.append(point)
        self.changed()

    def clear(self) -> None:
        """Rubs the drawing out; the name stays."""
        self.strokes = []
        self.pad.delete("all")
        self.changed()

    # --- the offer -------------------------------------------------------------

    def ask(self, offer: AskMandate) -> None:
        """Shows an offer; the same offer again (after a drop) keeps what was typed and drawn."""
        if self.offer is not None and self.offer.sha256 == offer.sha256 and self.visible:
            return
        t = self.t
        extension = offer.kind == "extension"
        if self.offer is None or self.offer.sha256 != offer.sha256:
            self.clear()  # a signature belongs to one text; the name is kept
        self.offer = offer
        who = technician_name(t, offer.technician, offer.organisation, subject=True)
        self.top.title(t("mandate.extension_title" if extension else "mandate.title"))
        self.asks.configure(text=t("mandate.extension_asks" if extension else "mandate.asks",
                                   who=who))
        self.how_to_stop.configure(
            text=t("mandate.extension_not_now_means" if extension else "mandate.refuse_means"))
        self.refuse_button.configure(
            text=t("mandate.not_now" if extension else "mandate.refuse"))
        self.text.configure(state="normal", height=TEXT_LINES[
            "extension" if extension else "mandate"])
        self.pad_height = PAD_HEIGHT
        self.pad.configure(height=PAD_HEIGHT)
        self.text.delete("1.0", "end")
        self.text.insert("1.0", offer.text)
        self.text.configure(state="disabled")
        self.text.yview_moveto(0)
        self._enable_sign()
        self.show()
        self.name_entry.focus_set()

    def place(self) -> None:
        """Under the banner if it is shown: the text gives up lines (to two), then the pad
        some height, for the window to fit there, as a tall banner leaves less room."""
        banner = self.below
        if banner is not None and banner.visible:
            self.top.update_idletasks()
            room = (self.top.winfo_screenheight() - banner.top.winfo_rooty()
                    - banner.top.winfo_height() - PAD)
            lines = int(self.text.cget("height"))
            while self.top.winfo_reqheight() > room and lines > MIN_TEXT_LINES:
                lines -= 1
                self.text.configure(height=lines)
                self.top.update_idletasks()
            over = self.top.winfo_reqheight() - room
            if over > 0:
                self.pad_height = max(MIN_PAD_HEIGHT, PAD_HEIGHT - over)
                self.pad.configure(height=self.pad_height)
                self.top.update_idletasks()
        super().place()

    def _enable_sign(self) -> None:
        self.sign_button.state(["!disabled" if self.name_value.get().strip() else "disabled"])
        self.changed()

    def sign(self) -> None:
        offer, name = self.offer, self.name_value.get().strip()
        if offer is None or not self.visible or not name:
            return
        drawing = draw_signature(self.strokes, (PAD_WIDTH, self.pad_height))
        self.offer = None
        self.hide()
        self.on_sign(offer.sha256, name, drawing)

    def refuse(self) -> None:
        offer = self.offer
        if offer is None or not self.visible:
            return
        self.offer = None
        self.hide()
        self.on_refuse(offer.sha256)

    def forget(self) -> None:
        """The session ended: nothing is asked any more."""
        self.offer = None
        if self.visible:
            self.hide()

    def describe(self) -> dict[str, Any] | None:
        description = super().describe()
        if description is not None and description is not INCOMPLETE:
            description["mandate_text"] = self.text.get("1.0", "end-1c")
            description["sign_enabled"] = not self.sign_button.instate(["disabled"])
            description["strokes"] = [len(stroke) for stroke in self.strokes]
            description["pad"] = geometry_of(self.pad)
        return description
