"""The agent's one WebSocket: server URL → ``/ws/agent``, protocol messages both ways.

Nothing else in the agent touches the socket. Control messages travel as
JSON text frames (``protocol.messages.serialize``), frame updates as
binary frames (``serialize_frame``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ..protocol import frames
from ..protocol import messages as m
from ..protocol.errors import CloseReason, LocalError, RemoteProtocolError

logger = logging.getLogger("coupdemain.agent.connection")

AGENT_PATH = "/ws/agent"
OPEN_TIMEOUT_SECONDS = 15.0
# Pings let the agent notice a silent drop within seconds, as the server does.
PING_INTERVAL_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 10.0
# A resume attempt gives up on a silent server sooner than a first join does:
# the minute of retrying is better spent on several attempts.
RESUME_OPEN_TIMEOUT_SECONDS = 8.0
# How a connection ends when the agent may resume: it dropped (no close
# frame: None; 1005/1006 as libraries report that), or the server or a proxy
# went away (1001, 1011-1014). Codes 4000-4999 are the server's word: final.
DROPPED_CLOSE_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1014})


class ConnectionFailed(LocalError):
    """The agent could not join a session."""

    sentence = "agent:problem.refused"


class InsecureServer(ConnectionFailed):
    """A plain-HTTP server that is not on this computer, without ``allow_insecure_http``."""

    sentence = "agent:error.insecure_http"


class ServerUnreachable(ConnectionFailed):
    """Nothing answered at the server's address, or not as a coupdemain server."""

    sentence = "agent:problem.unreachable"


class ServerNotTrusted(ConnectionFailed):
    """The server's certificate could not be verified: it may not be the server it says.

    Not a network problem: the person must not be told to check their
    connection, but not to go on unless their technician confirms.
    """

    sentence = "agent:problem.untrusted"


class CodeRefused(ConnectionFailed):
    """The server closed the connection instead of welcoming the agent.

    Attributes:
        reason: the close code, as a ``CloseReason`` when it is one.
    """

    sentence = "agent:problem.refused"

    def __init__(self, reason: CloseReason | int | None) -> None:
        super().__init__(f"the server refused the agent (close code {reason})")
        self.reason = reason


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback


def websocket_url(server_url: str, allow_insecure_http: bool = False,
                  path: str = AGENT_PATH) -> str:
    """The agent's WebSocket address for a server address.

    ``https://help.example.org`` → ``wss://help.example.org/ws/agent``;
    ``http://127.0.0.1:8000`` → ``ws://127.0.0.1:8000/ws/agent``. A path
    prefix (a server behind a reverse proxy) is kept.

    Raises:
        InsecureServer: plain HTTP to another computer, not allowed.
        ValueError: not an http(s) address.
    """
    parts = urllib.parse.urlsplit(server_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"Server address {server_url!r} must start with https:// or http://, "
            "like https://help.example.org."
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_local(parts.hostname):
        raise InsecureServer(f"plain HTTP to {parts.hostname} is not allowed")
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + path
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, "", ""))


