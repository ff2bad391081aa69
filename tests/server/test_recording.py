"""Recordings in process: the policy, the person's word, the sealed file, a full disk, retention."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import update

from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.enums import RecordingPolicy
from coupdemain.protocol.errors import CloseReason
from coupdemain.protocol.frames import EncodedRect, FrameUpdate, serialize_frame
from coupdemain.protocol.session import State
from coupdemain.server.audit import AuditLog
from coupdemain.server.recording.recordings import Recordings
from coupdemain.server.recording.sealed import (
    KIND_FRAMES,
    RecordingError,
    derive_key,
    open_sealed,
    records,
)
from coupdemain.server.rendezvous import LiveSession
from coupdemain.server.store.models import Organisation
from tests.server.test_rendezvous import (
    FakeSocket,
    World,
    actions,
    from_agent,
    joined,
    make_world,
    technician,
)

KEY = derive_key(b"s" * 32)
# A frame whose bytes are easy to look for: a PNG-less solid rect and a "payload" marker.
FRAME = serialize_frame(FrameUpdate(1, (
    EncodedRect(0, 0, 64, 48, Encoding.SOLID, b"\x12\x34\x56"),
    EncodedRect(0, 0, 32, 8, Encoding.PNG, b"RECOGNISABLE-FRAME-BYTES" * 8),
), keyframe=True))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in make_world():
        made.rendezvous.use_recordings(
            Recordings(tmp_path / "recordings", KEY, made.db, AuditLog(made.db), clock=Clock()))
        yield made


async def set_policy(world: World, policy: str, days: int = 30) -> None:
    async with world.db.begin() as s:
        await s.execute(update(Organisation).values(recording_policy=policy,
                                                    recording_retention_days=days))


async def consent(world: World, live: LiveSession, record: bool) -> None:
    message = from_agent(json.dumps({"type": "consent", "decision": "allow_view",
                                     "record": record}))
    await world.rendezvous.act(live, lambda s: s.receive_from_agent(message))


async def viewing(world: World, policy: str, record: bool) -> tuple[LiveSession, FakeSocket,
                                                                    FakeSocket]:
    await set_policy(world, policy)
    live, agent = await joined(world)
    viewer = FakeSocket()
    await world.rendezvous.attach_viewer(live, viewer, technician(world.people.alice))
    await consent(world, live, record)
    return live, agent, viewer


def recordings_of(world: World) -> Recordings:
    assert world.rendezvous.recordings is not None
    return world.rendezvous.recordings


async def test_ask_answered_no_records_nothing_though_frames_flow(world: World) -> None:
    live, agent, viewer = await viewing(world, "ask", record=False)
    assert agent.last("welcome")["recording"] == "ask"
    await world.rendezvous.relay.forward(live.session_id, FRAME)
    assert viewer.binary == [FRAME]
    assert recordings_of(world).existing(live.session_id) is None
    assert viewer.last("state")["recording"] is False
    assert "recording_declined" in await actions(world, live.session_id)
    assert "recording_started" not in await actions(world, live.session_id)


async def test_a_recording_is_sealed_private_and_its_sha256_is_audited(world: World) -> None:
    live, agent, viewer = await viewing(world, "always", record=True)
    assert agent.last("state")["recording"] is True
    assert viewer.last("state")["recording"] is True
    # The recording begins with the whole screen.
    assert agent.types()[-1] == "keyframe_request"
    for _ in range(3):
        await world.rendezvous.relay.forward(live.session_id, FRAME)
    await world.rendezvous.act(live, lambda s: s.server_end(CloseReason.NORMAL))
    path = recordings_of(world).existing(live.session_id)
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = path.read_bytes()
    assert b"RECOGNISABLE-FRAME-BYTES" not in data and FRAME not in data
    opened = open_sealed(path, KEY)
    assert opened.complete and opened.kind == KIND_FRAMES
    assert [message for _, message in records(opened.plaintext)] == [FRAME] * 3
    with pytest.raises(RecordingError, match="does not open: another key, or damaged"):
        open_sealed(path, derive_key(b"another key"))
    events = await AuditLog(world.db).events_of(live.session_id)
    closed = [e for e in events if e.action == "recording_closed"]
    assert closed[0].detail == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                "complete": True}
    assert [e.action for e in events].index("recording_started") < [
        e.action for e in events].index("recording_closed")


class FillsUp:
    """A file on a disk with room for ``room`` bytes."""

    def __init__(self, path: Path, room: int) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by the writer
        self.room = room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()


async def test_a_full_disk_stops_the_recording_with_its_reason_and_the_session_goes_on(
    world: World, tmp_path: Path,
) -> None:
    recordings = recordings_of(world)
    recordings.opener = lambda path: FillsUp(path, 200)  # type: ignore[assignment,return-value]
    clock = Clock()
    recordings._clock = clock
    live, agent, viewer = await viewing(world, "always", record=True)
    for _ in range(4):
        clock.now += 2  # each frame seals a chunk: the second no longer fits
        await world.rendezvous.relay.forward(live.session_id, FRAME)
    await world.rendezvous.act(live, lambda s: None)
    for task in list(recordings._tasks):
        await task
    assert live.machine.state is State.VIEWING
    assert viewer.binary == [FRAME] * 4   # the technician still sees every frame
    assert viewer.last("state")["recording"] is False
    assert agent.last("state")["recording"] is False
    events = await AuditLog(world.db).events_of(live.session_id)
    stopped = [e.detail for e in events if e.action == "recording_stopped"]
    assert stopped == [{"reason": "disk_full"}]
    closed = [e.detail for e in events if e.action == "recording_closed"]
    assert closed and closed[0]["complete"] is False
    assert not recordings.is_open(live.session_id)


async def test_expired_recordings_are_deleted_and_audited(world: World) -> None:
    live, _, _ = await viewing(world, "always", record=True)
    await world.rendezvous.relay.forward(live.session_id, FRAME)
    await world.rendezvous.act(live, lambda s: s.server_end(CloseReason.NORMAL))
    recordings = recordings_of(world)
    path = recordings.existing(live.session_id)
    assert path is not None
    now = datetime.now(UTC)
    recordings.wall = lambda: now + timedelta(days=29)
    assert await recordings.sweep() == []
    assert path.exists()
    recordings.wall = lambda: now + timedelta(days=30, minutes=1)
    assert await recordings.sweep() == [live.session_id]
    assert not path.exists()
    events = await AuditLog(world.db).events_of(live.session_id)
    assert [e.detail for e in events if e.action == "recording_deleted"] == [
        {"why": "retention", "days": 30}]


async def test_the_sweeper_loop_is_bounded_and_sweeps_each_round(world: World) -> None:
    recordings = recordings_of(world)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    await recordings.run_sweeper(60, rounds=3, sleep=sleep)
    assert slept == [60, 60, 60]


async def test_never_sends_never_and_records_nothing(world: World) -> None:
    live, agent, _ = await viewing(world, RecordingPolicy.NEVER.value, record=True)
    assert agent.last("welcome")["recording"] == "never"
    await world.rendezvous.relay.forward(live.session_id, FRAME)
    assert recordings_of(world).existing(live.session_id) is None
