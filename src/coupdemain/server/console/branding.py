"""The organisation's branding in the console: an admin sets it; every page shows it.

``/organisation/branding`` is the admins' form (the colour, the logo, or
no logo); ``/organisation/logo.png`` and ``/organisation/brand.css`` are what
the console's header loads for a signed-in user of the organisation. The
colour travels as a style sheet, since the pages' CSP allows no inline style.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ... import i18n
from ..access import ConsoleLogin, check_csrf
from ..branding import MAX_LOGO_BYTES, BrandingRefused, brand_of, checked_colour, checked_logo
from ..branding import set_brand as store_brand
from ..services import Shared
from .pages import language_of, render

router = APIRouter()


def _admin_only(login: ConsoleLogin) -> None:
    if login.user.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")


@router.get("/organisation/branding", response_class=HTMLResponse)
async def branding_form(request: Request, login: ConsoleLogin, shared: Shared,
                        saved: int = 0) -> Response:
    _admin_only(login)
    brand = await brand_of(shared.db, login.user.organisation_id)
    return render(request, "branding.html", user=login.user, csrf=login.csrf_token,
                  colour=brand.colour, has_logo=bool(brand.logo_png), saved=bool(saved),
                  error="")


@router.post("/organisation/branding", response_class=HTMLResponse)
async def set_branding(
    request: Request, login: ConsoleLogin, shared: Shared,
    csrf_token: str = Form(""), colour: str = Form(""), remove_logo: str = Form(""),
    logo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    check_csrf(login, csrf_token)
    _admin_only(login)
    t = i18n.Translator("console", language_of(request))
    current = await brand_of(shared.db, login.user.organisation_id)
    try:
        checked = checked_colour(colour)
        new_logo: bytes | None = None
        if remove_logo:
            new_logo = b""
        elif logo is not None and logo.filename:
            # One byte more than allowed is enough to refuse, without reading a huge upload.
            new_logo = checked_logo(await logo.read(MAX_LOGO_BYTES + 1))
    except BrandingRefused as refused:
        return render(request, "branding.html", status=400, user=login.user,
                      csrf=login.csrf_token, colour=colour.strip()[:20],
                      has_logo=bool(current.logo_png), saved=False,
                      error=t(f"branding.refused.{refused.key}", **refused.params))
    await store_brand(shared.db, login.user.organisation_id, colour=checked, logo_png=new_logo)
    await shared.audit.append(
        "branding_changed", actor="admin", actor_name=login.user.display_name,
        detail={"organisation_id": login.user.organisation_id, "colour": checked,
                "logo": "removed" if new_logo == b"" else "changed" if new_logo else "kept"})
    return RedirectResponse("/organisation/branding?saved=1", status_code=303)


@router.get("/organisation/logo.png")
async def organisation_logo(login: ConsoleLogin, shared: Shared) -> Response:
    brand = await brand_of(shared.db, login.user.organisation_id)
    if not brand.logo_png:
        raise HTTPException(status_code=404, detail="no logo")
    return Response(brand.logo_png, media_type="image/png",
                    headers={"Cache-Control": "private, no-cache"})


@router.get("/organisation/brand.css")
async def organisation_css(login: ConsoleLogin, shared: Shared) -> Response:
    brand = await brand_of(shared.db, login.user.organisation_id)
    # The colour was checked when stored ("#rrggbb"): nothing else reaches the sheet.
    body = f":root {{ --brand: {brand.colour}; }}\n" if brand.colour else ""
    return Response(body, media_type="text/css", headers={"Cache-Control": "private, no-cache"})
