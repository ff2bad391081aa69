"""The base of the server's PDFs: fpdf2 with DejaVu Sans embedded, so that every accent shows.

fpdf2's built-in fonts are Latin-1 only (an em dash or a euro sign raises),
so each document embeds DejaVu Sans from Debian's ``fonts-dejavu-core``
(scripts/setup.sh installs it). The text is written as it is given: a test
extracts it again (pypdf or ``pdftotext``) and finds it word for word once
whitespace is normalised (research: trust-devices.md §1, fpdf2 2.8.9).
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {  # family, style → file
    ("DejaVu", ""): "DejaVuSans.ttf",
    ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
    ("DejaVuMono", ""): "DejaVuSansMono.ttf",
}


class FontMissing(RuntimeError):
    """The server cannot make PDFs: install the DejaVu fonts (Debian: fonts-dejavu-core)."""


class Document:
    """An A4 document in DejaVu Sans: headings, paragraphs, label lines, pictures."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(20, 20, 20)
        self.pdf.set_auto_page_break(True, margin=20)
        for (family, style), name in FONTS.items():
            path = FONT_DIR / name
            if not path.is_file():
                raise FontMissing(f"{path} is missing: install fonts-dejavu-core")
            self.pdf.add_font(family, style, str(path))
        self.pdf.set_title(title)
        self.pdf.set_creator("coupdemain")
        self.pdf.add_page()

    def heading(self, text: str, size: int = 16) -> None:
        self.pdf.set_font("DejaVu", "B", size)
        self.pdf.multi_cell(0, size * 0.55, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def paragraph(self, text: str, size: int = 11) -> None:
        """Text as given: each line of it starts a line of the page; long lines wrap."""
        self.pdf.set_font("DejaVu", "", size)
        self.pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def quote(self, text: str, size: int = 11) -> None:
        """Text as given, in a frame: the words a person signed."""
        self.pdf.set_font("DejaVu", "", size)
        self.pdf.set_draw_color(160, 160, 160)
        self.pdf.multi_cell(0, size * 0.5, text, border=1, padding=3, align="L",
                            new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def code(self, text: str, size: int = 9) -> None:
        """A short unbreakable text (a hash) in a fixed-width face."""
        self.pdf.set_font("DejaVuMono", "", size)
        self.pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def picture(self, png: bytes, width_mm: float = 70) -> None:
        """A PNG (a drawn signature), on a light frame so that a white drawing still shows."""
        x, y = self.pdf.get_x(), self.pdf.get_y()
        info = self.pdf.image(io.BytesIO(png), x=x, y=y, w=width_mm)
        height = float(info.rendered_height)
        self.pdf.set_draw_color(200, 200, 200)
        self.pdf.rect(x, y, width_mm, height)
        self.pdf.set_y(y + height + 3)

    def space(self, mm: float = 4) -> None:
        self.pdf.ln(mm)

    def rule(self) -> None:
        y = self.pdf.get_y()
        self.pdf.set_draw_color(180, 180, 180)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.ln(4)

    def to_bytes(self) -> bytes:
        return bytes(self.pdf.output())
