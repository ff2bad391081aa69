"""How the person's windows look: ttk's "clam" theme, calm colours, larger text.

The person may be elderly and is often anxious: every window uses text a
step larger than the system's default (never under ``MIN_TEXT_POINTS``),
flat buttons with a clear border, one blue button for the expected answer
and one red button for stopping. Tk's own dialogs (the file chooser) get
the larger text too, as the named fonts they use are enlarged.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk
from typing import Literal

BACKGROUND = "#fbfbf8"
TEXT_COLOUR = "#1f2328"
MUTED_COLOUR = "#444444"
PROBLEM_COLOUR = "#a4262c"
NOTICE_COLOUR = "#8a4b00"
RECORDING_COLOUR = "#b42318"  # the red of End session: "● Recording" on the banner
BORDER_COLOUR = "#8c8c8c"
DISABLED_TEXT = "#8c959f"

# A step above the system's default size; a default of 10 points gives 14.
TEXT_STEP_POINTS = 4
MIN_TEXT_POINTS = 14
CODE_POINTS_EXTRA = 6  # the 9 digits of the code, in a monospace font

THEME = "clam"  # in every Tk since 8.5, and flat enough to be styled calmly
ENLARGED_FONTS = ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont",
                  "TkCaptionFont", "TkTooltipFont", "TkSmallCaptionFont", "TkIconFont")
TEXT_FONT = "CoupdemainText"
BOLD_FONT = "CoupdemainBold"
CODE_FONT = "CoupdemainCode"

ButtonKind = Literal["plain", "primary", "stop"]
BUTTON_STYLES: dict[ButtonKind, str] = {
    "plain": "TButton", "primary": "Primary.TButton", "stop": "Stop.TButton",
}
# A light button for most, blue for the expected answer, red to stop:
# (face, face under the pointer or pressed, text).
BUTTON_COLOURS: dict[ButtonKind, tuple[str, str, str]] = {
    "plain": ("#eef0f2", "#dde2e8", TEXT_COLOUR),
    "primary": ("#2457a6", "#1c4584", "#ffffff"),
    "stop": ("#b42318", "#8f1c13", "#ffffff"),
}


def points(font: tkfont.Font, root: tk.Misc) -> float:
    """A font's size in points; Tk gives negative sizes in pixels."""
    size = int(font.cget("size"))
    if size >= 0:
        return float(size)
    return -size / float(root.tk.call("tk", "scaling"))


def text_points(root: tk.Misc) -> int:
    """The size of the windows' text: the system's default plus a step, at least 14 points."""
    default = points(tkfont.nametofont("TkDefaultFont", root=root), root)
    return max(MIN_TEXT_POINTS, round(default) + TEXT_STEP_POINTS)


def apply_look(root: tk.Tk) -> None:
    """Sets the theme, fonts and styles of every agent window; once per Tk root."""
    if TEXT_FONT in tkfont.names(root):
        return
    size = text_points(root)
    family = str(tkfont.nametofont("TkDefaultFont", root=root).actual("family"))
    for name in ENLARGED_FONTS:
        tkfont.nametofont(name, root=root).configure(size=size)
    fixed = str(tkfont.nametofont("TkFixedFont", root=root).actual("family"))
    # Made in Tcl, not as tkfont.Font objects, which delete their font when
    # Python forgets them.
    for name, font_family, font_size, weight in (
        (TEXT_FONT, family, size, "normal"), (BOLD_FONT, family, size, "bold"),
        (CODE_FONT, fixed, size + CODE_POINTS_EXTRA, "normal"),
    ):
        root.tk.call("font", "create", name, "-family", font_family, "-size", font_size,
                     "-weight", weight)

    style = ttk.Style(root)
    style.theme_use(THEME)
    style.configure(".", background=BACKGROUND, foreground=TEXT_COLOUR, font=TEXT_FONT)
    style.configure("TFrame", background=BACKGROUND)
    style.configure("TLabel", background=BACKGROUND, foreground=TEXT_COLOUR, font=TEXT_FONT)
    style.configure("Heading.TLabel", font=BOLD_FONT)
    # A tick box big enough to see and hit (the consent window's "Yes, record this session").
    style.configure("TCheckbutton", background=BACKGROUND, foreground=TEXT_COLOUR,
                    font=TEXT_FONT, indicatorsize=22, indicatormargin=(0, 0, 10, 0), padding=4)
    style.configure("TEntry", fieldbackground="#ffffff", bordercolor=BORDER_COLOUR,
                    lightcolor="#ffffff", padding=4)
    plain_face = BUTTON_COLOURS["plain"][0]
    for kind, (face, hover, text) in BUTTON_COLOURS.items():
        name = BUTTON_STYLES[kind]
        # A flat face: the theme's light and dark edges in the face's own colour.
        style.configure(
            name, background=face, foreground=text, lightcolor=face, darkcolor=face,
            bordercolor=BORDER_COLOUR if kind == "plain" else hover,
            font=TEXT_FONT if kind == "plain" else BOLD_FONT,
            padding=(16, 8), focuscolor=text, anchor="center", width=-8,
        )
        style.map(
            name,
            background=[("disabled", plain_face), ("pressed", hover), ("active", hover)],
            lightcolor=[("disabled", plain_face), ("pressed", hover), ("active", hover)],
            darkcolor=[("disabled", plain_face), ("pressed", hover), ("active", hover)],
            foreground=[("disabled", DISABLED_TEXT)],
        )
    blue = BUTTON_COLOURS["primary"][0]
    style.configure("Horizontal.TProgressbar", background=blue, troughcolor="#e6e8eb",
                    lightcolor=blue, darkcolor=blue, bordercolor=BORDER_COLOUR)
