"""The two WebSocket routes, and who may open them; ``connections.py`` serves them.

``/ws/agent`` is open to anyone: the agent proves itself with a support
code or a resume secret in its hello. ``/ws/viewer/{session}`` needs a
sign-in from a page of this server, and a session that sign-in may see
(``access.visible_session``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, WebSocket

from ..protocol import messages as m
from ..protocol.enums import By
from ..protocol.errors import CloseReason
from ..protocol.session import State, Technician
from .access import signed_in, visible_session
from .connections import serve_agent, serve_viewer
from .device_links import serve_watcher
from .services import Shared
from .store.models import LoginSession

router = APIRouter()


@router.websocket("/ws/agent")
async def ws_agent(ws: WebSocket, shared: Shared) -> None:
    await serve_agent(ws, shared.rendezvous)


@router.websocket("/ws/device")
async def ws_device(ws: WebSocket, shared: Shared) -> None:
    """A managed device's service: it proves itself by signing a challenge (device_links.py)."""
    await shared.devices.serve(ws)


@router.websocket("/ws/devices")
async def ws_devices(
    ws: WebSocket, shared: Shared,
    login: Annotated[LoginSession | None, Depends(signed_in)],
) -> None:
    """The console's Devices page: the organisation's devices as they change."""
    login = await admitted(ws, login)
    if login is None:
        return
    await serve_watcher(ws, shared.devices, login.user.organisation_id, login.user)


@router.websocket("/ws/viewer/{session_id}")
async def ws_viewer(
    ws: WebSocket, session_id: str, shared: Shared,
    login: Annotated[LoginSession | None, Depends(signed_in)],
) -> None:
    login = await admitted(ws, login)
    if login is None:
        return
    row = await visible_session(shared.db, login.user, session_id)
    if row is None:
        await ws.accept()
        await ws.close(int(CloseReason.SESSION_NOT_FOUND))
        return
    live = await shared.rendezvous.load(session_id)
    if live is None:
        # Over already: say how it ended, so a reloaded page can tell.
        await ws.accept()
        reason = _reason_named(row.end_reason)
        await ws.send_text(m.serialize(m.State(state=State.ENDED)))
        await ws.send_text(m.serialize(m.Ended(By(row.ended_by or By.SERVER), int(reason))))
        await ws.close(int(CloseReason.NORMAL))
        return
    user = login.user
    technician = Technician(user.id, user.display_name, user.organisation.name)
    await serve_viewer(ws, shared.rendezvous, live, technician)


async def admitted(ws: WebSocket, login: LoginSession | None) -> LoginSession | None:
    """The sign-in of a console socket, or None once it is closed (UNAUTHORIZED): no
    sign-in, or a page of another site."""
    if login is not None and _same_origin(ws):
        return login
    await ws.accept()
    await ws.close(int(CloseReason.UNAUTHORIZED))
    return None


def _same_origin(ws: WebSocket) -> bool:
    """Refuses cross-site WebSocket hijacking: the page must come from this host."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == ws.headers.get("host", "")


def _reason_named(name: str) -> CloseReason:
    try:
        return CloseReason[name.upper()]
    except KeyError:
        return CloseReason.NORMAL
