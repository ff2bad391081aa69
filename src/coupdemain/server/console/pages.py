"""The console's pages: sign-in and out, the sessions list, a session, its history, join.

Also what the pages load beside them: the single-file agent the join page
offers, the translation catalogues, the language switch, the API's
documentation page with its Swagger UI files, and the health check.
"""

from __future__ import annotations

import base64
import math
import secrets
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates

from ... import i18n
from ...i18n.diagnostics import DiagnosticsTranslator
from ...protocol.errors import CloseReason
from ...protocol.session import State
from .. import accounts, auth, mandates
from ..access import ApiLogin, ConsoleLogin, ConsoleSession, check_csrf, sessions_seen_by
from ..agent_download import FILE_NAME as AGENT_FILE_NAME
from ..services import Services, Shared
from ..store.models import LoginSession, SupportSession, User, utcnow
from .help_form import choice_of, draft_of, help_form

TEMPLATES = Path(__file__).parent / "templates"
# Swagger UI's files, from the fastapi-offline package: the API's documentation page
# loads them from this server, since the pages' CSP allows no other origin.
SWAGGER_UI = Path(str(resources.files("fastapi_offline").joinpath("static")))
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})
LANG_COOKIE = "cdm_lang"


def _iso(moment: datetime) -> str:
    """An instant for <time datetime>: ISO 8601 in UTC with its offset (web/console/times.js
    shows it in the reader's time zone)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _code_expired(row: SupportSession) -> bool:
    """A code never used whose time is over: the pages show it ended as the sweeper ends
    it. The sweeper ends only the sessions this process holds, so after a restart the
    database may still say that such a session waits for the person."""
    return row.state == State.WAITING_FOR_PERSON.value and row.code_expires_at <= utcnow()


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters["iso"] = _iso
templates.env.globals["code_expired"] = _code_expired
templates.env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")


def _sentence(text: str) -> str:
    """A refusal as a sentence: a capital first, a full stop last (``Terms`` writes neither)."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?:" else ".")


templates.env.filters["sentence"] = _sentence

router = APIRouter()


# --- helpers -------------------------------------------------------------------


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in i18n.SUPPORTED_LANGUAGES:
        return chosen
    return i18n.negotiate(request.headers.get("accept-language"))


def public_address(request: Request, shared: Shared) -> str:
    """The address people use to reach this server: --public-url, else the one
    this browser used (behind a trusted proxy, as the proxy says)."""
    if shared.settings.public_url:
        return shared.settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def secure_cookies(request: Request, shared: Shared) -> bool:
    return (request.url.scheme == "https"
            or shared.settings.resolved_public_url.startswith("https:"))


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the reader's language."""
    lang = language_of(request)
    context.update(
        t=i18n.Translator("console", lang), lang=lang, request=request,
        languages=i18n.SUPPORTED_LANGUAGES, td=DiagnosticsTranslator(lang),
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int) -> HTMLResponse:
    """The page of an HTTP error: a sentence for 403 and 404, a general one otherwise."""
    t = i18n.Translator("console", language_of(request))
    key = {403: "error.forbidden", 404: "error.not_found"}.get(status, "error.generic")
    return render(request, "error.html", status=status, message=t(key))


# A session the person ended with *Report a problem* (its end reason, as stored).
REPORTED = CloseReason.REPORTED_BY_PERSON.name.lower()


# --- pages -----------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, login: ConsoleLogin, shared: Shared,
                template: int | None = None) -> Response:
    """The sessions, and the *Help someone* form (filled from ``template`` if given)."""
    return await _index(request, login, shared, await help_form(
        shared, login.user, template_id=template))