def dropped(close_code: CloseReason | int | None) -> bool:
    """Whether a connection that ended with this close code may be resumed."""
    return close_code is None or int(close_code) in DROPPED_CLOSE_CODES


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long the agent waits before each attempt to resume: 1, 2, 4, 8, 10, 10… s.

    Attributes:
        first: the first wait, in seconds; each next one doubles...
        longest: ...up to this.
        total: the waits add up to this; then the agent gives up.
    """

    first: float = 1.0
    longest: float = 10.0
    total: float = 60.0

    def waits(self) -> list[float]:
        """The waits, one per attempt; the last is cut so that they add up to ``total``."""
        waits: list[float] = []
        wait, spent = self.first, 0.0
        while spent < self.total and wait > 0:
            step = min(wait, self.longest, self.total - spent)
            waits.append(step)
            spent += step
            wait *= 2
        return waits


OpenConnection = Callable[[str, m.Hello], Awaitable[tuple["AgentConnection", m.Welcome]]]


async def _open_to_resume(url: str, hello: m.Hello) -> tuple[AgentConnection, m.Welcome]:
    return await AgentConnection.open(url, hello, timeout=RESUME_OPEN_TIMEOUT_SECONDS)


async def reconnect(
    url: str,
    hello: m.Hello,
    backoff: Backoff,
    *,
    on_attempt: Callable[[int], None],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    open_connection: OpenConnection = _open_to_resume,
) -> tuple[AgentConnection, m.Welcome]:
    """Tries to resume a session after its connection dropped, with backoff.

    Args:
        hello: the hello with the welcome's resume secret (no code).
        on_attempt: told the attempt's number (1, 2…) before its wait.
        sleep, open_connection: injected by tests.

    Raises:
        CodeRefused: the server answered, and the session is over (its
            close code says why).
        ServerUnreachable: no attempt got through; the agent gives up.
    """
    waits = backoff.waits()
    for attempt, wait in enumerate(waits, start=1):
        on_attempt(attempt)
        await sleep(wait)
        try:
            return await open_connection(url, hello)
        except CodeRefused as exc:
            if not dropped(exc.reason):
                raise
            logger.info("resume attempt %d: the connection dropped again", attempt)
        except ServerUnreachable as exc:
            logger.info("resume attempt %d: %s", attempt, exc)
    raise ServerUnreachable(f"no answer from {url} after {len(waits)} attempts to resume")


def _close_code(exc: ConnectionClosed) -> int | None:
    frame = exc.rcvd
    return frame.code if frame is not None else None


def _as_reason(code: int | None) -> CloseReason | int | None:
    if code is None:
        return None
    try:
        return CloseReason(code)
    except ValueError:
        return code


def tls_context() -> ssl.SSLContext:
    """The TLS trust of every connection the agent opens: the system's authorities.

    ``SSL_CERT_FILE`` (and ``SSL_CERT_DIR``) point it elsewhere, as OpenSSL's.
    """
    return ssl.create_default_context()


class AgentConnection:
    """An open connection to the server, after the server welcomed the agent."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self.close_code: CloseReason | int | None = None

    @classmethod
    async def open(
        cls, url: str, hello: m.Hello, *, timeout: float = OPEN_TIMEOUT_SECONDS
    ) -> tuple[AgentConnection, m.Welcome]:
        """Connects, says hello with the code, and waits for the welcome.

        Raises:
            CodeRefused: the server closed the connection (a wrong code...).
            ServerNotTrusted: the server's certificate could not be verified.
            ServerUnreachable: no server answered, or not in our protocol.
        """
        options: dict[str, Any] = {}
        if url.startswith("wss:"):
            options["ssl"] = tls_context()
        # Through the system's proxy first, as the network may require; then,
        # if a proxy is set and that failed, directly: a broken proxy is what
        # the person may need help with, so it must not keep help away.
        routes: list[dict[str, Any]] = [{}]
        if urllib.request.getproxies():
            routes.append({"proxy": None})
        # A certificate refused on any route is what the person hears about:
        # a proxy that shows its own certificate is as suspect as the server.
        untrusted: ssl.SSLCertVerificationError | None = None
        for route in routes:
            try:
                ws = await connect(
                    url, open_timeout=timeout, max_size=m.MAX_CONTROL_MESSAGE_BYTES,
                    ping_interval=PING_INTERVAL_SECONDS, ping_timeout=PING_TIMEOUT_SECONDS,
                    # The server speaks our own small messages; compression would
                    # only cost CPU on frames that are JPEG or PNG already.
                    compression=None, **options, **route,
                )
                break
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                if isinstance(exc, ssl.SSLCertVerificationError):
                    untrusted = exc
                if route is routes[-1]:
                    if untrusted is not None:
                        raise ServerNotTrusted(
                            f"the certificate of {url} could not be verified: "
                            f"{getattr(untrusted, 'verify_message', '') or untrusted}"
                        ) from exc
                    raise ServerUnreachable(f"cannot connect to {url}: {exc}") from exc
                logger.info("the proxy did not lead to %s (%s); trying directly", url, exc)
        try:
            await ws.send(m.serialize(hello))
            text = await asyncio.wait_for(ws.recv(), timeout)
        except ConnectionClosed as exc:
            raise CodeRefused(_as_reason(_close_code(exc))) from exc
        except TimeoutError as exc:
            await ws.close()
            raise ServerUnreachable(f"{url} did not answer the hello") from exc
        try:
            welcome = m.parse(text, m.SERVER_SENDS)
        except RemoteProtocolError as exc:
            await ws.close(int(exc.close_reason))
            raise ServerUnreachable(f"{url} answered in another protocol: {exc}") from exc
        if not isinstance(welcome, m.Welcome):
            await ws.close(int(CloseReason.NOT_ALLOWED))
            raise ServerUnreachable(f"{url} answered {welcome.type!r} instead of a welcome")
        logger.debug("< welcome %s", welcome.session_id)
        return cls(ws), welcome

    async def send(self, message: m.Message) -> None:
        """Sends one control message; a closed connection is noticed by ``receive``."""
        logger.debug("> %s", message.type)
        try:
            await self._ws.send(m.serialize(message))
        except ConnectionClosed:
            logger.debug("could not send %s: connection closed", message.type)

    async def send_frame(self, update: frames.FrameUpdate) -> None:
        """Sends one frame update as a binary message."""
        try:
            await self._ws.send(frames.serialize_frame(update))
        except ConnectionClosed:
            logger.debug("could not send frame %d: connection closed", update.frame_id)

    async def send_cursor(self, update: frames.CursorShape | frames.CursorPosition) -> None:
        """Sends the pointer's shape or position as a binary message."""
        data = (
            frames.serialize_cursor_shape(update) if isinstance(update, frames.CursorShape)
            else frames.serialize_cursor_position(update)
        )
        try:
            await self._ws.send(data)
        except ConnectionClosed:
            logger.debug("could not send the cursor: connection closed")

    async def receive(self) -> m.Message | None:
        """The next message from the server, or None once the connection is closed.

        After None, ``close_code`` says why the server closed it (None if
        the connection dropped without a close frame). A message the agent
        cannot read closes the connection with its reason.
        """
        while True:
            try:
                data = await self._ws.recv()
            except ConnectionClosed as exc:
                self.close_code = _as_reason(_close_code(exc))
                return None
            if isinstance(data, bytes):
                await self._ws.close(int(CloseReason.NOT_ALLOWED))
                continue
            try:
                message = m.parse(data, m.SERVER_SENDS)
            except RemoteProtocolError as exc:
                logger.warning("the server sent a message the agent refuses: %s", exc)
                await self._ws.close(int(exc.close_reason))
                continue
            logger.debug("< %s", message.type)
            return message

    async def close(self) -> None:
        await self._ws.close()
