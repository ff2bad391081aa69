"""The REST API under /api: codes, a session's audit events, and its OpenAPI document.

Requests act as the signed-in user (the session cookie); those that change
something also carry the sign-in's CSRF token in the X-CSRF-Token header.
The file transfers' routes are in ``transfers.py``, the API's
documentation page in ``console/pages.py``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from sqlalchemy import select

from ..protocol.errors import MalformedMessage
from ..protocol.mandate import Terms
from . import auth, mandates
from .access import ApiLogin, ApiSession, check_csrf
from .console.mandates import mandate_pdf_of, pdf_response
from .rendezvous import resume_digest
from .services import Shared
from .store.models import AuditEvent, SupportSession

API_DESCRIPTION = (
    "The REST API of this coupdemain server. Requests act as the signed-in user "
    "(the session cookie); those that change something also need the sign-in's "
    "CSRF token in the X-CSRF-Token header."
)

router = APIRouter()


@router.post("/api/sessions")
async def api_create_session(request: Request, login: ApiLogin,
                             shared: Shared) -> dict[str, Any]:
    """Issues a support code for the signed-in technician, under a mandate.

    The JSON body, all optional: ``{"mandate": <terms>}`` (as ``GET
    /api/mandate-templates`` lists them: purpose, tools, minutes, role,
    standing_until) writes a mandate; ``{"standing_mandate_id": <id>}`` uses a
    standing mandate still running; no body or ``{}`` gives a code without a
    mandate, where the organisation allows it. A refusal is 400 with a sentence.
    """
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    body = await request.body()
    try:
        choice = _mandate_choice(json.loads(body) if body.strip() else {})
        issued = await mandates.issue_code(shared, login.user, choice)
    except json.JSONDecodeError:
        raise HTTPException(status_code=400, detail="the body is not JSON") from None
    except mandates.MandateRefused as refused:
        raise HTTPException(status_code=400, detail=str(refused)) from None
    return {
        "session_id": issued.session_id,
        "code": issued.code.digits,
        "code_formatted": issued.code.formatted(),
        "expires_at": issued.expires_at.isoformat(),
        "viewer_url": f"/sessions/{issued.session_id}",
    }


def _mandate_choice(body: object) -> mandates.Choice:
    if not isinstance(body, dict):
        raise mandates.MandateRefused("the body is a JSON object")
    if "standing_mandate_id" in body:
        given = body["standing_mandate_id"]
        if not isinstance(given, int) or isinstance(given, bool):
            raise mandates.MandateRefused("standing_mandate_id is a whole number")
        return mandates.Choice(standing_id=given)
    if "mandate" in body:
        try:
            terms = Terms.from_json(body["mandate"])
        except MalformedMessage as refused:
            raise mandates.MandateRefused(str(refused)) from None
        return mandates.Choice(terms=mandates.still_running(terms))
    return mandates.Choice()


@router.get("/api/mandate-templates")
async def api_mandate_templates(login: ApiLogin, shared: Shared) -> list[dict[str, Any]]:
    """The organisation's mandate templates: a name and terms to send as ``mandate``."""
    return [{"id": row.id, "name": row.name, "terms": row.terms}
            for row in await mandates.templates_of(shared.db, login.user.organisation_id)]


@router.get("/api/agent/mandate.pdf")
async def api_agent_mandate_pdf(request: Request, shared: Shared) -> Response:
    """The signed mandate's PDF, for the person's agent: ``Authorization: Bearer`` with
    the resume secret its welcome carried (only its SHA-256 is stored)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HTTPException(status_code=401, detail=(
            "send the session's resume secret: Authorization: Bearer <secret>"))
    async with shared.db() as s:
        row = await s.scalar(select(SupportSession).where(
            SupportSession.resume_digest == resume_digest(secret.strip())))
    if row is None:
        raise HTTPException(status_code=401, detail="this secret opens no session")
    if row.mandate_id is None:
        raise HTTPException(status_code=404, detail="this session has no mandate")
    pdf = await mandate_pdf_of(shared, row)
    if pdf is None:
        raise HTTPException(status_code=404,
                            detail="the person has not signed this session's mandate yet")
    return pdf_response(pdf, row.id)


@router.get("/api/sessions/{session_id}/events")
async def api_events(seen: ApiSession, shared: Shared) -> list[dict[str, Any]]:
    """The audit events of one session, oldest first."""
    return [_event_json(e) for e in await shared.audit.events_of(seen.row.id)]


@router.get("/api/openapi.json", include_in_schema=False)
async def api_openapi(request: Request, login: ApiLogin) -> dict[str, Any]:
    app = request.app
    if app.openapi_schema is None:
        app.openapi_schema = api_only(get_openapi(
            title=app.title, version=app.version, description=API_DESCRIPTION,
            routes=app.routes,
        ))
    schema: dict[str, Any] = app.openapi_schema
    return schema


def api_only(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document without the console's pages, which are not part of the API."""
    paths = {path: item for path, item in schema.get("paths", {}).items()
             if path.startswith("/api/")}
    schemas = schema.get("components", {}).get("schemas", {})
    kept: dict[str, Any] = {}
    text = json.dumps(paths)
    while True:  # the schemas the paths use, and those these use in turn
        more = {name: value for name, value in schemas.items()
                if name not in kept and f'"#/components/schemas/{name}"' in text}
        if not more:
            break
        kept.update(more)
        text = json.dumps(more)
    return {**schema, "paths": paths, "components": {**schema.get("components", {}),
                                                     "schemas": kept}}


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(), "actor": event.actor, "actor_name": event.actor_name,
        "action": event.action, "detail": event.detail, "hash": event.hash,
    }
