"""The console's Help requests: the live queue, and Take.

Everyone of the organisation sees the open requests of the devices they
may reach (``groups.may_reach``); the page follows them on
``/ws/help-requests`` (web/console/help-requests.js). *Take* starts remote
control on the device with viewing already accepted by the request, and
opens the viewer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import auth
from ..access import ApiLogin, ConsoleLogin, check_csrf, signed_in
from ..devices import DeviceError
from ..help_requests import request_json, serve_queue
from ..services import Shared
from ..sockets import admitted
from ..store.models import LoginSession
from .pages import render

router = APIRouter()


async def _page(request: Request, login: LoginSession, shared: Shared, *, status: int = 200,
                error: str = "") -> Response:
    rows = await shared.help_desk.open_for(login.user)
    return render(request, "help_requests.html", status=status, user=login.user,
                  csrf=login.csrf_token, requests=[request_json(r) for r in rows], error=error)


@router.get("/help-requests", response_class=HTMLResponse)
async def help_requests_page(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    return await _page(request, login, shared)


@router.post("/help-requests/{request_id}/take", response_class=HTMLResponse)
async def take(request: Request, request_id: str, login: ConsoleLogin, shared: Shared,
               csrf_token: str = Form("")) -> Response:
    check_csrf(login, csrf_token)
    try:
        session_id = await shared.help_desk.take(login.user, request_id)
    except DeviceError as exc:
        return await _page(request, login, shared, status=exc.status, error=str(exc))
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.get("/api/help-requests")
async def api_help_requests(login: ApiLogin, shared: Shared) -> dict[str, Any]:
    """The open help requests of the devices this user may reach, oldest first."""
    rows = await shared.help_desk.open_for(login.user)
    return {"requests": [request_json(r) for r in rows]}


@router.post("/api/help-requests/{request_id}/take")
async def api_take(request_id: str, request: Request, login: ApiLogin,
                   shared: Shared) -> dict[str, Any]:
    """Takes a help request: remote control starts on its device, viewing accepted."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    try:
        session_id = await shared.help_desk.take(login.user, request_id)
    except DeviceError as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    return {"session_id": session_id, "viewer_url": f"/sessions/{session_id}"}


@router.websocket("/ws/help-requests")
async def ws_help_requests(
    ws: WebSocket, shared: Shared,
    login: Annotated[LoginSession | None, Depends(signed_in)],
) -> None:
    """The console's Help requests page: open requests as they come and go."""
    login = await admitted(ws, login)
    if login is None:
        return
    await serve_queue(ws, shared.help_desk, login.user)
