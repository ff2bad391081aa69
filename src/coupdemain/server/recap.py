"""The session's report (the recap): pre-filled from the timeline, completed by the technician.

When a session ends, its report is a draft whose timeline is read from the
session's audit events (``prefill``): consents given and withdrawn, the
periods of control, the announced actions and the person's answers, the
steps, the files each way with their SHA-256, the diagnostic findings and
the chat. The technician adds what was done, the outcome and the
follow-ups, and sends it; sending keeps the timeline as it was sent, so
the person, the console and both PDFs show the same report. The person
may then answer "anything else?" with notes (``ReportNote``), audited.

The mandate the session was bound by is a section of its own
(``mandate_section``); without a mandate the report has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..i18n import Translator
from ..protocol.enums import Tool
from ..protocol.mandate import Terms
from .audit import AuditLog
from .mandates import mandate_of, signatures_for
from .store.models import AuditEvent, ReportNote, SessionReport, SupportSession, User, utcnow

OUTCOMES = ("solved", "partly", "not_solved")
MAX_DONE_CHARACTERS = 5000
MAX_FOLLOW_UP_CHARACTERS = 300
MAX_FOLLOW_UPS = 10
MAX_NOTE_CHARACTERS = 2000
MAX_NOTES = 5

DRAFT = "draft"
SENT = "sent"

# What the person's agent hears when it asks for the report (``report_status``).
STATUS_NONE = "none"          # no report for this session: the person never shared their screen
STATUS_WRITING = "writing"    # the technician has not sent it yet
STATUS_SENT = "sent"

# The report's own steps, in the audit log: never part of the timeline it shows.
REPORT_ACTIONS = frozenset({"report_saved", "report_sent", "report_note"})

# The consents the person gave or withdrew, as the timeline lists them.
CONSENT_ACTIONS = frozenset({
    "consent_given", "consent_declined", "control_granted", "control_refused",
    "control_revoked", "diagnostics_read", "diagnostics_declined", "paused", "resumed",
})
CONTROL_ENDS = frozenset({"control_revoked", "control_released", "session_ended"})


class TimelineEvent(Protocol):
    """What ``prefill`` reads of an audit event (``store.models.AuditEvent`` has it)."""

    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def actor_name(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def detail(self) -> dict[str, Any]: ...


class MandateSection(TypedDict, total=False):
    """The mandate the session was bound by, as its report shows it."""

    purpose: str
    tools: list[str]
    until: str          # ISO 8601
    signed_by: str
    signed_at: str      # ISO 8601
    sha256: str


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _text(value: object, limit: int = 2000) -> str:
    return str(value if value is not None else "")[:limit]


def prefill(events: Iterable[TimelineEvent]) -> dict[str, Any]:
    """The timeline of a session, from its audit events (oldest first).

    Returns:
        A JSON-ready dict: ``started_at``, ``ended_at``, ``end_reason``,
        ``ended_by`` (ISO 8601 times, "" when unknown), and the lists
        ``consents``, ``control``, ``actions``, ``steps``, ``files``,
        ``findings``, ``chat``.
    """
    timeline: dict[str, Any] = {
        "started_at": "", "ended_at": "", "end_reason": "", "ended_by": "",
        "consents": [], "control": [], "actions": [], "steps": [], "files": [],
        "findings": [], "chat": [],
    }
    actions: dict[int, dict[str, Any]] = {}
    files: dict[str, dict[str, Any]] = {}
    control: dict[str, Any] | None = None
    for event in events:
        action, detail, at = event.action, event.detail or {}, _iso(event.at)
        if action in REPORT_ACTIONS:
            continue
        if action == "consent_given" and not timeline["started_at"]:
            timeline["started_at"] = at
        if action in CONSENT_ACTIONS:
            timeline["consents"].append({"at": at, "what": action})
        if action == "control_granted":
            control = {"start": at, "end": "",
                       "technician": _text(detail.get("technician", ""), 200)}
            timeline["control"].append(control)
        elif action in CONTROL_ENDS and control is not None:
            control["end"] = at
            control = None
        match action:
            case "action_announced":
                entry = {"at": at, "kind": _text(detail.get("kind"), 40),
                         "text": _text(detail.get("text")), "asks": bool(detail.get("asks")),
                         "answer": ""}
                actions[_int(detail.get("id"))] = entry
                timeline["actions"].append(entry)
            case "action_answered":
                asked = actions.get(_int(detail.get("id")))
                if asked is not None:
                    asked["answer"] = _text(detail.get("answer"), 20)
            case "step_written":
                timeline["steps"].append({"at": at, "text": _text(detail.get("text"))})
            case "chat_message":
                timeline["chat"].append({"at": at, "author": event.actor,
                                         "name": event.actor_name,
                                         "text": _text(detail.get("text"))})
            case "diagnostics_read":
                found = detail.get("findings")
                if isinstance(found, list):
                    timeline["findings"].extend(found)
            case "session_ended":
                timeline["ended_at"] = at
                timeline["end_reason"] = _text(detail.get("reason"), 40)
                timeline["ended_by"] = event.actor
            case _ if action.startswith("file_"):
                _file(files, timeline["files"], action, event.actor, detail)
    return timeline


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _file(files: dict[str, dict[str, Any]], listed: list[dict[str, Any]], action: str,
          actor: str, detail: dict[str, Any]) -> None:
    """Follows one file's audit events: its name, size, way, SHA-256, and how it ended."""
    ident = _text(detail.get("id"), 64)
    entry = files.get(ident)
    if entry is None:
        # The way a file goes: its offer says; else who acted on it first.
        direction = detail.get("direction") or (
            "to_technician" if actor == "person" else "to_person")
        entry = {"name": "", "size": None, "direction": _text(direction, 20), "sha256": "",
                 "state": ""}
        files[ident] = entry
        listed.append(entry)
    if detail.get("name"):
        entry["name"] = _text(detail["name"], 300)
    if isinstance(detail.get("size"), int):
        entry["size"] = detail["size"]
    if detail.get("sha256"):
        entry["sha256"] = _text(detail["sha256"], 64)
    entry["state"] = action.removeprefix("file_")


