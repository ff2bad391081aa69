"""The server's wiring: the shared services, the middleware, and the routers.

``create_app(settings)`` builds the ASGI application; ``coupdemain serve``
runs it on uvicorn. Each router has its own module:

- ``console/pages.py``: the console's pages (sign-in, sessions, history, join);
  ``console/branding.py``: the organisation's logo and colour;
  ``console/mandates.py``: the mandate templates (admins) and the mandate's PDF;
  ``console/report.py``: a session's report (the recap) and its PDF; ``report_api.py``:
  the same report as the person's agent reads it after the end;
  ``console/deploy.py``: the agent pre-configured for managed devices, and its package;
- ``api.py``: the REST API under /api; ``transfers.py``: the bytes of files;
- ``sockets.py``: the agent's and the viewer's WebSockets (``connections.py`` serves them);
- ``access.py``: the dependencies that say who is signed in and which sessions they may see;
- ``services.py``: what the routes share; ``lifespan.py``: start and stop;
  ``headers.py``: the security headers.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ..config import Settings
from . import api, device_api, report_api, sockets
from .access import console_may_move_files
from .console import branding, deploy, pages, report
from .console import devices as device_pages
from .console import groups as group_pages
from .console import help_requests as help_pages
from .console import mandates as console_mandates
from .headers import SecurityHeaders
from .lifespan import lifespan
from .recording import routes as recording_routes
from .services import Services
from .transfers import file_router


def web_root() -> Path:
    """The viewer's and console's static files: the repository's web/, or the wheel's copy."""
    in_repo = Path(__file__).resolve().parents[3] / "web"
    if in_repo.is_dir():
        return in_repo
    return Path(__file__).resolve().parents[1] / "web"


def create_app(settings: Settings, *, sign_in_hint: bool = True) -> FastAPI:
    """Builds the application; the database is opened and migrated at start-up.

    Args:
        sign_in_hint: print where to sign in at start-up; the demo prints its own.
    """
    services = Services.build(settings)
    # The API's documentation is served by its own routes, to signed-in users only.
    app = FastAPI(title="coupdemain", version="1",
                  lifespan=lifespan(services, sign_in_hint=sign_in_hint),
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders, hsts=bool(settings.tls_cert))
    app.state.services = services
    app.mount("/static", StaticFiles(directory=str(web_root())), name="static")
    app.include_router(file_router(services.rendezvous, services.spool, console_may_move_files))
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.include_router(pages.router)
    app.include_router(branding.router)
    app.include_router(console_mandates.router)
    app.include_router(report.router)
    app.include_router(report_api.router)
    app.include_router(recording_routes.router)
    app.include_router(deploy.router)
    app.include_router(api.router)
    app.include_router(device_api.router)
    app.include_router(device_pages.router)
    app.include_router(help_pages.router)
    app.include_router(group_pages.router)
    app.include_router(sockets.router)
    return app


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """A redirect for 303 (not signed in), JSON under /api/, else the console's error page."""
    if exc.status_code == 303 and exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=303)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
    return pages.error_page(request, exc.status_code)
