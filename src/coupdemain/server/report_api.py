"""The session's report, as the person's agent reads it after the session ended.

The agent's WebSocket closes when the session ends; the report is written
after that, minutes later. So the agent asks for it over HTTP, as it moves
files: ``Authorization: Bearer <resume secret>`` (``Welcome.resume``, of
which the server keeps only the SHA-256). The secret cannot resume an
ended session (``Rendezvous.find_resumable``); here it opens only that
session's report, for ``REPORT_ACCESS`` after the end.

- ``GET /api/agent/report?lang=fr``: ``{"status": "none" | "writing" | "sent"}``,
  with ``"report"`` once sent;
- ``GET /api/agent/report.pdf?lang=fr&offset=60``: its PDF, the times at
  the person's offset from UTC in minutes;
- ``POST /api/agent/report/notes`` ``{"text": "..."}``: the person's answer to
  "anything else?", for the technician; 201, or 4xx with a sentence.

docs/reference/protocol.md ("After the end: the report") describes them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from .. import i18n
from .console.report import pdf_response
from .recap import MAX_NOTE_CHARACTERS, STATUS_SENT, ReportRefused
from .rendezvous import resume_digest
from .services import Shared
from .store.models import SupportSession, utcnow

# How long after its end the person's agent may read a session's report.
REPORT_ACCESS = timedelta(days=1)
# A note's JSON body, with room for escapes; larger bodies are refused unread.
MAX_NOTE_BODY_BYTES = MAX_NOTE_CHARACTERS * 8 + 256

router = APIRouter(include_in_schema=False)


def _refused(status: int, sentence: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status)


async def _session(request: Request, shared: Shared) -> SupportSession | JSONResponse:
    """The ended session whose resume secret the request carries, else the refusal."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _refused(401, "Give the session's resume secret as a bearer token.")
    async with shared.db() as s:
        row = await s.scalar(select(SupportSession).where(
            SupportSession.resume_digest == resume_digest(secret.strip())))
    if row is None:
        return _refused(401, "No session has this resume secret.")
    if row.ended_at is not None and utcnow() - row.ended_at > REPORT_ACCESS:
        return _refused(410, "This session's report can no longer be read from the agent.")
    return row


def _language(request: Request) -> str:
    lang = request.query_params.get("lang", "")
    return lang if lang in i18n.SUPPORTED_LANGUAGES else ""


@router.get("/api/agent/report")
async def agent_report(request: Request, shared: Shared) -> Response:
    row = await _session(request, shared)
    if isinstance(row, JSONResponse):
        return row
    if row.ended_at is None:
        return JSONResponse({"status": "writing"})
    status = await shared.reports.status_for_person(row, _language(request))
    body: dict[str, Any] = {"status": status}
    if status == STATUS_SENT:
        document = await shared.reports.document(row)
        document.pop("notes", None)
        document.pop("session_id", None)
        body["report"] = document
    return JSONResponse(body)


@router.get("/api/agent/report.pdf")
async def agent_report_pdf(request: Request, shared: Shared) -> Response:
    row = await _session(request, shared)
    if isinstance(row, JSONResponse):
        return row
    document = await shared.reports.document(row)
    if document["status"] != STATUS_SENT:
        return _refused(404, "The report has not been sent yet.")
    try:
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        offset = 0
    return pdf_response(document, _language(request) or i18n.DEFAULT_LANGUAGE, offset)


@router.post("/api/agent/report/notes")
async def agent_report_note(request: Request, shared: Shared) -> Response:
    row = await _session(request, shared)
    if isinstance(row, JSONResponse):
        return row
    t = i18n.Translator("console", _language(request) or i18n.DEFAULT_LANGUAGE)
    body = await request.body()
    if len(body) > MAX_NOTE_BODY_BYTES:
        return _refused(413, t("report.error.note_long", limit=MAX_NOTE_CHARACTERS,
                               length=len(body.decode("utf-8", "replace"))))
    try:
        data = json.loads(body)
        text = data["text"]
        if not isinstance(text, str):
            raise TypeError("text")
    except (ValueError, KeyError, TypeError):
        return _refused(400, 'Send {"text": "..."} as JSON.')
    try:
        await shared.reports.add_note(row, text)
    except ReportRefused as refused:
        status = {"report.error.note_long": 413, "report.error.not_sent": 409,
                  "report.error.notes_many": 429}.get(refused.key, 400)
        return _refused(status, t(refused.key, **refused.params))
    return JSONResponse({"ok": True}, status_code=201)
