"""The server: console pages, REST API, the two WebSocket endpoints, static files.

``create_app(settings)`` builds the ASGI application; ``coupdemain serve``
runs it on uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, HTTPException, Request, WebSocket
from fastapi.openapi.utils import get_openapi
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp

from .. import i18n
from ..config import Settings
from ..i18n.diagnostics import DiagnosticsTranslator
from ..protocol import frames
from ..protocol import messages as m
from ..protocol.enums import By
from ..protocol.errors import CloseReason
from ..protocol.session import State, Technician
from ..protocol.support_code import CODE_SPACE
from ..protocol.transfer import FileLimits
from . import accounts, auth
from .audit import AuditLog
from .connections import serve_agent, serve_viewer
from .ratelimit import Backoff, FailureLimiter, GuessBudget
from .relay import Relay
from .rendezvous import Rendezvous
from .store.database import create_engine, migrate, session_factory
from .store.models import AuditEvent, LoginSession, SupportSession, User, utcnow
from .transfers import FileSpool, file_router

logger = logging.getLogger("coupdemain.server")

TEMPLATES = Path(__file__).parent / "console" / "templates"
# Swagger UI's files, from the fastapi-offline package: the API's documentation page
# loads them from this server, since the pages' CSP allows no other origin.
SWAGGER_UI = Path(str(resources.files("fastapi_offline").joinpath("static")))
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})
API_DESCRIPTION = (
    "The REST API of this coupdemain server. Requests act as the signed-in user "
    "(the session cookie); those that change something also need the sign-in's "
    "CSRF token in the X-CSRF-Token header."
)
LANG_COOKIE = "cdm_lang"


def web_root() -> Path:
    """The viewer's and console's static files: the repository's web/, or the wheel's copy."""
    in_repo = Path(__file__).resolve().parents[3] / "web"
    if in_repo.is_dir():
        return in_repo
    return Path(__file__).resolve().parents[1] / "web"


def load_secret(data_dir: Path) -> bytes:
    """The server's secret key (keys the code digests), made once with mode 0600."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


class SecurityHeaders(BaseHTTPMiddleware):
    """The headers every response carries; HSTS only when this server speaks HTTPS itself.

    Behind a reverse proxy, the proxy owns the TLS and sends its own HSTS
    (docs/howto/deploy.md): over plain HTTP the header would be wrong, and
    browsers ignore it there anyway.
    """

    # One year, the usual value; no includeSubDomains: other hosts of the
    # domain are not ours to commit to HTTPS.
    HSTS = "max-age=31536000"

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        super().__init__(app)
        self.hsts = hsts

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        if self.hsts and request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", self.HSTS)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        )
        return response


