"""What every agent window shares: a Tk toplevel that stays on top, its texts,
its buttons with stable ids, and its description for the UI trace."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any, ClassVar

from ...i18n import Translator
from .trace import INCOMPLETE, UiTrace

FONT = ("DejaVu Sans", 11)
FONT_BOLD = ("DejaVu Sans", 12, "bold")
BACKGROUND = "#fbfbf8"
TEXT_COLOUR = "#1f2328"
PROBLEM_COLOUR = "#a4262c"
PAD = 14


def geometry_of(widget: tk.Misc) -> dict[str, int]:
    return {
        "x": widget.winfo_rootx(), "y": widget.winfo_rooty(),
        "width": widget.winfo_width(), "height": widget.winfo_height(),
    }


class AgentWindow:
    """One of the person's windows, hidden until ``show()``.

    Subclasses build their content in ``build()`` with ``label()``,
    ``button()`` and ``entry()``, which register what the trace reports.

    Args:
        root: the hidden Tk root.
        t: the translator of the ``agent`` domain.
        trace: where the window describes itself.
        on_close: what the window manager's close button does; None ignores it.
    """

    name: ClassVar[str] = ""
    title_key: ClassVar[str] = ""

    def __init__(
        self,
        root: tk.Tk,
        t: Translator,
        trace: UiTrace,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.root = root
        self.t = t
        self.trace = trace
        # A thin border: without a window manager there is no frame around windows.
        self.top = tk.Toplevel(
            root, background=BACKGROUND, highlightthickness=1, highlightbackground="#8c8c8c"
        )
        self.top.withdraw()
        self.top.title(t(self.title_key))
        self.top.resizable(False, False)
        # Stay above the applications the technician works in.
        self.top.attributes("-topmost", True)
        self.top.protocol("WM_DELETE_WINDOW", on_close or (lambda: None))
        self.labels: list[tk.Label] = []
        self.buttons: dict[str, tk.Button] = {}
        self.entries: dict[str, tk.Entry] = {}
        self.visible = False
        # Geometry is only known once mapped, and changes if a window manager moves it.
        self.top.bind("<Map>", lambda _e: self.changed(), add="+")
        self.top.bind("<Configure>", lambda _e: self.changed(), add="+")
        trace.register(self.describe)
        self.build()

    def build(self) -> None:
        """Creates the window's widgets."""

    # --- widgets -------------------------------------------------------------

    def label(
        self, parent: tk.Misc, text: str = "", *, bold: bool = False, wrap: int = 420,
        colour: str = TEXT_COLOUR,
    ) -> tk.Label:
        widget = tk.Label(
            parent, text=text, font=FONT_BOLD if bold else FONT, background=BACKGROUND,
            foreground=colour, wraplength=wrap, justify="left", anchor="w",
        )
        self.labels.append(widget)
        return widget

    def button(
        self, parent: tk.Misc, ident: str, text: str, command: Callable[[], None], *,
        primary: bool = False,
    ) -> tk.Button:
        widget = tk.Button(
            parent, text=text, command=command, font=FONT_BOLD if primary else FONT,
            padx=12, pady=4, cursor="hand2",
        )
        self.buttons[ident] = widget
        return widget

    def entry(self, parent: tk.Misc, ident: str, width: int = 14) -> tk.Entry:
        widget = tk.Entry(parent, font=("DejaVu Sans Mono", 16), width=width, justify="center")
        self.entries[ident] = widget
        return widget

    # --- showing -------------------------------------------------------------

    def place(self) -> None:
        """Puts the window on screen: centred, a little above the middle."""
        self.top.update_idletasks()
        width, height = self.top.winfo_reqwidth(), self.top.winfo_reqheight()
        x = (self.top.winfo_screenwidth() - width) // 2
        y = max(0, (self.top.winfo_screenheight() - height) // 3)
        self.top.geometry(f"+{x}+{y}")

    def show(self) -> None:
        self.place()
        self.top.deiconify()
        self.top.lift()
        self.visible = True
        self.changed()

    def hide(self) -> None:
        self.top.withdraw()
        self.visible = False
        self.changed()

    def changed(self) -> None:
        """Something the person sees changed: rewrite the trace once Tk is idle."""
        self.trace.schedule(self.root)

    # --- trace ---------------------------------------------------------------

    def describe(self) -> dict[str, Any] | None:
        if not self.visible or not self.top.winfo_exists():
            return None
        widgets: list[tk.Widget] = [*self.labels, *self.buttons.values(), *self.entries.values()]
        if not self.top.winfo_ismapped() or any(
            w.winfo_manager() and not w.winfo_ismapped() for w in widgets
        ):
            return INCOMPLETE
        return {
            "name": self.name,
            "title": self.top.title(),
            "texts": [
                str(w.cget("text")) for w in self.labels
                if w.winfo_ismapped() and str(w.cget("text"))
            ],
            "buttons": {
                ident: {"label": str(w.cget("text")), **geometry_of(w)}
                for ident, w in self.buttons.items() if w.winfo_ismapped()
            },
            "entries": {
                ident: {"text": w.get(), **geometry_of(w)}
                for ident, w in self.entries.items() if w.winfo_ismapped()
            },
        }
