"""An organisation's branding: its logo and colour, checked, stored, and handed out.

The person being helped sees the organisation's name, logo and colour on
the agent's windows and the join page once their code is accepted, and
technicians see them in the console. An admin sets them; what they upload
is checked here and never stored as sent: the logo is decoded and written
again as a small PNG (no metadata, no surprise in its bytes), and the
colour must leave white text readable on it, because the console and the
join page write white text on it.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .store.models import Organisation

MAX_LOGO_BYTES = 512 * 1024           # what an admin may upload
MAX_LOGO_PIXELS = 4096                 # on either side, before it is scaled down
MIN_LOGO_PIXELS = 16
LOGO_BOX = (256, 64)                   # the stored logo's size at most, in pixels
# The stored PNG travels in the agent's welcome, whose whole message must
# stay under the protocol's 64 KiB (base64 adds a third).
MAX_STORED_LOGO_BYTES = 32 * 1024
LOGO_FORMATS = ("PNG", "JPEG")
MIN_CONTRAST = 4.5                     # WCAG AA for normal text: white on the colour
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class BrandingRefused(ValueError):
    """What an admin sent cannot be used; ``str()`` is the sentence they read."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key        # a console.json key under "branding.refused."
        self.params = params


@dataclass(frozen=True, slots=True)
class Brand:
    """What the person and the technicians see of an organisation; empty parts are not set."""

    colour: str = ""          # "#RRGGBB"
    logo_png: bytes = b""

    @property
    def logo_base64(self) -> str:
        return base64.b64encode(self.logo_png).decode("ascii") if self.logo_png else ""


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of white text on this colour, from 1 to 21."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return 1.05 / (luminance + 0.05)


def checked_colour(text: str) -> str:
    """The colour as stored ("#rrggbb", or "" for none).

    Raises:
        BrandingRefused: not a colour, or white text would be hard to read on it.
    """
    text = text.strip()
    if not text:
        return ""
    if not _COLOUR.fullmatch(text):
        raise BrandingRefused("colour_format", value=text[:20])
    contrast = contrast_with_white(text)
    if contrast < MIN_CONTRAST:
        raise BrandingRefused("colour_light", contrast=f"{contrast:.1f}", needed=MIN_CONTRAST)
    return text.lower()


def checked_logo(data: bytes) -> bytes:
    """The logo as stored: a PNG that fits in ``LOGO_BOX``.

    Raises:
        BrandingRefused: too large, not a PNG or JPEG image, of odd dimensions,
            or too detailed to stay small.
    """
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingRefused("logo_size", kib=MAX_LOGO_BYTES // 1024)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in LOGO_FORMATS:
                raise BrandingRefused("logo_type")
            width, height = image.size
            if max(width, height) > MAX_LOGO_PIXELS or min(width, height) < MIN_LOGO_PIXELS:
                raise BrandingRefused("logo_dimensions", low=MIN_LOGO_PIXELS,
                                      high=MAX_LOGO_PIXELS)
            image.load()
            logo = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise BrandingRefused("logo_type") from None
    logo.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    stored = _png(logo)
    if len(stored) > MAX_STORED_LOGO_BYTES:
        # A photograph rather than a logo: 256 colours are plenty at this size.
        stored = _png(logo.quantize(256))
    if len(stored) > MAX_STORED_LOGO_BYTES:
        raise BrandingRefused("logo_complex")
    return stored


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def brand_of(db: async_sessionmaker[AsyncSession], organisation_id: int) -> Brand:
    async with db() as s:
        organisation = await s.get(Organisation, organisation_id)
    if organisation is None:
        return Brand()
    return Brand(organisation.brand_colour, organisation.logo_png or b"")


async def set_brand(db: async_sessionmaker[AsyncSession], organisation_id: int, *,
                    colour: str, logo_png: bytes | None) -> None:
    """Stores a checked colour, and a checked logo unless ``logo_png`` is None (kept as it is);
    ``b""`` removes the logo."""
    async with db.begin() as s:
        organisation = await s.get(Organisation, organisation_id)
        if organisation is None:
            return
        organisation.brand_colour = colour
        if logo_png is not None:
            organisation.logo_png = logo_png or None
