"""The REST API under /api: codes, a session's audit events, and its OpenAPI document.

Requests act as the signed-in user (the session cookie); those that change
something also carry the sign-in's CSRF token in the X-CSRF-Token header.
The file transfers' routes are in ``transfers.py``, the API's
documentation page in ``console/pages.py``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi

from . import auth
from .access import ApiLogin, ApiSession, check_csrf
from .services import Shared
from .store.models import AuditEvent

API_DESCRIPTION = (
    "The REST API of this coupdemain server. Requests act as the signed-in user "
    "(the session cookie); those that change something also need the sign-in's "
    "CSRF token in the X-CSRF-Token header."
)

router = APIRouter()


@router.post("/api/sessions")
async def api_create_session(request: Request, login: ApiLogin,
                             shared: Shared) -> dict[str, Any]:
    """Issues a support code for the signed-in technician."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    issued = await shared.rendezvous.issue_code(login.user)
    return {
        "session_id": issued.session_id,
        "code": issued.code.digits,
        "code_formatted": issued.code.formatted(),
        "expires_at": issued.expires_at.isoformat(),
        "viewer_url": f"/sessions/{issued.session_id}",
    }


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
