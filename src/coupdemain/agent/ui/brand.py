"""The organisation's branding on the person's windows: a stripe of its colour, its logo, its name.

The server checked the logo and the colour when an admin set them; the
agent checks them again (it trusts no one): the colour must be "#rrggbb",
the logo a PNG that Pillow decodes, made to fit ``LOGO_BOX`` and written
anew before Tk sees it. Anything else is left out, without a word: the
windows then look as they do without branding.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import tkinter as tk

from PIL import Image, UnidentifiedImageError

from ...protocol import messages as m
from .events import Branded
from .look import BACKGROUND, BOLD_FONT, TEXT_COLOUR

LOGO_BOX = (256, 64)
STRIPE_PIXELS = 6
# Base64 of the server's largest logo (32 KiB) and some room; more is not a logo.
MAX_LOGO_BASE64 = 48 * 1024
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def branded(welcome: m.Welcome) -> Branded | None:
    """What the welcome brings of the organisation's branding, checked; None for nothing."""
    colour = welcome.brand_colour.lower() if _COLOUR.fullmatch(welcome.brand_colour) else ""
    logo = _checked_logo(welcome.brand_logo)
    if not colour and not logo:
        return None
    return Branded(welcome.organisation, colour, logo)


def _checked_logo(text: str) -> bytes:
    if not text or len(text) > MAX_LOGO_BASE64:
        return b""
    try:
        data = base64.b64decode(text, validate=True)
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                return b""
            image.load()
            logo = image.convert("RGBA")
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError,
            Image.DecompressionBombError):
        return b""
    logo.thumbnail(LOGO_BOX)
    out = io.BytesIO()
    logo.save(out, format="PNG")
    return out.getvalue()


class BrandHeader:
    """The top of a window: the colour's stripe, then the logo beside the organisation's name.

    Args:
        top: the window; the header goes above everything already in it.
        logo: the logo as a Tk image, shared by every window (None: no logo).
    """

    def __init__(self, top: tk.Toplevel, brand: Branded, logo: tk.PhotoImage | None) -> None:
        self.brand = brand
        self.frame = tk.Frame(top, background=BACKGROUND)
        if brand.colour:
            tk.Frame(self.frame, height=STRIPE_PIXELS, background=brand.colour).pack(fill="x")
        row = tk.Frame(self.frame, background=BACKGROUND)
        row.pack(fill="x", padx=32, pady=(16, 0))  # in line with the text under it (PAD * 2)
        if logo is not None:
            tk.Label(row, image=logo, background=BACKGROUND).pack(side="left", padx=(0, 12))
        self.name = tk.Label(row, text=brand.organisation, font=BOLD_FONT,
                             foreground=TEXT_COLOUR, background=BACKGROUND)
        self.name.pack(side="left")
        slaves = top.pack_slaves()
        if slaves:
            self.frame.pack(fill="x", side="top", before=slaves[0])
        else:
            self.frame.pack(fill="x", side="top")

    def describe(self) -> dict[str, object]:
        return {"organisation": self.brand.organisation, "colour": self.brand.colour,
                "logo": bool(self.brand.logo_png)}


def logo_image(root: tk.Misc, brand: Branded) -> tk.PhotoImage | None:
    """The logo as a Tk image (Tk 8.6 reads PNG), or None."""
    if not brand.logo_png:
        return None
    return tk.PhotoImage(master=root, data=base64.b64encode(brand.logo_png).decode("ascii"),
                         format="png")
