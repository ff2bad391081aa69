"""A loopback TCP forwarder between the browser and a stack, counting bytes each way.

The browser loads the viewer page (and opens its WebSocket) through this
forwarder, so bytes are counted the same way for every stack: TCP payload
(HTTP and WebSocket framing included), without TLS. It runs in a thread of
the bench process, whose CPU no stack is charged with.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass


@dataclass
class Counts:
    to_browser: int = 0
    from_browser: int = 0


class CountingProxy:
    """Listens on 127.0.0.1:``port`` and forwards each connection to ``target_port``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.counts = Counts()
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the counting proxy did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        self._writers.update((client_w, server_w))
        await asyncio.gather(self._pipe(client_r, server_w, down=False),
                             self._pipe(server_r, client_w, down=True))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    down: bool) -> None:
        try:
            while True:
                data = await reader.read(262144)
                if not data:
                    break
                if down:
                    self.counts.to_browser += len(data)
                else:
                    self.counts.from_browser += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    def snapshot(self) -> Counts:
        return Counts(self.counts.to_browser, self.counts.from_browser)

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            # Closing every socket ends every pipe; cancelling the handlers instead
            # makes Python 3.11's start_server log each cancellation as an error.
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=3)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
