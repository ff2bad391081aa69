"""The mandates in the store: the technician's draft, the organisation's templates, binding.

The technician writes a mandate before the code is given (the console's
*Help someone* form, or ``POST /api/sessions``), from scratch or from one
of the organisation's templates; or picks a standing mandate still running.
``Draft`` keeps what the form said, word for word, so that a refused form
comes back with everything typed in it; ``Draft.terms()`` checks it with
``protocol.mandate.Terms``, whose sentence the form then shows.

The rendezvous reads the session's mandate back when the person's side
arrives, and after a restart (``binding_of``). What the person signed
(``MandateSignature``) is written by the rendezvous; ``signatures_for``
reads it back for the history page and the PDF.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..protocol.enums import PersonRole, Tool
from ..protocol.errors import MalformedMessage
from ..protocol.mandate import Terms
from ..protocol.session import Technician
from .store.models import (
    Mandate,
    MandateSignature,
    MandateTemplate,
    Organisation,
    SupportSession,
    User,
    utcnow,
)

if TYPE_CHECKING:
    from .rendezvous import IssuedCode
    from .services import Services

# What the form offers before the technician changes anything.
DEFAULT_MINUTES = 30
DEFAULT_ROLE = PersonRole.FOLLOW_ALONG

Db = async_sessionmaker[AsyncSession]


class MandateRefused(ValueError):
    """The terms cannot make a mandate; the message is the sentence to show."""


@dataclass
class Draft:
    """A mandate as the form holds it: texts, not yet checked."""

    purpose: str = ""
    tools: set[str] = field(default_factory=lambda: {Tool.VIEW.value})
    minutes: str = str(DEFAULT_MINUTES)
    role: str = DEFAULT_ROLE.value
    standing: bool = False
    standing_until: str = ""

    @classmethod
    def from_form(cls, purpose: str, tools: Iterable[str], minutes: str, role: str,
                  covers: str = "once", standing_until: str = "") -> Draft:
        return cls(purpose=purpose, tools={*tools, Tool.VIEW.value}, minutes=minutes.strip(),
                   role=role, standing=covers == "standing",
                   standing_until=standing_until.strip())

    @classmethod
    def from_terms(cls, terms: Mapping[str, Any]) -> Draft:
        """A draft holding stored terms (``Terms.to_json()``), to prefill the form."""
        until = str(terms.get("standing_until") or "")
        return cls(purpose=str(terms.get("purpose", "")),
                   tools={*map(str, terms.get("tools") or ()), Tool.VIEW.value},
                   minutes=str(terms.get("minutes", DEFAULT_MINUTES)),
                   role=str(terms.get("role", DEFAULT_ROLE.value)),
                   standing=bool(until), standing_until=until)

    def terms(self, *, today: date | None = None) -> Terms:
        """The checked terms.

        Raises:
            MandateRefused: with the sentence to show on the form.
        """
        minutes: object = int(self.minutes) if self.minutes.isdigit() else self.minutes
        if self.standing and not self.standing_until:
            raise MandateRefused("a standing mandate needs the date it ends")
        try:
            terms = Terms.from_json({
                "purpose": self.purpose, "tools": sorted(self.tools), "minutes": minutes,
                "role": self.role, "standing_until": self.standing_until if self.standing else "",
            })
        except MalformedMessage as refused:
            raise MandateRefused(str(refused)) from None
        return still_running(terms, today)


def still_running(terms: Terms, today: date | None = None) -> Terms:
    """The terms, unless they are a standing mandate whose date has passed.

    Raises:
        MandateRefused: with the sentence to show.
    """
    if terms.standing_until is not None and terms.standing_until < (today or date.today()):
        raise MandateRefused(
            f"a standing mandate ends today or later, not on {terms.standing_until}")
    return terms


# --- the mandate of a session ---------------------------------------------------------


async def create_mandate(db: Db, technician: User, terms: Terms) -> Mandate:
    """Stores the terms the technician wrote, as a new mandate of their organisation."""
    async with db.begin() as s:
        mandate = Mandate(organisation_id=technician.organisation_id,
                          technician_id=technician.id, terms=terms.to_json(),
                          standing_until=terms.standing_until, created_at=utcnow())
        s.add(mandate)
    return mandate


async def bind_mandate(db: Db, session_id: str, mandate_id: int) -> None:
    """Binds a session to its mandate (``SupportSession.mandate_id``)."""
    async with db.begin() as s:
        await s.execute(update(SupportSession).where(SupportSession.id == session_id)
                        .values(mandate_id=mandate_id))


@dataclass(frozen=True, slots=True)
class Binding:
    """A session's mandate: its terms, who wrote it, and a standing one's earlier signature."""

    mandate_id: int
    terms: Terms
    author: Technician
    signed_by: str = ""   # a standing mandate signed before: no offer
    sha256: str = ""


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


async def mandate_required(db: Db, organisation_id: int) -> bool:
    async with db() as s:
        organisation = await s.get(Organisation, organisation_id)
    return bool(organisation and organisation.mandate_required)


async def set_mandate_required(db: Db, organisation_id: int, required: bool) -> None:
    async with db.begin() as s:
        await s.execute(update(Organisation).where(Organisation.id == organisation_id)
                        .values(mandate_required=required))


@dataclass(frozen=True, slots=True)
class Standing:
    """A standing mandate still running, as the technician picks it: who signed it, if anyone."""

    mandate: Mandate
    signer: str  # "" while nobody has signed it


async def standing_mandates(db: Db, organisation_id: int,
                            today: date | None = None) -> list[Standing]:
    """The organisation's standing mandates that still run, newest first."""
    async with db() as s:
        rows = list(await s.scalars(
            select(Mandate).where(Mandate.organisation_id == organisation_id,
                                  Mandate.standing_until >= (today or date.today()))
            .order_by(Mandate.created_at.desc())))
        signers = {m: n for m, n in (await s.execute(
            select(MandateSignature.mandate_id, MandateSignature.signer_name)
            .where(MandateSignature.mandate_id.in_([r.id for r in rows]),
                   MandateSignature.kind == "mandate")
            .order_by(MandateSignature.signed_at.desc()))).all()}
    return [Standing(row, signers.get(row.id, "")) for row in rows]


