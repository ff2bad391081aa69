"""The console's mandate pages: the *Help someone* form's mandate, templates, the PDF.

- The index page's form is in ``help_form.py``.
- Admins manage the organisation's templates and its setting *Every
  session needs a signed mandate* on ``/mandate-templates``; technicians
  get a 403 with a sentence.
- ``GET /sessions/{id}/mandate.pdf``: what the person signed, as a PDF,
  for whoever may see the session (``access.may_see``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from .. import mandates
from ..access import ConsoleLogin, ConsoleSession, check_csrf
from ..documents.mandate_pdf import mandate_pdf
from ..services import Services, Shared
from ..store.models import LoginSession, SupportSession
from .help_form import TERMS_CHOICES, draft_of
from .pages import language_of, render

router = APIRouter()


# --- the organisation's templates and setting (admins) ------------------------------------


def _admins_only(request: Request, login: LoginSession) -> Response | None:
    """None for an admin; for anyone else, the page that says only admins may."""
    if login.user.role == "admin":
        return None
    t = i18n.Translator("console", language_of(request))
    return render(request, "error.html", status=403, user=login.user, csrf=login.csrf_token,
                  message=t("templates.admins_only"))


def _not_found(request: Request, login: LoginSession) -> Response:
    t = i18n.Translator("console", language_of(request))
    return render(request, "error.html", status=404, user=login.user, csrf=login.csrf_token,
                  message=t("error.not_found"))


async def _templates_page(request: Request, login: LoginSession, shared: Services, *,
                          status: int = 200, **context: Any) -> Response:
    user = login.user
    context.setdefault("draft", mandates.Draft())
    context.setdefault("template_name", "")
    context.setdefault("error", "")
    return render(
        request, "mandate_templates.html", status=status, user=user, csrf=login.csrf_token,
        templates=await mandates.templates_of(shared.db, user.organisation_id),
        mandate_required=await mandates.mandate_required(shared.db, user.organisation_id),
        saved=request.query_params.get("saved") == "1", **TERMS_CHOICES, **context)


@router.get("/mandate-templates")
async def templates_list(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    return _admins_only(request, login) or await _templates_page(request, login, shared)


@router.get("/mandate-templates/{template_id}")
async def template_edit(request: Request, template_id: int, login: ConsoleLogin,
                        shared: Shared) -> Response:
    if refused := _admins_only(request, login):
        return refused
    row = await mandates.template_of(shared.db, login.user.organisation_id, template_id)
    if row is None:
        return _not_found(request, login)
    return await _templates_page(request, login, shared, editing=row, template_name=row.name,
                                 draft=mandates.Draft.from_terms(row.terms))


@router.post("/mandate-templates")
async def template_create(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    return await _template_save(request, login, shared, None)


@router.post("/mandate-templates/{template_id}")
async def template_save(request: Request, template_id: int, login: ConsoleLogin,
                        shared: Shared) -> Response:
    return await _template_save(request, login, shared, template_id)


async def _template_save(request: Request, login: LoginSession, shared: Services,
                         template_id: int | None) -> Response:
    form = await request.form()
    check_csrf(login, str(form.get("csrf_token", "")))
    if refused := _admins_only(request, login):
        return refused
    t = i18n.Translator("console", language_of(request))
    name = str(form.get("name", "")).strip()
    draft = draft_of(form)
    editing = (await mandates.template_of(shared.db, login.user.organisation_id, template_id)
               if template_id is not None else None)
    error = "" if name else t("templates.name_empty")
    if not error:
        try:
            terms = draft.terms()
        except mandates.MandateRefused as refused:
            error = str(refused)
    if error:
        return await _templates_page(request, login, shared, status=400, editing=editing,
                                     template_name=str(form.get("name", "")), draft=draft,
                                     error=error)
    saved = await mandates.save_template(shared.db, login.user.organisation_id, name[:200],
                                         terms, template_id)
    if saved is None:
        return _not_found(request, login)
    return RedirectResponse("/mandate-templates", status_code=303)


@router.post("/mandate-templates/{template_id}/delete")
async def template_delete(request: Request, template_id: int, login: ConsoleLogin,
                          shared: Shared) -> Response:
    form = await request.form()
    check_csrf(login, str(form.get("csrf_token", "")))
    if refused := _admins_only(request, login):
        return refused
    if not await mandates.delete_template(shared.db, login.user.organisation_id, template_id):
        return _not_found(request, login)
    return RedirectResponse("/mandate-templates", status_code=303)


@router.post("/organisation/mandate-required")
async def organisation_setting(request: Request, login: ConsoleLogin,
                               shared: Shared) -> Response:
    form = await request.form()
    check_csrf(login, str(form.get("csrf_token", "")))
    if refused := _admins_only(request, login):
        return refused
    required = form.get("mandate_required") == "on"
    await mandates.set_mandate_required(shared.db, login.user.organisation_id, required)
    await shared.audit.append("mandate_setting_changed", actor="admin",
                              actor_name=login.user.display_name,
                              detail={"organisation_id": login.user.organisation_id,
                                      "mandate_required": required})
    return RedirectResponse("/mandate-templates?saved=1", status_code=303)


# --- the PDF ------------------------------------------------------------------------------


async def mandate_pdf_of(shared: Services, row: SupportSession) -> bytes | None:
    """The PDF of what the person signed for this session; None before any signature."""
    signed = await mandates.signatures_for(shared.db, row)
    mandate = await mandates.mandate_of(shared.db, row)
    if not signed or mandate is None:
        return None
    technician = mandate.technician
    return await run_in_threadpool(
        mandate_pdf, signed, organisation=technician.organisation.name,
        technician=technician.display_name)


def pdf_response(pdf: bytes, session_id: str) -> Response:
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="mandate-{session_id[:8]}.pdf"',
        "Cache-Control": "no-store",
    })


@router.get("/sessions/{session_id}/mandate.pdf")
async def session_mandate_pdf(request: Request, seen: ConsoleSession,
                              shared: Shared) -> Response:
    pdf = await mandate_pdf_of(shared, seen.row)
    if pdf is None:
        t = i18n.Translator("console", language_of(request))
        return render(request, "error.html", status=404, user=seen.user,
                      csrf=seen.login.csrf_token, message=t("error.no_mandate_pdf"))
    return pdf_response(pdf, seen.row.id)
