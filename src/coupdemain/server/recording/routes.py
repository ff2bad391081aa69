"""The console's side of recordings: the organisation's policy, playback, MP4 export, upload.

- ``/organisation/recording``: an admin sets the policy (never / ask /
  always) and how many days recordings are kept.
- ``/sessions/{id}/recording``: the recording, opened, for the history
  page's player (``web/console/player.js``); ``.../recording/info`` says
  what it is and where the timeline's events fall; ``.../recording.mp4``
  exports it. Only to a user who may see the session (``access.may_see``):
  others get 404, as for the session itself.
- ``/api/sessions/{id}/recording/webm``: the technician's console uploads
  a browser share's picture as it records it (MediaRecorder), piece by
  piece, in order; the server appends them to one sealed file.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ...i18n import Translator
from ...protocol.enums import RecordingPolicy
from ..access import ApiSession, ConsoleLogin, ConsoleSession, check_csrf
from ..auth import CSRF_HEADER, tokens_match
from ..console.pages import language_of, render
from ..services import Services, Shared
from ..store.models import AuditEvent, Organisation
from .sealed import (
    KIND_FRAMES,
    KIND_WEBM,
    Opened,
    RecordingError,
    RecordingWriteFailed,
    open_sealed,
)

router = APIRouter()

MAX_RETENTION_DAYS = 3650
MAX_UPLOAD_PIECE = 8 * 1024 * 1024
# The timeline's events shown as marks on the player's seek bar.
MARKED_ACTIONS = frozenset({
    "consent_given", "recording_accepted", "control_requested", "control_granted",
    "control_refused", "control_revoked", "control_released", "action_announced",
    "action_answered", "step_written", "chat_message", "paused", "resumed",
    "file_offered", "session_ended",
})


# --- the organisation's policy ------------------------------------------------------


def _admin(login: Any) -> None:
    if login.user.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")


@router.get("/organisation/recording", response_class=HTMLResponse)
async def recording_policy_page(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    _admin(login)
    async with shared.db() as db:
        org = await db.get(Organisation, login.user.organisation_id)
    assert org is not None
    return render(request, "recording_policy.html", user=login.user, csrf=login.csrf_token,
                  org=org, policies=[p.value for p in RecordingPolicy], saved=False, error="")


@router.post("/organisation/recording", response_class=HTMLResponse)
async def recording_policy_save(
    request: Request, login: ConsoleLogin, shared: Shared,
    policy: str = Form(""), retention_days: str = Form(""), csrf_token: str = Form(""),
) -> Response:
    _admin(login)
    check_csrf(login, csrf_token)
    t = Translator("console", language_of(request))
    async with shared.db.begin() as db:
        org = await db.get(Organisation, login.user.organisation_id)
        assert org is not None
        error = ""
        try:
            days = int(retention_days)
        except ValueError:
            days = -1
        if policy not in {p.value for p in RecordingPolicy}:
            error = t("recording.error.policy", value=policy)
        elif not 1 <= days <= MAX_RETENTION_DAYS:
            error = t("recording.error.days", value=retention_days, most=MAX_RETENTION_DAYS)
        else:
            org.recording_policy, org.recording_retention_days = policy, days
    if error:
        return render(request, "recording_policy.html", status=400, user=login.user,
                      csrf=login.csrf_token, org=org,
                      policies=[p.value for p in RecordingPolicy], saved=False, error=error)
    await shared.audit.append(
        "recording_policy_set", actor="admin", actor_name=login.user.display_name,
        detail={"policy": policy, "retention_days": days, "organisation": org.name})
    return RedirectResponse("/organisation/recording?saved=1", status_code=303)


# --- playback and export -----------------------------------------------------------


async def _opened(shared: Services, session_id: str) -> Opened:
    path = shared.recordings.existing(session_id)
    if path is None or shared.recordings.is_open(session_id):
        raise HTTPException(status_code=404, detail="no recording")
    try:
        return await asyncio.to_thread(open_sealed, path, shared.recordings.key)
    except (RecordingError, OSError) as exc:
        raise HTTPException(status_code=404, detail="the recording cannot be read") from exc


@router.get("/sessions/{session_id}/recording")
async def recording_stream(seen: ConsoleSession, shared: Shared) -> Response:
    """The recording, opened: records of frames (application/octet-stream), or WebM."""
    opened = await _opened(shared, seen.row.id)
    media = "video/webm" if opened.kind == KIND_WEBM else "application/octet-stream"
    return Response(opened.plaintext, media_type=media,
                    headers={"Cache-Control": "no-store"})


def marks_of(events: list[AuditEvent], started_at: float) -> list[dict[str, Any]]:
    """The timeline's events after the recording's start, in milliseconds from it."""
    marks = []
    for event in events:
        if event.action not in MARKED_ACTIONS:
            continue
        at = round((event.at.timestamp() - started_at) * 1000)
        detail = event.detail or {}
        marks.append({"at": max(0, at), "action": event.action,
                      "text": str(detail.get("text", ""))[:200]})
    return marks


@router.get("/sessions/{session_id}/recording/info")
async def recording_info(seen: ConsoleSession, shared: Shared) -> Response:
    opened = await _opened(shared, seen.row.id)
    events = await shared.audit.events_of(seen.row.id)
    return JSONResponse({
        "kind": "webm" if opened.kind == KIND_WEBM else "frames",
        "started_at": opened.started_at,
        "complete": opened.complete,
        "marks": marks_of(events, opened.started_at),
    }, headers={"Cache-Control": "no-store"})


@router.get("/sessions/{session_id}/recording.mp4")
async def recording_mp4(seen: ConsoleSession, shared: Shared) -> Response:
    from .export import export_mp4
    opened = await _opened(shared, seen.row.id)
    if opened.kind != KIND_FRAMES:
        raise HTTPException(status_code=404, detail="no recording of frames")
    data = await asyncio.to_thread(export_mp4, opened.plaintext)
    await shared.audit.append(
        "recording_exported", actor="technician", actor_name=seen.user.display_name,
        session_id=seen.row.id, detail={"format": "mp4", "technician_id": seen.user.id})
    return Response(data, media_type="video/mp4", headers={
        "Content-Disposition": f'attachment; filename="session-{seen.row.id}.mp4"',
        "Cache-Control": "no-store",
    })


# --- a browser share's recording, uploaded by the console ---------------------------


@router.post("/api/sessions/{session_id}/recording/webm")
async def upload_webm(request: Request, seen: ApiSession, shared: Shared, seq: int) -> Response:
    """Appends piece ``seq`` (0, 1, 2...) of a browser share's WebM recording.

    Pieces must come in order: a piece already appended is acknowledged
    again (a retry), one that skips ahead is refused (409) with the piece
    expected. Only while the session is shared from a browser and the
    person accepted the recording.
    """
    if not tokens_match(request.headers.get(CSRF_HEADER), seen.login.csrf_token):
        raise HTTPException(status_code=403, detail="csrf")
    live = shared.rendezvous.live(seen.row.id)
    if live is None or not live.machine.browser_recording_allowed:
        raise HTTPException(status_code=409, detail="this session is not being recorded")
    body = await request.body()
    if len(body) > MAX_UPLOAD_PIECE:
        raise HTTPException(status_code=413, detail=f"a piece has at most {MAX_UPLOAD_PIECE} bytes")
    recordings = shared.recordings
    expected = recordings.pieces.get(seen.row.id, 0)
    if seq < expected:
        return JSONResponse({"next": expected})
    if seq > expected:
        raise HTTPException(status_code=409, detail=f"piece {expected} is expected, not {seq}")
    try:
        if not recordings.is_open(seen.row.id):
            recordings.start(seen.row.id, KIND_WEBM)
        recordings.append(seen.row.id, body)
    except RecordingWriteFailed as exc:
        reason = exc.reason
        await shared.rendezvous.act(live, lambda s: s.recording_stopped(reason))
        raise HTTPException(status_code=409, detail="the recording stopped") from exc
    recordings.pieces[seen.row.id] = expected + 1
    return JSONResponse({"next": expected + 1})