async def standing_mandate(db: Db, organisation_id: int, mandate_id: int,
                           today: date | None = None) -> Mandate | None:
    """The organisation's standing mandate of this id, if it still runs."""
    async with db() as s:
        row = await s.get(Mandate, mandate_id)
    if (row is None or row.organisation_id != organisation_id or row.standing_until is None
            or row.standing_until < (today or date.today())):
        return None
    return row


async def mandate_of(db: Db, row: SupportSession) -> Mandate | None:
    if row.mandate_id is None:
        return None
    async with db() as s:
        return await s.get(Mandate, row.mandate_id)


async def signatures_for(db: Db, row: SupportSession) -> list[MandateSignature]:
    """What the person signed for this session, oldest first: the mandate's own signature
    (for a standing mandate, the one signed once, perhaps in another session), then each
    extension signed during this session."""
    if row.mandate_id is None:
        return []
    async with db() as s:
        signed = list(await s.scalars(
            select(MandateSignature).where(
                MandateSignature.mandate_id == row.mandate_id,
                or_(MandateSignature.session_id == row.id, MandateSignature.kind == "mandate"))
            .order_by(MandateSignature.signed_at, MandateSignature.id)))
    first = next((x for x in signed if x.kind == "mandate" and x.session_id == row.id),
                 next((x for x in signed if x.kind == "mandate"), None))
    return ([first] if first else []) + [x for x in signed if x.kind != "mandate"]


# --- the organisation's templates ----------------------------------------------------


async def templates_of(db: Db, organisation_id: int) -> list[MandateTemplate]:
    async with db() as s:
        return list(await s.scalars(
            select(MandateTemplate).where(MandateTemplate.organisation_id == organisation_id)
            .order_by(MandateTemplate.name, MandateTemplate.id)))


async def template_of(db: Db, organisation_id: int, template_id: int) -> MandateTemplate | None:
    """The organisation's template of this id; None for another organisation's."""
    async with db() as s:
        row = await s.get(MandateTemplate, template_id)
    return row if row is not None and row.organisation_id == organisation_id else None


async def save_template(db: Db, organisation_id: int, name: str, terms: Terms,
                        template_id: int | None = None) -> MandateTemplate | None:
    """Creates a template, or changes the organisation's template ``template_id``
    (None if it has no such template)."""
    async with db.begin() as s:
        if template_id is None:
            row = MandateTemplate(organisation_id=organisation_id, created_at=utcnow())
            s.add(row)
        else:
            found = await s.get(MandateTemplate, template_id)
            if found is None or found.organisation_id != organisation_id:
                return None
            row = found
        row.name = name
        row.terms = terms.to_json()
    return row


async def delete_template(db: Db, organisation_id: int, template_id: int) -> bool:
    async with db.begin() as s:
        row = await s.get(MandateTemplate, template_id)
        if row is None or row.organisation_id != organisation_id:
            return False
        await s.delete(row)
    return True


# --- giving a code under a mandate ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """What the technician chose before the code: terms written now, a standing mandate
    already written, or neither (a session without a mandate)."""

    terms: Terms | None = None
    standing_id: int | None = None


class MandateNeeded(MandateRefused):
    """The organisation needs a mandate for every session, and none was given."""


class StandingGone(MandateRefused):
    """The standing mandate chosen has ended, or is not the organisation's."""


async def issue_code(shared: Services, technician: User, choice: Choice) -> IssuedCode:
    """Issues a code bound to the mandate chosen; audits the mandate, or its absence.

    Raises:
        MandateNeeded: no mandate, where the organisation needs one.
        StandingGone: the standing mandate chosen does not run any more.
    """
    db = shared.db
    mandate: Mandate | None = None
    if choice.standing_id is not None:
        mandate = await standing_mandate(db, technician.organisation_id, choice.standing_id)
        if mandate is None:
            raise StandingGone("this standing mandate has ended or does not exist")
    elif choice.terms is not None:
        mandate = await create_mandate(db, technician, choice.terms)
    elif await mandate_required(db, technician.organisation_id):
        raise MandateNeeded("the organisation needs a mandate for every session")
    issued = await shared.rendezvous.issue_code(technician)
    if mandate is None:
        await shared.audit.append("session_without_mandate", actor="technician",
                                  actor_name=technician.display_name,
                                  session_id=issued.session_id)
    else:
        await bind_mandate(db, issued.session_id, mandate.id)
        await shared.audit.append("mandate_written", actor="technician",
                                  actor_name=technician.display_name,
                                  session_id=issued.session_id,
                                  detail={"mandate_id": mandate.id, **mandate.terms})
    return issued
