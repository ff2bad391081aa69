"""The devices' REST API: enrolment (for ``coupdemain agent enroll``) and the console's actions.

Enrolment needs no sign-in: the token is the credential. The rest acts as
the signed-in user, changes need the CSRF header, and tokens and
revocation need an admin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from . import auth
from .access import ApiLogin, check_csrf
from .device_links import device_json
from .devices import DeviceError
from .groups import reachable
from .services import Shared
from .store.models import POLICY_ASK, User

router = APIRouter()


class TokenText(BaseModel):
    token: str = Field(max_length=200)


class Enrolment(TokenText):
    public_key: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    os: str = Field(default="", max_length=200)
    user: str = Field(default="", max_length=200)
    hardware: dict[str, Any] = Field(default_factory=dict)


class NewToken(BaseModel):
    group: str = Field(default="Default", max_length=200)
    policy: str = POLICY_ASK
    prompt_seconds: int = 60
    uses: int = 1
    hours: float = 24.0


def refused(exc: DeviceError) -> HTTPException:
    return HTTPException(status_code=exc.status, detail=str(exc))


def enrolment_refused(exc: DeviceError) -> JSONResponse:
    """The sentence, and a word with its numbers for the agent to say it in its language."""
    return JSONResponse({"error": str(exc), "reason": exc.reason, **exc.params},
                        status_code=exc.status)


def admin_only(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="Only an admin may do this.")


@router.post("/api/devices/enrolment/preview", response_model=None)
async def api_enrolment_preview(body: TokenText, shared: Shared) -> dict[str, Any] | JSONResponse:
    """What enrolling with this token means (organisation, group, policy); uses nothing."""
    try:
        preview = await shared.devices.registry.preview(body.token)
    except DeviceError as exc:
        return enrolment_refused(exc)
    return {"organisation": preview.organisation, "group": preview.group,
            "policy": preview.policy, "prompt_seconds": preview.prompt_seconds}


@router.post("/api/devices/enrol", response_model=None)
async def api_enrol(body: Enrolment, request: Request,
                    shared: Shared) -> dict[str, Any] | JSONResponse:
    """Enrols a device with its Ed25519 public key (32 raw bytes, base64); uses the token once."""
    address = request.client.host if request.client else "unknown"
    try:
        row = await shared.devices.registry.enrol(
            body.token, public_key=body.public_key, name=body.name, os=body.os, user=body.user,
            hardware=body.hardware, address=address)
    except DeviceError as exc:
        return enrolment_refused(exc)
    await shared.devices.publish(row.id)
    return {"device_id": row.id, "organisation": row.organisation.name,
            "policy": row.effective_policy}


@router.get("/api/devices")
async def api_devices(login: ApiLogin, shared: Shared) -> dict[str, Any]:
    """The organisation's devices, and the licences used / total (0: no limit)."""
    hub = shared.devices
    rows = await reachable(shared.db, login.user,
                           await hub.registry.of_organisation(login.user.organisation_id))
    licences = await hub.registry.licences()
    devices = [device_json(r, hub.online(r.id), hub.problems.get(r.id, "")) for r in rows]
    return {"devices": devices,
            "licences": {"used": licences.used, "total": licences.total}}


@router.post("/api/devices/tokens")
async def api_create_token(body: NewToken, request: Request, login: ApiLogin,
                           shared: Shared) -> dict[str, Any]:
    """Makes an enrolment token (admins); its text is in this answer only."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    admin_only(login.user)
    try:
        row, text = await shared.devices.registry.create_token(
            login.user, group=body.group, policy=body.policy,
            prompt_seconds=body.prompt_seconds, uses=body.uses, hours=body.hours)
    except DeviceError as exc:
        raise refused(exc) from None
    return {"id": row.id, "token": text, "expires_at": row.expires_at.isoformat(),
            "uses_left": row.uses_left}


@router.post("/api/devices/{device_id}/revoke")
async def api_revoke(device_id: str, request: Request, login: ApiLogin,
                     shared: Shared) -> dict[str, Any]:
    """Revokes a device (admins): its connection is cut, its key opens nothing after."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    admin_only(login.user)
    if not await shared.devices.revoke(login.user, device_id):
        raise HTTPException(status_code=404, detail="There is no such device.")
    return {"revoked": True}


@router.post("/api/devices/{device_id}/control")
async def api_control(device_id: str, request: Request, login: ApiLogin,
                      shared: Shared) -> dict[str, Any]:
    """Start remote control: the device's service joins a new session."""
    check_csrf(login, request.headers.get(auth.CSRF_HEADER))
    try:
        session_id = await shared.devices.start_remote_control(login.user, device_id)
    except DeviceError as exc:
        raise refused(exc) from None
    return {"session_id": session_id, "viewer_url": f"/sessions/{session_id}"}
