"""The relay with fake sockets: it pairs by session, copies in order, and keeps its limits."""

from __future__ import annotations

from coupdemain.server.relay import Relay


class FakeViewer:
    """Keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.received.append(data)


class GoneViewer:
    """A viewer whose connection is gone: every send fails."""

    async def send_bytes(self, data: bytes) -> None:
        raise ConnectionResetError("gone")


def open_relay(*sessions: tuple[str, FakeViewer], limit: int = 1000) -> Relay:
    relay = Relay(limit)
    for session_id, viewer in sessions:
        relay.attach_viewer(session_id, viewer)
        relay.set_gate(session_id, True)
    return relay


async def test_frames_reach_the_viewer_in_order_and_unchanged() -> None:
    viewer = FakeViewer()
    relay = open_relay(("s1", viewer))
    frames = [bytes([i]) * (i + 1) for i in range(20)]
    for frame in frames:
        await relay.forward("s1", frame)
    assert viewer.received == frames
    assert (relay.counters["s1"].frames, relay.counters["s1"].bytes) == (20, 210)


async def test_two_sessions_never_mix() -> None:
    first, second = FakeViewer(), FakeViewer()
    relay = open_relay(("s1", first), ("s2", second))
    await relay.forward("s1", b"one")
    await relay.forward("s2", b"two")
    await relay.forward("s1", b"three")
    assert first.received == [b"one", b"three"]
    assert second.received == [b"two"]


async def test_a_closed_gate_drops_frames_and_counts_them() -> None:
    viewer = FakeViewer()
    relay = open_relay(("s1", viewer))
    relay.set_gate("s1", False)  # the person paused
    await relay.forward("s1", b"hidden")
    relay.set_gate("s1", True)
    await relay.forward("s1", b"shown")
    assert viewer.received == [b"shown"]
    assert relay.counters["s1"].dropped == 1


async def test_frames_without_a_viewer_are_dropped() -> None:
    relay = Relay(1000)
    relay.set_gate("s1", True)
    await relay.forward("s1", b"nobody watches")
    assert relay.counters["s1"].dropped == 1


async def test_a_viewer_that_went_away_costs_a_dropped_frame_not_an_error() -> None:
    relay = Relay(1000)
    relay.attach_viewer("s1", GoneViewer())
    relay.set_gate("s1", True)
    await relay.forward("s1", b"frame")
    assert relay.counters["s1"].dropped == 1
    assert relay.counters["s1"].frames == 0


async def test_a_replaced_viewer_detaching_late_keeps_the_new_one() -> None:
    old, new = FakeViewer(), FakeViewer()
    relay = open_relay(("s1", old))
    relay.attach_viewer("s1", new)      # another tab took the session
    relay.detach_viewer("s1", old)      # the old tab's handler ends afterwards
    await relay.forward("s1", b"frame")
    assert (old.received, new.received) == ([], [b"frame"])


async def test_a_forgotten_session_gets_nothing_more() -> None:
    viewer = FakeViewer()
    relay = open_relay(("s1", viewer))
    relay.forget("s1")  # the session ended
    await relay.forward("s1", b"late frame")
    assert viewer.received == []


def test_the_size_limit_is_inclusive() -> None:
    relay = Relay(1000)
    assert relay.accepts(1000)
    assert not relay.accepts(1001)