def awaits_report(events: Sequence[TimelineEvent]) -> bool:
    """Whether this session gets a report: the person shared their screen, and did not
    end it by reporting a problem (their organisation's admins look into that instead)."""
    actions = {event.action for event in events}
    return "consent_given" in actions and "problem_reported" not in actions


async def mandate_section(
    db: async_sessionmaker[AsyncSession], session_id: str
) -> MandateSection | None:
    """The mandate's section of the report: the mandate this session was bound by.

    Its purpose, the tools it allowed in the end (extensions included) in the
    words the person signed, until when a standing one runs, and the last
    signature: who, when, and the SHA-256 of the text. None for a session
    without a mandate, or one the person never signed. This is the one place
    where the mandate joins the report.
    """
    async with db() as s:
        row = await s.get(SupportSession, session_id)
    if row is None or row.mandate_id is None:
        return None
    mandate, signed = await mandate_of(db, row), await signatures_for(db, row)
    if mandate is None or not signed:
        return None
    terms = Terms.from_json(mandate.terms)
    tools = set(terms.tools)
    async with db() as s:
        for event in await s.scalars(select(AuditEvent).where(
                AuditEvent.session_id == session_id, AuditEvent.action == "mandate_extended")):
            added = event.detail.get("tools")
            if isinstance(added, list):
                tools.update(Tool(tool) for tool in added if tool in set(Tool))
    last = signed[-1]
    words = Translator("mandate", last.language)
    section: MandateSection = {
        "purpose": terms.purpose,
        "tools": [words(f"tool.{tool}") for tool in Tool if tool in tools],
        "signed_by": last.signer_name,
        "signed_at": _iso(last.signed_at),
        "sha256": last.sha256,
    }
    if mandate.standing_until is not None:
        section["until"] = mandate.standing_until.isoformat()
    return section


# --- the stored report -----------------------------------------------------------


