"""What every PDF of the server shares: an A4 page, DejaVu Sans embedded, a title,
sections, label/value rows, paragraphs, bullet lines, framed quotes, hashes
and pictures (the session's report, the signed mandate).

fpdf2's built-in fonts know Latin-1 only (an em dash or a euro sign raises),
so the document embeds DejaVu Sans from Debian's ``fonts-dejavu-core``
(scripts/setup.sh installs it); fpdf2 embeds the subset it uses. Measured
in /work/shared/research: a one-page French document renders in 35-60 ms.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ...protocol.errors import LocalError

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
MONO = "DejaVuMono"
FONT_FILES = {(FONT, ""): "DejaVuSans.ttf", (FONT, "B"): "DejaVuSans-Bold.ttf",
              (MONO, ""): "DejaVuSansMono.ttf"}

TEXT_POINTS = 11
SMALL_POINTS = 9
TITLE_POINTS = 18
SECTION_POINTS = 13
LINE_MM = 6
LABEL_MM = 50          # the width of a label/value row's label
MUTED = (90, 90, 90)
BLACK = (0, 0, 0)


class FontMissing(LocalError):
    """The font the PDFs embed is not installed: install the fonts-dejavu-core package."""


class Document:
    """One PDF being written, top to bottom.

    Args:
        title: the document's title, on its first line and in its metadata.
        created: the document's date in its metadata (the same report gives the same
            metadata, whoever asks for it).
        font_dir: where DejaVuSans.ttf, its bold and its mono are.

    Raises:
        FontMissing: the font files are not there.
    """

    def __init__(self, title: str, *, created: datetime | None = None,
                 font_dir: Path = FONT_DIR) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_margins(18, 18, 18)
        for (family, style), name in FONT_FILES.items():
            path = font_dir / name
            if not path.is_file():
                raise FontMissing(f"{path} is missing; install fonts-dejavu-core")
            self.pdf.add_font(family, style, str(path))
        self.pdf.set_title(title)
        self.pdf.set_creator("coupdemain")
        if created is not None:
            self.pdf.set_creation_date(created)
        self.pdf.add_page()
        self.pdf.set_font(FONT, "B", TITLE_POINTS)
        self.pdf.multi_cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(2)

    @property
    def width(self) -> float:
        return float(self.pdf.epw)

    def section(self, heading: str) -> None:
        """A heading that starts a part of the document."""
        self.pdf.ln(3)
        self.pdf.set_font(FONT, "B", SECTION_POINTS)
        self.pdf.set_text_color(*BLACK)
        self.pdf.multi_cell(0, 8, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def row(self, label: str, value: str) -> None:
        """A label and its value side by side; a long value wraps in its column."""
        pdf = self.pdf
        pdf.set_font(FONT, "B", TEXT_POINTS)
        y = pdf.get_y()
        pdf.multi_cell(LABEL_MM, LINE_MM, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        label_end = pdf.get_y()
        pdf.set_xy(pdf.l_margin + LABEL_MM, y)
        pdf.set_font(FONT, "", TEXT_POINTS)
        pdf.multi_cell(self.width - LABEL_MM, LINE_MM, value or "—", align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), label_end))

    def paragraph(self, text: str, *, muted: bool = False, small: bool = False) -> None:
        """Running text; its own line breaks are kept."""
        self.pdf.set_font(FONT, "", SMALL_POINTS if small else TEXT_POINTS)
        self.pdf.set_text_color(*(MUTED if muted else BLACK))
        self.pdf.multi_cell(0, LINE_MM, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(*BLACK)

    def bullet(self, text: str, *, mark: str = "•") -> None:
        """One line of a list."""
        pdf = self.pdf
        pdf.set_font(FONT, "", TEXT_POINTS)
        pdf.cell(6, LINE_MM, mark)
        pdf.multi_cell(self.width - 6, LINE_MM, text, align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def quote(self, text: str) -> None:
        """Text as given, in a frame: the words a person signed."""
        self.pdf.set_font(FONT, "", TEXT_POINTS)
        self.pdf.set_draw_color(160, 160, 160)
        self.pdf.multi_cell(0, LINE_MM, text, border=1, padding=3, align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(2)

    def code(self, text: str) -> None:
        """A short unbreakable text (a hash) in a fixed-width face."""
        self.pdf.set_font(MONO, "", SMALL_POINTS)
        self.pdf.multi_cell(0, LINE_MM, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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
        """A thin line across the page, between two parts."""
        y = self.pdf.get_y()
        self.pdf.set_draw_color(180, 180, 180)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.ln(4)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
