"""The console's Groups page (admins): each group's policy and who reaches it, each
device's group and its own policy.

The rule these settings feed is ``groups.may_reach``. The same changes are
in the REST API (``/api/groups``, ``/api/devices/{id}/settings``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from .. import auth
from ..access import ApiLogin, ConsoleLogin, check_csrf
from ..device_links import device_json
from ..devices import DeviceError
from ..services import Shared
from ..store.models import POLICIES, POLICY_ASK, LoginSession
from .pages import render

router = APIRouter()


def _admin(login: LoginSession) -> None:
    if login.user.role != "admin":
        raise HTTPException(status_code=403, detail="Only an admin may do this.")


async def _page(request: Request, login: LoginSession, shared: Shared, *, status: int = 200,
                error: str = "") -> Response:
    user = login.user
    rows = await shared.devices.registry.of_organisation(user.organisation_id)
    return render(
        request, "groups.html", status=status, user=user, csrf=login.csrf_token,
        groups=await shared.groups.groups(user), technicians=await shared.groups.technicians(user),
        devices=[(r, device_json(r, shared.devices.online(r.id))) for r in rows
                 if r.revoked_at is None],
        policies=POLICIES, error=error)


@router.get("/groups", response_class=HTMLResponse)
async def groups_page(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    _admin(login)
    return await _page(request, login, shared)


@router.post("/groups", response_class=HTMLResponse)
async def create_group(request: Request, login: ConsoleLogin, shared: Shared,
                       csrf_token: str = Form(""), name: str = Form(""),
                       policy: str = Form(POLICY_ASK), prompt_seconds: int = Form(60)) -> Response:
    check_csrf(login, csrf_token)
    _admin(login)
    try:
        await shared.groups.create_group(login.user, name, policy, prompt_seconds)
    except DeviceError as exc:
        return await _page(request, login, shared, status=exc.status, error=str(exc))
    return RedirectResponse("/groups", status_code=303)


@router.post("/groups/{group_id}", response_class=HTMLResponse)
async def set_group(request: Request, group_id: int, login: ConsoleLogin,
                    shared: Shared) -> Response:
    form = await request.form()
    check_csrf(login, str(form.get("csrf_token", "")))
    _admin(login)
    try:
        await shared.groups.set_group(
            login.user, group_id, policy=str(form.get("policy", POLICY_ASK)),
            prompt_seconds=_int(form.get("prompt_seconds"), 60),
            all_technicians=form.get("all_technicians") == "on",
            technician_ids=[_int(v, 0) for v in form.getlist("technician")])
    except DeviceError as exc:
        return await _page(request, login, shared, status=exc.status, error=str(exc))
    return RedirectResponse("/groups", status_code=303)


@router.post("/groups/devices/{device_id}", response_class=HTMLResponse)
async def set_device(request: Request, device_id: str, login: ConsoleLogin, shared: Shared,
                     csrf_token: str = Form(""), group_id: int = Form(0),
                     policy: str = Form(""), prompt_seconds: str = Form(""),
                     tags: str = Form("")) -> Response:
    check_csrf(login, csrf_token)
    _admin(login)
    try:
        await shared.groups.set_device(
            login.user, device_id, group_id=group_id, policy=policy or None,
            prompt_seconds=_int(prompt_seconds, 0) or None, tags=tags.split(","))
    except DeviceError as exc:
        return await _page(request, login, shared, status=exc.status, error=str(exc))
    await shared.devices.publish(device_id)
    return RedirectResponse("/groups", status_code=303)


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


# --- the REST API -------------------------------------------------------------------


class NewGroup(BaseModel):
    name: str = Field(max_length=200)
    policy: str = POLICY_ASK
    prompt_seconds: int = 60


class GroupSettings(BaseModel):
    policy: str = POLICY_ASK
    prompt_seconds: int = 60
    all_technicians: bool = True
    technicians: list[str] = Field(default_factory=list, max_length=1000)  # usernames


class DeviceSettings(BaseModel):
    group: str = Field(max_length=200)
    policy: str | None = None          # None: the group's
    prompt_seconds: int | None = None  # None: the group's
    tags: list[str] | None = None      # None: unchanged


def _refused(exc: DeviceError) -> HTTPException:
    return HTTPException(status_code=exc.status, detail=str(exc))


@router.get("/api/groups")
async def api_groups(login: ApiLogin, shared: Shared) -> dict[str, Any]:
    """The organisation's groups (admins): policy, prompt, who reaches them."""
    _admin(login)
    technicians = {u.id: u.username for u in await shared.groups.technicians(login.user)}
    return {"groups": [
        {"id": g.id, "name": g.name, "policy": g.policy, "prompt_seconds": g.prompt_seconds,
         "all_technicians": g.all_technicians, "devices": g.devices,
         "technicians": sorted(technicians[u] for u in g.technician_ids if u in technicians)}
        for g in await shared.groups.groups(login.user)]}


@router.post("/api/groups")
async def api_create_group(body: NewGroup, request: Request, login: ApiLogin,
                           shared: Shared) -> dict[str, Any]:
    """Makes a group, open to all technicians (admins)."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    _admin(login)
    try:
        group_id = await shared.groups.create_group(login.user, body.name, body.policy,
                                                    body.prompt_seconds)
    except DeviceError as exc:
        raise _refused(exc) from None
    return {"id": group_id}


@router.put("/api/groups/{group_id}")
async def api_set_group(group_id: int, body: GroupSettings, request: Request, login: ApiLogin,
                        shared: Shared) -> dict[str, Any]:
    """Sets a group's policy and which technicians (by username) reach it (admins)."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    _admin(login)
    ids = {u.username: u.id for u in await shared.groups.technicians(login.user)}
    unknown = [name for name in body.technicians if name not in ids]
    if unknown:
        raise HTTPException(status_code=400,
                            detail=f"{unknown[0]!r} is not a technician of this organisation.")
    try:
        await shared.groups.set_group(
            login.user, group_id, policy=body.policy, prompt_seconds=body.prompt_seconds,
            all_technicians=body.all_technicians,
            technician_ids=[ids[name] for name in body.technicians])
    except DeviceError as exc:
        raise _refused(exc) from None
    return {"saved": True}


@router.put("/api/devices/{device_id}/settings")
async def api_set_device(device_id: str, body: DeviceSettings, request: Request,
                         login: ApiLogin, shared: Shared) -> dict[str, Any]:
    """Moves a device to a group (by name) and sets its own policy (admins)."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    _admin(login)
    by_name = {g.name: g.id for g in await shared.groups.groups(login.user)}
    if body.group not in by_name:
        raise HTTPException(status_code=404, detail="There is no such group.")
    try:
        await shared.groups.set_device(login.user, device_id, group_id=by_name[body.group],
                                       policy=body.policy, prompt_seconds=body.prompt_seconds,
                                       tags=body.tags)
    except DeviceError as exc:
        raise _refused(exc) from None
    await shared.devices.publish(device_id)
    return {"saved": True}
