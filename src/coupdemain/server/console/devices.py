"""The console's Devices pages: the list (live), one device, tokens, revoke, Start remote control.

Everyone of the organisation sees its devices and may start remote control;
only admins make and delete enrolment tokens and revoke devices. The list
updates itself from ``/ws/devices`` (web/console/devices.js).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ... import i18n
from ..access import ConsoleLogin, check_csrf
from ..device_links import device_json
from ..devices import DeviceError
from ..groups import may_reach, reachable
from ..services import Shared
from ..store.models import POLICIES, POLICY_ASK, AuditEvent, LoginSession, SupportSession
from .pages import language_of, public_address, render

router = APIRouter()

# What the device page's actions ask the viewer to do once it sees the screen (main.js).
VIEWER_ACTIONS = ("diagnostics", "send_file")
# How many of the latest audit events the device page searches for its own.
DEVICE_EVENTS_SCANNED = 2000


async def _list_page(request: Request, login: LoginSession, shared: Shared, *,
                     status: int = 200, error: str = "", new_token: str = "") -> Response:
    hub = shared.devices
    user = login.user
    rows = await reachable(shared.db, user,
                           await hub.registry.of_organisation(user.organisation_id))
    devices = [device_json(r, hub.online(r.id), hub.problems.get(r.id, "")) for r in rows]
    tokens = await hub.registry.tokens_of(user.organisation_id) if user.role == "admin" else []
    return render(
        request, "devices.html", status=status, user=user, csrf=login.csrf_token,
        devices=devices, groups=await hub.registry.groups_of(user.organisation_id),
        licences=await hub.registry.licences(), tokens=tokens, error=error,
        new_token=new_token, policies=POLICIES,
        agent_available=shared.agent_binary.path() is not None,
        package_available=shared.agent_binary.package() is not None,
        server_url=public_address(request, shared),
    )


@router.get("/devices", response_class=HTMLResponse)
async def devices_page(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    return await _list_page(request, login, shared)


@router.post("/devices/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request, login: ConsoleLogin, shared: Shared, csrf_token: str = Form(""),
    group: str = Form("Default"), policy: str = Form(POLICY_ASK),
    prompt_seconds: int = Form(60), uses: int = Form(1), hours: float = Form(24.0),
) -> Response:
    check_csrf(login, csrf_token)
    if login.user.role != "admin":
        raise HTTPException(status_code=403)
    try:
        _, text = await shared.devices.registry.create_token(
            login.user, group=group, policy=policy, prompt_seconds=prompt_seconds, uses=uses,
            hours=hours)
    except DeviceError as exc:
        return await _list_page(request, login, shared, status=400, error=str(exc))
    return await _list_page(request, login, shared, new_token=text)


@router.post("/devices/tokens/{token_id}/delete")
async def delete_token(token_id: int, login: ConsoleLogin, shared: Shared,
                       csrf_token: str = Form("")) -> Response:
    check_csrf(login, csrf_token)
    if login.user.role != "admin":
        raise HTTPException(status_code=403)
    await shared.devices.registry.delete_token(login.user, token_id)
    return RedirectResponse("/devices", status_code=303)


@router.post("/devices/{device_id}/revoke")
async def revoke(device_id: str, login: ConsoleLogin, shared: Shared,
                 csrf_token: str = Form("")) -> Response:
    check_csrf(login, csrf_token)
    if login.user.role != "admin":
        raise HTTPException(status_code=403)
    if not await shared.devices.revoke(login.user, device_id):
        raise HTTPException(status_code=404)
    return RedirectResponse(f"/devices/{device_id}", status_code=303)


@router.post("/devices/{device_id}/control", response_class=HTMLResponse)
async def start_remote_control(request: Request, device_id: str, login: ConsoleLogin,
                               shared: Shared, csrf_token: str = Form(""),
                               then: str = Form("")) -> Response:
    """Starts a session on the device; ``then`` (Run diagnostics, Send a file) is what the
    viewer does as soon as it sees the screen."""
    check_csrf(login, csrf_token)
    try:
        session_id = await shared.devices.start_remote_control(login.user, device_id)
    except DeviceError as exc:
        return await _list_page(request, login, shared, status=404 if exc.status == 404 else 409,
                                error=str(exc))
    after = f"?then={then}" if then in VIEWER_ACTIONS else ""
    return RedirectResponse(f"/sessions/{session_id}{after}", status_code=303)


@router.get("/devices/{device_id}", response_class=HTMLResponse)
async def device_page(request: Request, device_id: str, login: ConsoleLogin,
                      shared: Shared) -> Response:
    hub = shared.devices
    row = await hub.registry.get(device_id)
    # Out of the user's reach (groups.py) is answered as not there at all.
    if row is None or not await may_reach(shared.db, login.user, row):
        raise HTTPException(status_code=404)
    async with shared.db() as db:
        sessions = list(await db.scalars(
            select(SupportSession).where(SupportSession.device_id == device_id)
            .order_by(SupportSession.created_at.desc()).limit(50)))
        latest = list(await db.scalars(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(DEVICE_EVENTS_SCANNED)))
    events = [e for e in reversed(latest) if _about(e, device_id)]
    device = device_json(row, hub.online(row.id), hub.problems.get(row.id, ""))
    return render(request, "device.html", user=login.user, csrf=login.csrf_token,
                  device=device, sessions=sessions,
                  events=events, inventory=_inventory_rows(row.hardware or {},
                                                           language_of(request)))


def _about(event: AuditEvent, device_id: str) -> bool:
    detail: dict[str, Any] = event.detail or {}
    return detail.get("device_id") == device_id


def _inventory_rows(hardware: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    t = i18n.Translator("console", lang)
    rows = []
    for key in ("cpus", "cpu_model", "memory_bytes", "disk_bytes", "disk_free_bytes",
                "boot_time", "python"):
        if key in hardware:
            value = hardware[key]
            if key.endswith("_bytes"):
                value = f"{float(value) / 1e9:.1f} GB"
            rows.append((t(f"devices.inventory.{key}"), str(value)))
    return rows
