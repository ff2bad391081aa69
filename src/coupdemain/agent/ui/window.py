"""What every agent window shares: a Tk toplevel that stays on top, its texts,
its buttons with stable ids, and its description for the UI trace."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any, ClassVar

from ...i18n import Translator
from .brand import BrandHeader
from .events import Branded
from .look import (
    BACKGROUND,
    BORDER_COLOUR,
    BUTTON_STYLES,
    CODE_FONT,
    PROBLEM_COLOUR,
    TEXT_COLOUR,
    ButtonKind,
    apply_look,
)
from .trace import INCOMPLETE, UiTrace

__all__ = ["BACKGROUND", "PAD", "PROBLEM_COLOUR", "TEXT_COLOUR", "AgentWindow",
           "technician_name"]

PAD = 16
WRAP = 480  # the width of a dialog's text, in pixels


def technician_name(t: Translator, technician: str, organisation: str, *,
                    subject: bool = False) -> str:
    """How every window names the technician: "Alice Martin, Entraide Numérique".

    Args:
        t: the translator of the ``agent`` domain.
        technician, organisation: as the server gave them; either may be empty.
        subject: the name starts a sentence ("Alice Martin, Entraide Numérique,
            can see your screen."): the organisation is closed by a comma too.
    """
    technician, organisation = technician.strip(), organisation.strip()
    if not organisation:
        return technician
    if not technician:
        return organisation
    key = "technician.named_subject" if subject else "technician.named"
    return t(key, technician=technician, organisation=organisation)


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
        apply_look(root)
        self.top = tk.Toplevel(
            root, background=BACKGROUND, highlightthickness=1, highlightbackground=BORDER_COLOUR
        )
        self.top.withdraw()
        self.top.title(t(self.title_key))
        self.top.resizable(False, False)
        # Stay above the applications the technician works in.
        self.top.attributes("-topmost", True)
        self.top.protocol("WM_DELETE_WINDOW", on_close or (lambda: None))
        self.labels: list[ttk.Label] = []
        self.buttons: dict[str, ttk.Button | ttk.Checkbutton] = {}
        self.entries: dict[str, ttk.Entry] = {}
        self.visible = False
        self.below: AgentWindow | None = None  # the banner, which stays above
        self.header: BrandHeader | None = None  # the organisation's branding, once known
        # Geometry is only known once mapped, and changes if a window manager moves it.
        self.top.bind("<Map>", lambda _e: self.changed(), add="+")
        self.top.bind("<Configure>", lambda _e: self.changed(), add="+")
        trace.register(self.describe)
        self.build()

    def build(self) -> None:
        """Creates the window's widgets."""

    # --- widgets -------------------------------------------------------------

    def label(
        self, parent: tk.Misc, text: str = "", *, bold: bool = False, wrap: int = WRAP,
        colour: str = TEXT_COLOUR,
    ) -> ttk.Label:
        widget = ttk.Label(
            parent, text=text, style="Heading.TLabel" if bold else "TLabel",
            foreground=colour, wraplength=wrap, justify="left", anchor="w",
        )
        self.labels.append(widget)
        return widget

    def button(
        self, parent: tk.Misc, ident: str, text: str, command: Callable[[], None], *,
        kind: ButtonKind = "plain",
    ) -> ttk.Button:
        widget = ttk.Button(
            parent, text=text, command=command, style=BUTTON_STYLES[kind], cursor="hand2",
        )
        self.buttons[ident] = widget
        return widget

    def entry(self, parent: tk.Misc, ident: str, width: int = 12) -> ttk.Entry:
        widget = ttk.Entry(parent, font=CODE_FONT, width=width, justify="center")
        self.entries[ident] = widget
        return widget

    def show_brand(self, brand: Branded, logo: tk.PhotoImage | None) -> None:
        """Puts the organisation's stripe, logo and name at the top of the window."""
        if self.header is not None:
            self.header.frame.destroy()
        self.header = BrandHeader(self.top, brand, logo)
        if self.visible:
            self.place()
        self.changed()

    # --- showing -------------------------------------------------------------

    def place(self) -> None:
        """Puts the window on screen: centred, a little above the middle, under
        the banner (``below``) if it is shown, so that it hides no line of it."""
        self.top.update_idletasks()
        width, height = self.top.winfo_reqwidth(), self.top.winfo_reqheight()
        screen_height = self.top.winfo_screenheight()
        x = (self.top.winfo_screenwidth() - width) // 2
        y = (screen_height - height) // 3
        if self.below is not None and self.below.visible:
            banner = self.below.top
            y = max(y, banner.winfo_rooty() + banner.winfo_height() + PAD)
        y = max(0, min(y, screen_height - height))
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
            **({"brand": {**self.header.describe(), **geometry_of(self.header.frame)}}
               if self.header is not None else {}),
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
