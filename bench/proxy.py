"""A loopback TCP forwarder between the browser and a stack, counting bytes each way.

The browser loads the viewer page (and opens its WebSocket) through this
forwarder, so bytes are counted the same way for every stack: TCP payload
(HTTP and WebSocket framing included), without TLS. It runs in a thread of
the bench process, whose CPU no stack is charged with.

It can also play a slow link (``shape``): each direction's bytes leave at
that direction's rate, one after the other, and arrive a fixed delay later.
What waits for the link is bounded like a router's buffer: past it the
forwarder stops reading, so TCP slows the sender down, as on a real link.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from dataclasses import dataclass

# Unshaped, the forwarder reads what is there, up to this much at a time.
READ_BYTES = 262144
# Shaped, it reads less at a time, so that bytes leave in small slices as
# they would on the wire, not in one late lump.
SHAPED_READ_BYTES = 16384


@dataclass
class Counts:
    to_browser: int = 0
    from_browser: int = 0


@dataclass(frozen=True)
class Link:
    """An emulated link: a rate each way, a one-way delay, a bottleneck buffer."""

    down_mbit: float     # toward the browser
    up_mbit: float       # from the browser
    rtt_ms: float        # round trip; each way takes half
    buffer_bytes: int = 64 * 1024

    def describe(self) -> dict[str, float]:
        return {"down_mbit": self.down_mbit, "up_mbit": self.up_mbit, "rtt_ms": self.rtt_ms,
                "buffer_bytes": self.buffer_bytes}


class Lane:
    """One direction of a link, shared by every connection through it.

    ``arrival`` gives when a slice sent now reaches the other end: it waits
    for the slices before it to leave (at the lane's rate), takes its own
    time on the wire, then the one-way delay. Times are the caller's clock.
    """

    def __init__(self, mbit: float, delay_s: float, buffer_bytes: int) -> None:
        if mbit <= 0 or delay_s < 0 or buffer_bytes <= 0:
            raise ValueError("a link needs a positive rate and buffer, and no negative delay")
        self.bytes_per_s = mbit * 1e6 / 8
        self.delay_s = delay_s
        self.buffer_bytes = buffer_bytes
        self._free_at = 0.0  # when the last slice has left

    def arrival(self, now: float, size: int) -> float:
        leaves = max(now, self._free_at) + size / self.bytes_per_s
        self._free_at = leaves
        return leaves + self.delay_s

    def wait_for_room(self, now: float) -> float:
        """Seconds until the buffer has room again (0 if it has)."""
        queued = max(0.0, self._free_at - now) * self.bytes_per_s
        return max(0.0, (queued - self.buffer_bytes) / self.bytes_per_s)


class _Shaped:
    """The two lanes of a ``Link``."""

    def __init__(self, link: Link) -> None:
        delay = link.rtt_ms / 2000
        self.down = Lane(link.down_mbit, delay, link.buffer_bytes)
        self.up = Lane(link.up_mbit, delay, link.buffer_bytes)


class _Outbox:
    """What one pipe has read and not yet written, in order, each with its due time."""

    def __init__(self) -> None:
        self.slices: collections.deque[tuple[float, bytes]] = collections.deque()
        self.ready = asyncio.Event()

    def put(self, due: float, data: bytes) -> None:
        self.slices.append((due, data))
        self.ready.set()


class CountingProxy:
    """Listens on 127.0.0.1:``port`` and forwards each connection to ``target_port``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.counts = Counts()
        self.port = 0
        self._shaped: _Shaped | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the counting proxy did not start")

    def shape(self, link: Link | None) -> None:
        """From now on, bytes go through ``link`` (None: as fast as loopback goes)."""
        def apply() -> None:
            self._shaped = None if link is None else _Shaped(link)
        self._loop.call_soon_threadsafe(apply)

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
        try:
            await asyncio.gather(self._pipe(client_r, server_w, down=False),
                                 self._pipe(server_r, client_w, down=True))
        finally:
            for writer in (client_w, server_w):
                writer.close()
                self._writers.discard(writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    down: bool) -> None:
        outbox = _Outbox()
        sending = asyncio.create_task(self._send(outbox, writer))
        loop = asyncio.get_running_loop()
        try:
            while True:
                shaped = self._shaped
                lane = None if shaped is None else shaped.down if down else shaped.up
                if lane is not None:
                    # A full buffer: read no more until the link has drained some.
                    while (wait := lane.wait_for_room(loop.time())) > 0:
                        await asyncio.sleep(wait)
                data = await reader.read(READ_BYTES if lane is None else SHAPED_READ_BYTES)
                if not data:
                    break
                if down:
                    self.counts.to_browser += len(data)
                else:
                    self.counts.from_browser += len(data)
                if lane is None and not outbox.slices:
                    writer.write(data)
                    await writer.drain()
                else:
                    outbox.put(0.0 if lane is None else lane.arrival(loop.time(), len(data)),
                               data)
            # What the link still carries arrives before the end, and the
            # end is passed on as one: the other way may still carry bytes.
            while outbox.slices and not sending.done():
                await asyncio.sleep(0.01)
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            writer.close()  # the other way ends too
        finally:
            sending.cancel()

    @staticmethod
    async def _send(outbox: _Outbox, writer: asyncio.StreamWriter) -> None:
        """Writes the outbox's slices, each when it is due."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                await outbox.ready.wait()
                while outbox.slices:
                    due, data = outbox.slices[0]
                    if (wait := due - loop.time()) > 0:
                        await asyncio.sleep(wait)
                    writer.write(data)
                    await writer.drain()
                    outbox.slices.popleft()
                outbox.ready.clear()
        except (ConnectionError, OSError):
            pass

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
