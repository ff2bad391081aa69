"""A scripted stand-in for the server's ``/ws/agent`` endpoint, on loopback.

Tests drive it step by step: it records what the agent sends and sends
what the test asks, so the agent's real windows and sockets are exercised
without the real server.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from coupdemain.protocol import frames
from coupdemain.protocol import messages as m


class FakeServer:
    """Accepts agents; refuses codes in ``refuse`` with their close code, welcomes the rest.

    ``welcome`` is the welcome it sends; ``mandate_pdf`` what ``GET /api/agent/mandate.pdf``
    answers to the welcome's resume secret (a 404 without it, a 401 for another secret).
    """

    def __init__(self, refuse: dict[str, int] | None = None, *,
                 welcome: m.Welcome | None = None, mandate_pdf: bytes = b"") -> None:
        self.refuse = refuse or {}
        self.welcome = welcome or m.Welcome("s1", "Alice Martin", "Entraide Numérique",
                                            technician_id=7)
        self.mandate_pdf = mandate_pdf
        self.pdf_requests = 0
        self.hellos: list[m.Hello] = []
        self.received: asyncio.Queue[m.Message | frames.FrameUpdate] = asyncio.Queue()
        self.agent: ServerConnection | None = None
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self._server: Server | None = None
        self.port = 0

    async def __aenter__(self) -> FakeServer:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, max_size=frames.MAX_FRAME_MESSAGE_BYTES,
            process_request=self._http)
        self.port = self._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _http(self, ws: ServerConnection, request: Request) -> Response | None:
        """Plain HTTP: the mandate's copy; anything else goes on to the WebSocket."""
        if request.path != "/api/agent/mandate.pdf":
            return None
        self.pdf_requests += 1
        if not self.mandate_pdf:
            return ws.respond(404, "no mandate\n")
        if request.headers.get("Authorization") != f"Bearer {self.welcome.resume}":
            return ws.respond(401, "not this session\n")
        return Response(200, "OK", Headers([("Content-Type", "application/pdf"),
                                            ("Content-Length", str(len(self.mandate_pdf)))]),
                        self.mandate_pdf)

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None and ws.request.path == "/ws/agent"
        hello = m.parse(await ws.recv(), m.AGENT_SENDS)
        assert isinstance(hello, m.Hello)
        self.hellos.append(hello)
        if hello.code in self.refuse:
            await ws.close(self.refuse[hello.code])
            return
        await ws.send(m.serialize(self.welcome))
        self.agent = ws
        self.connected.set()
        try:
            async for data in ws:
                if isinstance(data, bytes) and frames.binary_kind(data) in (
                    frames.FRAME_KIND_CURSOR_SHAPE, frames.FRAME_KIND_CURSOR_POSITION
                ):
                    await self.received.put(frames.parse_cursor(data))
                elif isinstance(data, bytes):
                    await self.received.put(frames.parse_frame(data))
                else:
                    await self.received.put(m.parse(data, m.AGENT_SENDS))
        finally:
            self.closed.set()

    async def send(self, message: m.Message) -> None:
        assert self.agent is not None
        await self.agent.send(m.serialize(message))

    async def expect(self, kind: type, timeout: float = 20.0) -> Any:
        """The next message of ``kind``, skipping frames and others in between."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {kind.__name__} from the agent")
            item = await asyncio.wait_for(self.received.get(), remaining)
            if isinstance(item, kind):
                return item

    async def end(self, by: str, reason: int) -> None:
        assert self.agent is not None
        await self.send(m.Ended(by, reason))
        await self.agent.close(reason)
