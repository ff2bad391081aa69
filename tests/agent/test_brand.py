"""The agent checks the branding the server sends before any window shows it."""

from __future__ import annotations

import base64
import io

from PIL import Image

from coupdemain.agent.ui.brand import branded
from coupdemain.protocol import messages as m


def welcome(colour: str = "", logo: str = "") -> m.Welcome:
    return m.Welcome("s", "Alice Martin", "Entraide Numérique", brand_colour=colour,
                     brand_logo=logo)


def png(size: tuple[int, int], kind: str = "PNG") -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, format=kind)
    return base64.b64encode(out.getvalue()).decode()


def test_a_colour_and_a_png_logo_are_kept_the_logo_made_to_fit() -> None:
    brand = branded(welcome("#6B2A7A", png((512, 64))))
    assert brand is not None
    assert (brand.organisation, brand.colour) == ("Entraide Numérique", "#6b2a7a")
    assert Image.open(io.BytesIO(brand.logo_png)).size == (256, 32)


def test_what_is_not_a_colour_or_a_png_is_left_out() -> None:
    assert branded(welcome()) is None
    assert branded(welcome("red", "not base64 at all!")) is None
    assert branded(welcome("#12345g", png((40, 40), "JPEG"))) is None
    assert branded(welcome("", base64.b64encode(b"\x89PNG\r\n\x1a\n broken").decode())) is None
    too_long = "A" * (64 * 1024)
    assert branded(welcome("", too_long)) is None
    only_colour = branded(welcome("#000000", "AAAA"))
    assert only_colour is not None
    assert (only_colour.colour, only_colour.logo_png) == ("#000000", b"")