async def _index(request: Request, login: LoginSession, shared: Services,
                 form: dict[str, Any], status: int = 200) -> Response:
    async with shared.db() as s:
        rows = list(await s.scalars(sessions_seen_by(login.user).limit(50)))
        reported = 0
        if login.user.role == "admin":
            # The organisation's admins see, above all, the sessions a person reported.
            reported = len(list(await s.scalars(
                sessions_seen_by(login.user).where(SupportSession.end_reason == REPORTED))))
    return render(request, "index.html", status=status, user=login.user, csrf=login.csrf_token,
                  sessions=rows, reported=reported, REPORTED=REPORTED, **form)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, shared: Shared) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", csrf=token, error="")
    response.set_cookie(
        auth.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
        secure=secure_cookies(request, shared), max_age=3600,
    )
    return response


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    shared: Shared,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    t = i18n.Translator("console", language_of(request))
    guard = shared.sign_in_guard
    address = request.client.host if request.client else "unknown"
    if not auth.tokens_match(csrf_token, request.cookies.get(auth.LOGIN_CSRF_COOKIE)):
        return render(request, "login.html", status=403, csrf=csrf_token,
                      error=t("login.error.expired_form"))
    device = request.cookies.get(auth.DEVICE_COOKIE)
    refusal = guard.check(address, username, device)
    user: User | None = None
    if refusal is None:
        try:
            user = await accounts.authenticate(shared.db, username, password)
        except accounts.AccountDisabled:
            return render(request, "login.html", status=403, csrf=csrf_token,
                          error=t("login.error.disabled"))
        if user is None:
            guard.failed(address, username, device)
            # This failure may start the account's wait: say so now.
            refusal = guard.check(address, username, device)
            if refusal is None or not refusal.by_account:
                return render(request, "login.html", status=401, csrf=csrf_token,
                              error=t("login.error.wrong"))
    if refusal is not None:
        if not refusal.by_account:
            error = t("login.error.rate_limited")
        elif refusal.minutes == 1:
            error = t("login.error.account_wait_one")
        else:
            error = t("login.error.account_wait", minutes=refusal.minutes)
        refused = render(request, "login.html", status=429, csrf=csrf_token, error=error)
        refused.headers["Retry-After"] = str(math.ceil(refusal.retry_after))
        return refused
    assert user is not None
    guard.succeeded(username, device)
    hours = shared.settings.login_session_hours
    token, _ = await auth.open_session(shared.db, user, hours)
    await shared.audit.append("signed_in", actor="technician", actor_name=user.display_name,
                              detail={"address": address})
    secure = secure_cookies(request, shared)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE, token, httponly=True, samesite="lax",
        secure=secure, max_age=hours * 3600,
    )
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE)
    # Spares this browser the account's backoff next time (auth.SignInGuard).
    response.set_cookie(
        auth.DEVICE_COOKIE, guard.device_cookie(username), path="/login",
        httponly=True, samesite="strict", secure=secure, max_age=365 * 86400,
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, login: ConsoleLogin, shared: Shared, csrf_token: str = Form("")
) -> Response:
    check_csrf(login, csrf_token)
    await auth.close_session(shared.db, request.cookies.get(auth.SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


@router.post("/sessions")
async def help_someone(request: Request, login: ConsoleLogin, shared: Shared) -> Response:
    """Gives a code under the mandate the form chose (``help_form.py``), or without one
    where the organisation allows it; a refusal comes back on the form, nothing lost."""
    form = await request.form()
    check_csrf(login, str(form.get("csrf_token", "")))
    t = i18n.Translator("console", language_of(request))
    draft = draft_of(form)
    choice = choice_of(form, t, draft)
    if isinstance(choice, mandates.Choice):
        try:
            issued = await mandates.issue_code(shared, login.user, choice)
        except mandates.MandateNeeded:
            choice = t("mandate.required_error")
        except mandates.StandingGone:
            choice = t("mandate.standing_gone")
        else:
            return RedirectResponse(f"/sessions/{issued.session_id}", status_code=303)
    template = str(form.get("template_id", ""))
    return await _index(request, login, shared, await help_form(
        shared, login.user, draft=draft, error=choice,
        template_id=int(template) if template.isdigit() else None), status=400)


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(request: Request, seen: ConsoleSession, shared: Shared) -> Response:
    row = seen.row
    live = shared.rendezvous.live(row.id)
    # The code is shown only to the technician who asked for it.
    owner = row.technician_id == seen.user.id
    code = live.code.formatted() if live and live.code and owner else ""
    lang = language_of(request)
    settings = shared.settings
    return render(
        request, "session.html", user=seen.user, csrf=seen.login.csrf_token, row=row,
        code=code, code_expires_at=row.code_expires_at.timestamp(),
        join_url=f"{public_address(request, shared)}/join",
        ws_url=f"/ws/viewer/{row.id}", catalog_url=f"/i18n/viewer/{lang}.json",
        file_max_bytes=settings.file_transfer_max_bytes,
        file_directions=settings.file_transfer_directions,
    )


@router.get("/sessions/{session_id}/history", response_class=HTMLResponse)
async def session_history(request: Request, seen: ConsoleSession, shared: Shared) -> Response:
    events = await shared.audit.events_of(seen.row.id)
    report = await shared.reports.document(seen.row) if seen.row.ended_at else None
    # A recording closed can be played back (server/recording/routes.py).
    path = shared.recordings.existing(seen.row.id)
    recording = ""
    if path is not None and not shared.recordings.is_open(seen.row.id):
        recording = "webm" if path.name.endswith(".webm.rec") else "frames"
    return render(request, "history.html", user=seen.user, csrf=seen.login.csrf_token,
                  row=seen.row, events=events, REPORTED=REPORTED, report=report,
                  dt=i18n.Translator("documents", language_of(request)),
                  mandate=await mandates.mandate_of(shared.db, seen.row),
                  signatures=await mandates.signatures_for(shared.db, seen.row),
                  recording=recording, marks_names=_mark_names(language_of(request)))


def _mark_names(lang: str) -> dict[str, str]:
    """The player's seek-bar marks, by audit action, in the reader's language."""
    t = i18n.Translator("console", lang)
    prefix = "recording.mark."
    return {key[len(prefix):]: t(key) for key in i18n.catalog("console", lang)
            if key.startswith(prefix)}


@router.get("/join", response_class=HTMLResponse)
async def join(request: Request, shared: Shared) -> Response:
    address = public_address(request, shared)
    agent = await shared.agent_binary.download(address)
    return render(request, "join.html", server_url=address, agent=agent)


@router.get(f"/join/{AGENT_FILE_NAME}")
async def download_agent(request: Request, shared: Shared) -> Response:
    """The single-file agent, with this server's address at its end (server/agent_download.py)."""
    agent = await shared.agent_binary.download(public_address(request, shared))
    if agent is None:
        return error_page(request, 404)
    return StreamingResponse(agent.chunks(), media_type="application/octet-stream", headers={
        "Content-Length": str(agent.size),
        "Content-Disposition": f'attachment; filename="{AGENT_FILE_NAME}"',
        "X-Content-SHA256": agent.sha256,
        "Cache-Control": "no-cache",
    })


# --- beside the pages --------------------------------------------------------------


@router.get("/lang/{lang}")
async def switch_language(request: Request, lang: str, shared: Shared,
                          next: str = "/") -> Response:
    # Only same-site paths: an open redirect would help phishing.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if lang in i18n.SUPPORTED_LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400,
                            secure=secure_cookies(request, shared))
    return response


@router.get("/i18n/{domain}/{lang}.json")
async def catalog(domain: str, lang: str) -> Response:
    if domain not in i18n.BROWSER_DOMAINS or lang not in i18n.SUPPORTED_LANGUAGES:
        raise HTTPException(status_code=404)
    return JSONResponse(i18n.catalog(domain, lang))


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# --- the API's documentation (signed-in users only) ----------------------------------


@router.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
async def api_docs(request: Request, login: ConsoleLogin) -> Response:
    return render(request, "api_docs.html", csrf=login.csrf_token,
                  openapi_url="/api/openapi.json", csrf_header=auth.CSRF_HEADER)


@router.get("/api/docs/assets/{name}", include_in_schema=False)
async def api_docs_asset(name: str, login: ApiLogin) -> Response:
    if name not in SWAGGER_UI_FILES:
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(SWAGGER_UI / name)
