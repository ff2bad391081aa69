"""The mandates in the database, as the rendezvous binds a session with one.

The console creates the ``Mandate`` row and binds it to the session it opens
(``bind_mandate``); the rendezvous reads it back when the person's side
arrives (``binding_of``), and after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..protocol.mandate import Terms
from ..protocol.session import Technician
from .store.models import Mandate, MandateSignature, SupportSession


@dataclass(frozen=True, slots=True)
class Binding:
    """A session's mandate: its terms, who wrote it, and a standing one's earlier signature."""

    mandate_id: int
    terms: Terms
    author: Technician
    signed_by: str = ""   # a standing mandate signed before: no offer
    sha256: str = ""


async def bind_mandate(
    db: async_sessionmaker[AsyncSession], session_id: str, mandate_id: int
) -> None:
    """The session is bound by this mandate: call before the person types the code."""
    async with db.begin() as s:
        await s.execute(update(SupportSession).where(SupportSession.id == session_id)
                        .values(mandate_id=mandate_id))


async def binding_of(
    db: async_sessionmaker[AsyncSession], session_id: str, *, today: date | None = None
) -> Binding | None:
    """The mandate that binds the session, or None for a session without one.

    A standing mandate still valid ``today`` and signed before (in any
    session) is bound as signed; any other is offered to sign.
    """
    async with db() as s:
        row = await s.get(SupportSession, session_id)
        if row is None or row.mandate_id is None:
            return None
        mandate = await s.get(Mandate, row.mandate_id)
        if mandate is None:
            return None
        author = Technician(mandate.technician.id, mandate.technician.display_name,
                            mandate.technician.organisation.name)
        binding = Binding(mandate.id, Terms.from_json(mandate.terms), author)
        today = today or date.today()
        if mandate.standing_until is None or mandate.standing_until < today:
            return binding
        earlier = await s.scalar(
            select(MandateSignature)
            .where(MandateSignature.mandate_id == mandate.id, MandateSignature.kind == "mandate")
            .order_by(MandateSignature.signed_at.desc()).limit(1))
    if earlier is None:
        return binding
    return Binding(binding.mandate_id, binding.terms, author, earlier.signer_name, earlier.sha256)
