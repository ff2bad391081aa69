"""The bench's forwarder: bytes arrive whole and in order, shaped or not; a link's schedule."""

from __future__ import annotations

import asyncio
import os

import pytest
from bench.proxy import CountingProxy, Lane, Link


def test_a_lane_sends_one_slice_after_the_other_then_delays_each() -> None:
    lane = Lane(mbit=8.0, delay_s=0.02, buffer_bytes=4000)  # a million bytes a second
    assert lane.arrival(10.0, 1000) == pytest.approx(10.0 + 0.001 + 0.02)
    # Sent at the same moment, the second slice waits for the first to leave.
    assert lane.arrival(10.0, 1000) == pytest.approx(10.0 + 0.002 + 0.02)
    # Once the link is idle again, a slice leaves at once.
    assert lane.arrival(11.0, 500) == pytest.approx(11.0 + 0.0005 + 0.02)


def test_a_full_lane_asks_the_reader_to_wait_until_its_buffer_has_room() -> None:
    lane = Lane(mbit=8.0, delay_s=0.0, buffer_bytes=4000)
    for _ in range(6):
        lane.arrival(0.0, 1000)
    # 6000 bytes queued, 4000 fit: the extra 2000 take 2 ms to leave.
    assert lane.wait_for_room(0.0) == pytest.approx(0.002)
    assert lane.wait_for_room(0.002) == pytest.approx(0.0)
    assert lane.wait_for_room(1.0) == 0.0


def test_a_link_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        Lane(mbit=0.0, delay_s=0.01, buffer_bytes=1000)


async def test_bytes_arrive_whole_and_in_order_while_the_link_changes() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    proxy = CountingProxy(server.sockets[0].getsockname()[1])
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        sent = os.urandom(600_000)
        chunks = [sent[i:i + 20_000] for i in range(0, len(sent), 20_000)]

        async def send() -> None:
            for index, chunk in enumerate(chunks):
                # Slow, then as fast as loopback goes, then slow again, mid-stream.
                if index in (0, 20):
                    proxy.shape(Link(down_mbit=40.0, up_mbit=20.0, rtt_ms=10.0,
                                     buffer_bytes=32_000))
                elif index == 10:
                    proxy.shape(None)
                writer.write(chunk)
                await writer.drain()
            writer.write_eof()

        sending = asyncio.create_task(send())
        received = await asyncio.wait_for(reader.read(-1), 30)
        await sending
        writer.close()
        assert received == sent
        counts = proxy.snapshot()
        assert (counts.from_browser, counts.to_browser) == (len(sent), len(sent))
    finally:
        proxy.close()
        server.close()
