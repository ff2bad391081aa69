"""Getting the agent to managed devices: the pre-configured file, and the Debian package.

An admin who just made an enrolment token downloads the single-file agent
with that token and this server's address in its trailer: run on a
computer (``sudo ./coupdemain-agent --yes`` in a deployment job), it enrols
it and installs its service (``agent/device/setup.py``). The token travels
in a POST body, never in a URL that logs and histories keep. The Debian
package is the same agent for deployment tools; the token is given at
install time (docs/howto/devices.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from ..access import ConsoleLogin, check_csrf
from ..agent_download import DEVICE_FILE_NAME, PACKAGE_NAME
from ..devices import EnrolmentRefused
from ..services import Shared
from .pages import error_page, public_address

router = APIRouter()


def _admin_only(login: ConsoleLogin) -> None:
    if login.user.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")


@router.post("/devices/tokens/agent")
async def preconfigured_agent(request: Request, login: ConsoleLogin, shared: Shared,
                              csrf_token: str = Form(""), token: str = Form("")) -> Response:
    check_csrf(login, csrf_token)
    _admin_only(login)
    try:
        preview = await shared.devices.registry.preview(token)
    except EnrolmentRefused as refused:
        raise HTTPException(status_code=400, detail=str(refused)) from None
    if preview.organisation != login.user.organisation.name:
        raise HTTPException(status_code=404, detail="no such token")
    agent = shared.agent_binary.preconfigured(public_address(request, shared), token)
    if agent is None:
        return error_page(request, 404)
    return StreamingResponse(agent.chunks(), media_type="application/octet-stream", headers={
        "Content-Length": str(agent.size),
        "Content-Disposition": f'attachment; filename="{DEVICE_FILE_NAME}"',
        "Cache-Control": "no-store",
    })


@router.get(f"/devices/{PACKAGE_NAME}")
async def agent_package(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    _admin_only(login)
    package = shared.agent_binary.package()
    if package is None:
        return error_page(request, 404)
    return FileResponse(package, media_type="application/vnd.debian.binary-package",
                        filename=PACKAGE_NAME)
