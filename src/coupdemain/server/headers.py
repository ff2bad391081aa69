"""The headers every response carries: CSP, framing, sniffing, referrer, and HSTS over HTTPS."""

from __future__ import annotations

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp


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
