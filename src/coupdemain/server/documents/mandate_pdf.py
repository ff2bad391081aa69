"""The PDF of a signed mandate: what the person signed, word for word, and proof of it.

The same document goes to the console (``GET /sessions/{id}/mandate.pdf``)
and to the person's agent (``GET /api/agent/mandate.pdf``), in the
language the person signed in. It holds the exact text signed, its SHA-256,
the organisation, the technician, the signer's name, the time (local and
UTC), the drawn signature if any, and then each extension signed after it,
the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from ...i18n import Translator
from ..store.models import MandateSignature
from .pdf import Document


def mandate_pdf(signatures: Sequence[MandateSignature], *, organisation: str,
                technician: str, zone: tzinfo | None = None) -> bytes:
    """The PDF of a mandate's signatures, the mandate's own first.

    Args:
        signatures: what the person signed, oldest first (``mandates.signatures_for``);
            at least one.
        zone: the time zone of "local" times; the server's own by default.
    """
    if not signatures:
        raise ValueError("a mandate's PDF needs its signature")
    language = signatures[0].language
    t = Translator("mandate", language)
    doc = Document(t("pdf.heading"))
    doc.paragraph(t("field.organisation", value=organisation))
    doc.paragraph(t("field.technician", value=technician))
    doc.space()
    for number, signed in enumerate(signatures):
        if number:
            doc.rule()
            doc.section(t("pdf.extension", number=number))
        doc.paragraph(t("pdf.signed_text"), small=True)
        doc.quote(signed.text)
        doc.paragraph(t("pdf.sha256"), small=True)
        doc.code(signed.sha256)
        doc.paragraph(t("pdf.signer", name=signed.signer_name))
        doc.paragraph(t("pdf.signed_at", local=_time(signed.signed_at.astimezone(zone), language),
                        utc=_time(signed.signed_at.astimezone(UTC), language)))
        if signed.drawing_png:
            doc.paragraph(t("pdf.drawing"), small=True)
            doc.picture(signed.drawing_png)
        else:
            doc.paragraph(t("pdf.no_drawing"), small=True)
        doc.space()
    return doc.output()


def _time(moment: datetime, language: str) -> str:
    shape = "%d/%m/%Y %H:%M:%S" if language == "fr" else "%Y-%m-%d %H:%M:%S"
    return f"{moment.strftime(shape)} {moment.tzname() or ''}".strip()
