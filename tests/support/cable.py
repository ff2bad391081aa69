"""A network cable on loopback that a test can cut and mend: a TCP forwarder on a fixed port.

Cut, it is as a pulled cable: what is in flight is lost without a word
(no FIN, no RST: each side learns of it only by its own pings), and new
connections are refused. Mended, it listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

READ_BYTES = 65536


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cable:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target_port`` until cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = _free_port()
        self.is_cut = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.mend()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    def cut(self) -> None:
        async def cut() -> None:
            self.is_cut = True
            if self._server is not None:
                self._server.close()
                self._server = None
        self._call(cut())

    def mend(self) -> None:
        async def mend() -> None:
            # The connections that were cut are dead: nothing will flow on them again.
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()
            self.is_cut = False
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port,
                                                      reuse_address=True)
        self._call(mend())

    async def _serve(self, client_r: asyncio.StreamReader,
                     client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        self._writers.update((client_w, server_w))
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w),
                             return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(READ_BYTES):
                if self.is_cut:
                    continue  # lost on the way
                writer.write(data)
                await writer.drain()
            if not self.is_cut:
                writer.close()

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
        self._call(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