class ReportRefused(ValueError):
    """A report or note that cannot be stored; the message is the sentence's key."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class FollowUp:
    text: str
    new_mandate: bool

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "new_mandate": self.new_mandate}


def clean_follow_ups(texts: Sequence[str], new_mandate: set[int]) -> list[FollowUp]:
    """The follow-ups a form gave: one per non-empty line, its box ticked or not.

    Raises:
        ReportRefused: a line too long, or too many lines.
    """
    kept: list[FollowUp] = []
    for index, raw in enumerate(texts):
        text = " ".join(raw.split())
        if not text:
            continue
        if len(text) > MAX_FOLLOW_UP_CHARACTERS:
            raise ReportRefused("report.error.follow_up_long", limit=MAX_FOLLOW_UP_CHARACTERS)
        kept.append(FollowUp(text, index in new_mandate))
    if len(kept) > MAX_FOLLOW_UPS:
        raise ReportRefused("report.error.follow_ups_many", limit=MAX_FOLLOW_UPS)
    return kept


class Reports:
    """Keeps the sessions' reports: drafts, sending, the person's notes; each step audited."""

    def __init__(self, db: async_sessionmaker[AsyncSession], audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def row(self, session_id: str) -> SessionReport | None:
        async with self._db() as s:
            return await s.get(SessionReport, session_id)

    async def notes(self, session_id: str) -> list[ReportNote]:
        async with self._db() as s:
            return list(await s.scalars(
                select(ReportNote).where(ReportNote.session_id == session_id)
                .order_by(ReportNote.id)))

    async def document(self, session: SupportSession) -> dict[str, Any]:
        """Everything the report shows (page, PDF, the person's window), JSON-ready.

        A draft's timeline is read from the audit log now; a sent report's is the
        one it was sent with.
        """
        report = await self.row(session.id)
        if report is not None and report.status == SENT:
            timeline = dict(report.timeline)
        else:
            timeline = prefill(await self._audit.events_of(session.id))
        person = session.person_hostname
        if session.person_user:
            person = f"{session.person_user}@{person}"
        return {
            "session_id": session.id,
            "organisation": session.technician.organisation.name,
            "technician": session.technician.display_name,
            "computer": person,
            "status": report.status if report is not None else DRAFT,
            "done": report.done if report is not None else "",
            "outcome": report.outcome if report is not None else "",
            "follow_ups": list(report.follow_ups) if report is not None else [],
            "sent_at": _iso(report.sent_at) if report is not None and report.sent_at else "",
            "timeline": timeline,
            "mandate": await mandate_section(self._db, session.id),
            "notes": [{"at": _iso(n.at), "text": n.text}
                      for n in await self.notes(session.id)],
        }

    async def save(self, session: SupportSession, user: User, *, done: str, outcome: str,
                   follow_ups: list[FollowUp], send: bool) -> SessionReport:
        """Stores the technician's part; ``send``: and sends the report to the person.

        Raises:
            ReportRefused: the session is not over, the report was sent
                already, or a field is refused (the key says which).
        """
        if session.ended_at is None:
            raise ReportRefused("report.error.not_ended")
        done = done.strip()
        if len(done) > MAX_DONE_CHARACTERS:
            raise ReportRefused("report.error.done_long", limit=MAX_DONE_CHARACTERS)
        if outcome not in ("", *OUTCOMES):
            raise ReportRefused("report.error.outcome")
        if send and (not done or not outcome):
            raise ReportRefused("report.error.incomplete")
        timeline = prefill(await self._audit.events_of(session.id)) if send else {}
        now = utcnow()
        async with self._db.begin() as s:
            report = await s.get(SessionReport, session.id)
            if report is None:
                report = SessionReport(session_id=session.id, status=DRAFT, created_at=now,
                                       timeline={}, person_language="")
                s.add(report)
            elif report.status == SENT:
                raise ReportRefused("report.error.already_sent")
            report.done, report.outcome = done, outcome
            report.follow_ups = [f.as_json() for f in follow_ups]
            report.updated_at, report.updated_by = now, user.id
            if send:
                report.status, report.sent_at, report.sent_by = SENT, now, user.id
                report.timeline = timeline
        await self._audit.append(
            "report_sent" if send else "report_saved", actor="technician",
            actor_name=user.display_name, session_id=session.id,
            detail={"outcome": outcome, "follow_ups": len(follow_ups),
                    "new_mandate": sum(f.new_mandate for f in follow_ups),
                    "technician_id": user.id},
        )
        return report

    async def status_for_person(self, session: SupportSession, language: str) -> str:
        """What the person's agent is told: ``none``, ``writing`` or ``sent``; the
        language it reads in is kept, for the console to say."""
        report = await self.row(session.id)
        if report is not None and report.status == SENT:
            if language and report.person_language != language:
                async with self._db.begin() as s:
                    stored = await s.get(SessionReport, session.id)
                    if stored is not None:
                        stored.person_language = language
            return STATUS_SENT
        if not awaits_report(await self._audit.events_of(session.id)):
            return STATUS_NONE
        return STATUS_WRITING

    async def add_note(self, session: SupportSession, text: str) -> ReportNote:
        """The person's answer to "anything else?", for the technician; audited.

        Raises:
            ReportRefused: empty, too long, too many notes, or no report sent.
        """
        text = text.strip()
        if not text:
            raise ReportRefused("report.error.note_empty")
        if len(text) > MAX_NOTE_CHARACTERS:
            raise ReportRefused("report.error.note_long", limit=MAX_NOTE_CHARACTERS,
                                length=len(text))
        report = await self.row(session.id)
        if report is None or report.status != SENT:
            raise ReportRefused("report.error.not_sent")
        async with self._db.begin() as s:
            count = await s.scalar(select(func.count(ReportNote.id))
                                   .where(ReportNote.session_id == session.id))
            if (count or 0) >= MAX_NOTES:
                raise ReportRefused("report.error.notes_many", limit=MAX_NOTES)
            note = ReportNote(session_id=session.id, at=utcnow(), text=text)
            s.add(note)
        person = session.person_hostname
        if session.person_user:
            person = f"{session.person_user}@{person}"
        await self._audit.append("report_note", actor="person", actor_name=person,
                                 session_id=session.id, detail={"text": text})
        return note