def create_app(settings: Settings, *, sign_in_hint: bool = True) -> FastAPI:
    """Builds the application; the database is opened and migrated at start-up.

    Args:
        sign_in_hint: print where to sign in at start-up; the demo prints its own.
    """
    data_dir = settings.resolved_data_dir
    engine = create_engine(settings.resolved_database_url)
    db = session_factory(engine)
    audit = AuditLog(db)
    relay = Relay(frames.MAX_FRAME_MESSAGE_BYTES)
    secret = load_secret(data_dir)
    sign_in_guard = auth.SignInGuard(
        secret, FailureLimiter(settings.code_attempts, settings.code_attempt_window),
        Backoff(settings.login_account_attempts, settings.login_backoff_seconds,
                settings.login_backoff_max_seconds),
    )
    rendezvous = Rendezvous(
        db, audit, relay,
        secret=secret,
        code_ttl=timedelta(seconds=settings.code_ttl_seconds),
        code_limiter=FailureLimiter(settings.code_attempts, settings.code_attempt_window),
        viewer_grace_seconds=settings.viewer_grace_seconds,
        guess_budget=GuessBudget(settings.code_guess_odds, CODE_SPACE, settings.code_ttl_seconds),
        agent_grace_seconds=settings.agent_grace_seconds,
    )
    spool = FileSpool(data_dir / "spool")
    rendezvous.file_limits = FileLimits.from_settings(
        settings.file_transfer_max_bytes, settings.file_transfer_directions)
    rendezvous.discard_files = spool.discard
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["iso"] = _iso
    templates.env.globals["code_expired"] = _code_expired

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(engine)
        # Sessions the server was killed during: they resume if their agent comes back.
        await rendezvous.recover()
        await asyncio.to_thread(spool.clear)  # files of sessions that are over
        if await accounts.count_users(db) == 0:
            await _create_first_admin()
        elif sign_in_hint:
            print(f"  Sign in at {settings.resolved_public_url}/ with your account "
                  "(new accounts: coupdemain admin create-user).", flush=True)
        sweeper = asyncio.create_task(rendezvous.run_sweeper())
        logger.info("console at %s", settings.resolved_public_url)
        try:
            yield
        finally:
            sweeper.cancel()
            await rendezvous.shut_down()
            await engine.dispose()

    async def _create_first_admin() -> None:
        password = accounts.generate_password()
        await accounts.create_user(
            db, username="admin", display_name="Administrator",
            organisation="My organisation", password=password, role="admin",
        )
        # Printed once, on purpose: there is no other way to learn it.
        print(
            "\n  First start: an admin account was created.\n"
            f"    username: admin\n    password: {password}\n"
            "  Sign in and keep this password safe; it is not shown again.\n"
            "  The people you help see your organisation's name, now \"My organisation\",\n"
            "  and your name, now \"Administrator\". Give the real ones:\n"
            "    coupdemain admin rename-organisation \"My organisation\" \"Your organisation\"\n"
            "    coupdemain admin rename admin \"Your name\"\n",
            flush=True,
        )

    # The API's documentation is served by the routes below, to signed-in users only.
    app = FastAPI(title="coupdemain", version="1", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders, hsts=bool(settings.tls_cert))
    app.state.settings = settings
    app.state.rendezvous = rendezvous
    app.state.db = db
    app.state.audit = audit
    app.mount("/static", StaticFiles(directory=str(web_root())), name="static")

    # --- helpers -----------------------------------------------------------

    def language_of(request: Request) -> str:
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen in i18n.SUPPORTED_LANGUAGES:
            return chosen
        return i18n.negotiate(request.headers.get("accept-language"))

    def public_address(request: Request) -> str:
        """The address people use to reach this server: --public-url, else the one
        this browser used (behind a trusted proxy, as the proxy says)."""
        if settings.public_url:
            return settings.public_url.rstrip("/")
        return str(request.base_url).rstrip("/")

    def secure_cookies(request: Request) -> bool:
        return request.url.scheme == "https" or settings.resolved_public_url.startswith("https:")

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = language_of(request)
        context.update(
            t=i18n.Translator("console", lang), lang=lang, request=request,
            languages=i18n.SUPPORTED_LANGUAGES, td=DiagnosticsTranslator(lang),
        )
        return templates.TemplateResponse(request, name, context, status_code=status)

    async def signed_in(request: Request) -> LoginSession | None:
        return await auth.find_session(db, request)

    async def require_login(request: Request) -> LoginSession:
        login = await signed_in(request)
        if login is None:
            raise HTTPException(status_code=303, headers={"Location": "/login"})
        return login

    def check_csrf(login: LoginSession, given: str | None) -> None:
        if not auth.tokens_match(given, login.csrf_token):
            raise HTTPException(status_code=403, detail="csrf")

    def may_see(user: User, row: SupportSession) -> bool:
        if row.technician_id == user.id:
            return True
        return user.role == "admin" and row.technician.organisation_id == user.organisation_id

    async def session_row(session_id: str) -> SupportSession | None:
        async with db() as s:
            return await s.get(SupportSession, session_id)

    async def console_may_move_files(request: Request, session_id: str, writes: bool) -> bool:
        login = await signed_in(request)
        if login is None:
            return False
        if writes and not auth.tokens_match(request.headers.get(auth.CSRF_HEADER),
                                            login.csrf_token):
            return False
        row = await session_row(session_id)
        return row is not None and may_see(login.user, row)

    app.include_router(file_router(rendezvous, spool, console_may_move_files))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 303 and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        t = i18n.Translator("console", language_of(request))
        key = {403: "error.forbidden", 404: "error.not_found"}.get(exc.status_code, "error.generic")
        return render(request, "error.html", status=exc.status_code, message=t(key))

    # --- pages ---------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        login = await require_login(request)
        user = login.user
        async with db() as s:
            query = select(SupportSession).order_by(SupportSession.created_at.desc()).limit(50)
            if user.role == "admin":
                query = query.join(User, SupportSession.technician_id == User.id).where(
                    User.organisation_id == user.organisation_id
                )
            else:
                query = query.where(SupportSession.technician_id == user.id)
            rows = list(await s.scalars(query))
        return render(request, "index.html", user=user, csrf=login.csrf_token, sessions=rows)

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", csrf=token, error="")
        response.set_cookie(
            auth.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
            secure=secure_cookies(request), max_age=3600,
        )
        return response

    @app.post("/login", response_class=HTMLResponse)
    async def login_submit(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form(""),
    ) -> Response:
        t = i18n.Translator("console", language_of(request))
        address = request.client.host if request.client else "unknown"
        if not auth.tokens_match(csrf_token, request.cookies.get(auth.LOGIN_CSRF_COOKIE)):
            return render(request, "login.html", status=403, csrf=csrf_token,
                          error=t("login.error.expired_form"))
        device = request.cookies.get(auth.DEVICE_COOKIE)
        refusal = sign_in_guard.check(address, username, device)
        user: User | None = None
        if refusal is None:
            try:
                user = await accounts.authenticate(db, username, password)
            except accounts.AccountDisabled:
                return render(request, "login.html", status=403, csrf=csrf_token,
                              error=t("login.error.disabled"))
            if user is None:
                sign_in_guard.failed(address, username, device)
                # This failure may start the account's wait: say so now.
                refusal = sign_in_guard.check(address, username, device)
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
        sign_in_guard.succeeded(username, device)
        token, _ = await auth.open_session(db, user, settings.login_session_hours)
        await audit.append("signed_in", actor="technician", actor_name=user.display_name,
                           detail={"address": address})
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            auth.SESSION_COOKIE, token, httponly=True, samesite="lax",
            secure=secure_cookies(request), max_age=settings.login_session_hours * 3600,
        )
        response.delete_cookie(auth.LOGIN_CSRF_COOKIE)
        # Spares this browser the account's backoff next time (auth.SignInGuard).
        response.set_cookie(
            auth.DEVICE_COOKIE, sign_in_guard.device_cookie(username), path="/login",
            httponly=True, samesite="strict", secure=secure_cookies(request),
            max_age=365 * 86400,
        )
        return response

    @app.post("/logout")
    async def logout(request: Request, csrf_token: str = Form("")) -> Response:
        login = await require_login(request)
        check_csrf(login, csrf_token)
        await auth.close_session(db, request.cookies.get(auth.SESSION_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE)
        return response

    @app.get("/lang/{lang}")
    async def switch_language(request: Request, lang: str, next: str = "/") -> Response:
        # Only same-site paths: an open redirect would help phishing.
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if lang in i18n.SUPPORTED_LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400,
                                secure=secure_cookies(request))
        return response

    @app.post("/sessions")
    async def help_someone(request: Request, csrf_token: str = Form("")) -> Response:
        login = await require_login(request)
        check_csrf(login, csrf_token)
        issued = await rendezvous.issue_code(login.user)
        return RedirectResponse(f"/sessions/{issued.session_id}", status_code=303)

    @app.get("/sessions/{session_id}", response_class=HTMLResponse)
    async def session_page(request: Request, session_id: str) -> Response:
        login = await require_login(request)
        row = await session_row(session_id)
        if row is None or not may_see(login.user, row):
            raise HTTPException(status_code=404)
        live = rendezvous.live(session_id)
        # The code is shown only to the technician who asked for it.
        owner = row.technician_id == login.user.id
        code = live.code.formatted() if live and live.code and owner else ""
        lang = language_of(request)
        return render(
            request, "session.html", user=login.user, csrf=login.csrf_token, row=row,
            code=code, code_expires_at=row.code_expires_at.timestamp(),
            join_url=f"{public_address(request)}/join",
            ws_url=f"/ws/viewer/{session_id}", catalog_url=f"/i18n/viewer/{lang}.json",
            file_max_bytes=settings.file_transfer_max_bytes,
            file_directions=settings.file_transfer_directions,
        )

    @app.get("/sessions/{session_id}/history", response_class=HTMLResponse)
    async def session_history(request: Request, session_id: str) -> Response:
        login = await require_login(request)
        row = await session_row(session_id)
        if row is None or not may_see(login.user, row):
            raise HTTPException(status_code=404)
        events = await audit.events_of(session_id)
        return render(request, "history.html", user=login.user, csrf=login.csrf_token,
                      row=row, events=events)

    @app.get("/join", response_class=HTMLResponse)
    async def join(request: Request) -> Response:
        return render(request, "join.html", server_url=public_address(request))

    @app.get("/i18n/{domain}/{lang}.json")
    async def catalog(domain: str, lang: str) -> Response:
        if domain not in i18n.BROWSER_DOMAINS or lang not in i18n.SUPPORTED_LANGUAGES:
            raise HTTPException(status_code=404)
        return JSONResponse(i18n.catalog(domain, lang))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # --- REST API ------------------------------------------------------------

    @app.post("/api/sessions")
    async def api_create_session(request: Request) -> dict[str, Any]:
        """Issues a support code for the signed-in technician."""
        login = await signed_in(request)
        if login is None:
            raise HTTPException(status_code=401, detail="sign in first")
        check_csrf(login, request.headers.get(auth.CSRF_HEADER))
        issued = await rendezvous.issue_code(login.user)
        return {
            "session_id": issued.session_id,
            "code": issued.code.digits,
            "code_formatted": issued.code.formatted(),
            "expires_at": issued.expires_at.isoformat(),
            "viewer_url": f"/sessions/{issued.session_id}",
        }

    @app.get("/api/sessions/{session_id}/events")
    async def api_events(request: Request, session_id: str) -> list[dict[str, Any]]:
        """The audit events of one session, oldest first."""
        login = await signed_in(request)
        if login is None:
            raise HTTPException(status_code=401, detail="sign in first")
        row = await session_row(session_id)
        if row is None or not may_see(login.user, row):
            raise HTTPException(status_code=404, detail="no such session")
        return [_event_json(e) for e in await audit.events_of(session_id)]

    # --- the API's documentation ------------------------------------------------

    @app.get("/api/openapi.json", include_in_schema=False)
    async def api_openapi(request: Request) -> dict[str, Any]:
        if await signed_in(request) is None:
            raise HTTPException(status_code=401, detail="sign in first")
        if app.openapi_schema is None:
            app.openapi_schema = _api_only(get_openapi(
                title=app.title, version=app.version, description=API_DESCRIPTION,
                routes=app.routes,
            ))
        return app.openapi_schema

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    async def api_docs(request: Request) -> Response:
        login = await require_login(request)
        return render(request, "api_docs.html", csrf=login.csrf_token,
                      openapi_url="/api/openapi.json", csrf_header=auth.CSRF_HEADER)

    @app.get("/api/docs/assets/{name}", include_in_schema=False)
    async def api_docs_asset(request: Request, name: str) -> Response:
        if await signed_in(request) is None:
            raise HTTPException(status_code=401, detail="sign in first")
        if name not in SWAGGER_UI_FILES:
            raise HTTPException(status_code=404, detail="no such file")
        return FileResponse(SWAGGER_UI / name)

    # --- WebSockets ----------------------------------------------------------

    @app.websocket("/ws/agent")
    async def ws_agent(ws: WebSocket) -> None:
        await serve_agent(ws, rendezvous)

    @app.websocket("/ws/viewer/{session_id}")
    async def ws_viewer(ws: WebSocket, session_id: str) -> None:
        login = await auth.find_session(db, ws)
        if login is None or not _same_origin(ws):
            await ws.accept()
            await ws.close(int(CloseReason.UNAUTHORIZED))
            return
        row = await session_row(session_id)
        if row is None or not may_see(login.user, row):
            await ws.accept()
            await ws.close(int(CloseReason.SESSION_NOT_FOUND))
            return
        live = await rendezvous.load(session_id)
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
        await serve_viewer(ws, rendezvous, live, technician)

    return app


def _same_origin(ws: WebSocket) -> bool:
    """Refuses cross-site WebSocket hijacking: the page must come from this host."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == ws.headers.get("host", "")


def _iso(moment: datetime) -> str:
    """An instant for <time datetime>: ISO 8601 in UTC with its offset (web/console/times.js
    shows it in the reader's time zone)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _api_only(schema: dict[str, Any]) -> dict[str, Any]:
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


def _code_expired(row: SupportSession) -> bool:
    """A code never used whose time is over: the pages show it ended as the sweeper ends
    it. The sweeper ends only the sessions this process holds, so after a restart the
    database may still say that such a session waits for the person."""
    return row.state == State.WAITING_FOR_PERSON.value and row.code_expires_at <= utcnow()


def _reason_named(name: str) -> CloseReason:
    try:
        return CloseReason[name.upper()]
    except KeyError:
        return CloseReason.NORMAL


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(), "actor": event.actor, "actor_name": event.actor_name,
        "action": event.action, "detail": event.detail, "hash": event.hash,
    }
