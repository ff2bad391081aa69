"""A mandate: what the technician will do, with which tools, for how long, and the person's role.

Home-help practice asks that the person agree to this before anything is
shared, and sign it. The technician writes the terms (or picks them from
the organisation's templates) before the code is given; the person's
language is known only when their side arrives, so the server renders the
terms then, as one text, with ``render``. The person signs that exact
text: its SHA-256 (``digest``) binds the signature, the PDF and the audit
record to the same words.

The tools are what the session may do, and nothing else: a tool outside
the mandate is not offered in the console, and the agent refuses it even
when asked for it over the protocol. ``Tool.VIEW`` is in every mandate:
without it there is no session to bind.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..i18n import Translator
from .enums import PersonRole as PersonRole
from .enums import Tool as Tool
from .errors import MalformedMessage, NotAllowed

MAX_PURPOSE_CHARS = 2000
MAX_MINUTES = 8 * 60
# Both sides are warned this long before the mandate's time runs out.
WARNING_SECONDS = 5 * 60
# A signature drawn with the mouse, as a PNG: at most this many bytes once decoded.
MAX_DRAWING_BYTES = 256 * 1024
MAX_SIGNER_CHARS = 200


@dataclass(frozen=True, slots=True)
class Terms:
    """The mandate as the technician writes it, before any language is chosen.

    ``minutes`` is how long one session may last from the signature. A
    standing mandate (``standing_until``) covers every session until that
    date, signed once.
    """

    purpose: str
    tools: frozenset[Tool]
    minutes: int
    role: PersonRole
    standing_until: date | None = None

    def __post_init__(self) -> None:
        if not self.purpose.strip():
            raise MalformedMessage("a mandate says what will be done: its purpose is empty")
        if len(self.purpose) > MAX_PURPOSE_CHARS:
            raise MalformedMessage(
                f"a mandate's purpose holds at most {MAX_PURPOSE_CHARS} characters")
        if Tool.VIEW not in self.tools:
            raise MalformedMessage("a mandate allows viewing the screen at least")
        if not 1 <= self.minutes <= MAX_MINUTES:
            raise MalformedMessage(
                f"a mandate lasts from 1 to {MAX_MINUTES} minutes, not {self.minutes}")

    def allows(self, tool: Tool) -> bool:
        return tool in self.tools

    def to_json(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "tools": sorted(self.tools, key=list(Tool).index),
            "minutes": self.minutes,
            "role": self.role,
            "standing_until": self.standing_until.isoformat() if self.standing_until else "",
        }

    @classmethod
    def from_json(cls, data: object) -> Terms:
        """Terms from their JSON form; anything else is ``MalformedMessage`` with a sentence."""
        if not isinstance(data, dict):
            raise MalformedMessage("a mandate is an object")
        try:
            purpose = data["purpose"]
            tools = frozenset(Tool(tool) for tool in data["tools"])
            minutes = data["minutes"]
            role = PersonRole(data["role"])
            until = data.get("standing_until") or ""
        except KeyError as missing:
            raise MalformedMessage(f"a mandate needs its {missing.args[0]}") from None
        except (TypeError, ValueError) as wrong:
            raise MalformedMessage(f"a mandate's tool or role is unknown: {wrong}") from None
        if not isinstance(purpose, str) or not isinstance(until, str):
            raise MalformedMessage("a mandate's purpose and end date are texts")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise MalformedMessage("a mandate's duration is a whole number of minutes")
        try:
            standing_until = date.fromisoformat(until) if until else None
        except ValueError:
            raise MalformedMessage(f"a mandate's end date is not a date: {until!r}") from None
        return cls(purpose=purpose, tools=tools, minutes=minutes, role=role,
                   standing_until=standing_until)


def render(terms: Terms, *, technician: str, organisation: str, language: str) -> str:
    """The exact text the person reads and signs, in their language."""
    t = Translator("mandate", language)
    tools = ", ".join(t(f"tool.{tool}") for tool in sorted(terms.tools, key=list(Tool).index))
    if terms.standing_until is None:
        duration = t("duration.once", minutes=terms.minutes)
    else:
        duration = t("duration.standing", minutes=terms.minutes,
                     until=_date(terms.standing_until, language))
    lines = [
        t("title"),
        "",
        t("field.organisation", value=organisation),
        t("field.technician", value=technician),
        t("field.purpose", value=terms.purpose.strip()),
        t("field.tools", value=tools),
        t("field.duration", value=duration),
        t("field.role", value=t(f"role.{terms.role}")),
        "",
        t("withdraw"),
    ]
    return "\n".join(lines)


def render_extension(
    *, added_minutes: int, added_tools: frozenset[Tool], technician: str, organisation: str,
    language: str,
) -> str:
    """The text of an extension, in the person's language: what changes, and nothing else."""
    t = Translator("mandate", language)
    lines = [
        t("extension.title"),
        "",
        t("field.organisation", value=organisation),
        t("field.technician", value=technician),
    ]
    if added_minutes:
        lines.append(t("extension.minutes", minutes=added_minutes))
    if added_tools:
        tools = ", ".join(t(f"tool.{tool}") for tool in sorted(added_tools, key=list(Tool).index))
        lines.append(t("extension.tools", value=tools))
    lines += ["", t("extension.unchanged"), "", t("withdraw")]
    return "\n".join(lines)


def signature_drawing(data: str) -> bytes | None:
    """The PNG a ``mandate_sign`` carries in base64; None for none.

    Raises:
        NotAllowed: not base64, larger than ``MAX_DRAWING_BYTES``, or not a PNG
            image (Pillow reads it), with a sentence saying which.
    """
    if not data:
        return None
    if len(data) > (MAX_DRAWING_BYTES + 2) // 3 * 4:
        raise NotAllowed(
            f"a drawn signature is at most {MAX_DRAWING_BYTES // 1024} KiB")
    try:
        png = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise NotAllowed("the drawn signature is not base64") from None
    if len(png) > MAX_DRAWING_BYTES:
        raise NotAllowed(f"a drawn signature is at most {MAX_DRAWING_BYTES // 1024} KiB")
    from PIL import Image, UnidentifiedImageError  # only the server reads drawings

    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise NotAllowed("the drawn signature is not a PNG image")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAllowed("the drawn signature is not a PNG image") from None
    return png


def digest(text: str) -> str:
    """The SHA-256 (hex) of a mandate's text, as signed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _date(day: date, language: str) -> str:
    return day.strftime("%d/%m/%Y") if Translator("mandate", language).language == "fr" \
        else day.isoformat()
