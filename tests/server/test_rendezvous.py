"""The rendezvous in process: codes issued and redeemed, consent, endings, on fake sockets.

The database is SQLite in memory; the sockets keep what they are sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import (
    CloseReason,
    ResumeRefused,
    SupportCodeExpired,
    SupportCodeInvalid,
    SupportCodeUsed,
    TooManyAttempts,
)
from coupdemain.protocol.session import Person, Technician
from coupdemain.server.audit import AuditLog
from coupdemain.server.ratelimit import FailureLimiter
from coupdemain.server.relay import Relay
from coupdemain.server.rendezvous import LiveSession, Rendezvous
from coupdemain.server.store.models import SupportSession, User
from tests.support.store import People, add_people, memory_database

ADDRESS = "127.0.0.1"
PERSON = Person(hostname="pc-de-marie", os="Debian 13", user="marie")


@dataclass(eq=False)
class FakeSocket:
    """A WebSocket that keeps what it is sent, and how it was closed."""

    texts: list[str] = field(default_factory=list)
    binary: list[bytes] = field(default_factory=list)
    closed_with: int | None = None

    async def send_text(self, data: str) -> None:
        self.texts.append(data)

    async def send_bytes(self, data: bytes) -> None:
        self.binary.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.texts]

    def types(self) -> list[str]:
        return [message["type"] for message in self.messages()]

    def last(self, kind: str) -> dict[str, Any]:
        return [message for message in self.messages() if message["type"] == kind][-1]


@dataclass
class World:
    db: async_sessionmaker[AsyncSession]
    people: People
    rendezvous: Rendezvous


def technician(user: User) -> Technician:
    return Technician(user.id, user.display_name, user.organisation.name)


def from_agent(text: str) -> m.Message:
    """A message as the agent sends it on the wire."""
    return m.parse(text, m.AGENT_SENDS)


def from_viewer(text: str) -> m.Message:
    return m.parse(text, m.VIEWER_SENDS)


async def make_world(code_ttl: timedelta = timedelta(minutes=10)) -> AsyncIterator[World]:
    async with memory_database() as db:
        people = await add_people(db)
        rendezvous = Rendezvous(
            db, AuditLog(db), Relay(1000), secret=b"k" * 32, code_ttl=code_ttl,
            code_limiter=FailureLimiter(5, 600), viewer_grace_seconds=60,
        )
        yield World(db, people, rendezvous)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async for made in make_world():
        yield made


async def row_of(world: World, session_id: str) -> SupportSession:
    async with world.db() as s:
        row = await s.get(SupportSession, session_id)
    assert row is not None
    return row


async def actions(world: World, session_id: str) -> list[str]:
    return [event.action for event in await AuditLog(world.db).events_of(session_id)]


async def joined(world: World) -> tuple[LiveSession, FakeSocket]:
    """A session whose code alice issued and the person typed: the agent waits for consent."""
    issued = await world.rendezvous.issue_code(world.people.alice)
    live = await world.rendezvous.redeem_code(issued.code.formatted(), ADDRESS, PERSON)
    agent = FakeSocket()
    await world.rendezvous.attach_agent(live, agent, PERSON)
    return live, agent


async def consent(world: World, live: LiveSession, decision: str) -> None:
    """The person answers the request to view on the agent."""
    message = from_agent(json.dumps({"type": "consent", "decision": decision}))
    await world.rendezvous.act(live, lambda s: s.receive_from_agent(message))


# --- codes ---------------------------------------------------------------------


async def test_the_right_code_opens_the_session_and_welcomes_the_agent(world: World) -> None:
    issued = await world.rendezvous.issue_code(world.people.alice)
    assert world.rendezvous.live(issued.session_id).code == issued.code  # type: ignore[union-attr]
    live = await world.rendezvous.redeem_code(issued.code.formatted(), ADDRESS, PERSON)
    assert live.session_id == issued.session_id
    assert live.code is None  # no longer shown once used
    agent = FakeSocket()
    await world.rendezvous.attach_agent(live, agent, PERSON)
    welcome = agent.last("welcome")
    assert (welcome["session_id"], welcome["technician_name"], welcome["organisation"]) == (
        issued.session_id, "Alice Martin", "Entraide Numérique")
    assert welcome["resume"]
    row = await row_of(world, issued.session_id)
    assert (row.state, row.person_hostname, row.person_user) == (
        "waiting_for_consent", "pc-de-marie", "marie")
    assert row.code_used_at is not None
    assert row.resume_digest  # the secret's digest, never the secret
    assert row.resume_digest != welcome["resume"]
    assert await actions(world, issued.session_id) == ["code_issued", "code_used"]


async def test_a_wrong_code_is_refused(world: World) -> None:
    await world.rendezvous.issue_code(world.people.alice)
    with pytest.raises(SupportCodeInvalid):
        await world.rendezvous.redeem_code("000 000 000", ADDRESS, PERSON)
    with pytest.raises(SupportCodeInvalid):
        await world.rendezvous.redeem_code("12", ADDRESS, PERSON)


async def test_a_code_opens_one_session_once(world: World) -> None:
    issued = await world.rendezvous.issue_code(world.people.alice)
    await world.rendezvous.redeem_code(issued.code.digits, ADDRESS, PERSON)
    with pytest.raises(SupportCodeUsed):
        await world.rendezvous.redeem_code(issued.code.digits, ADDRESS, PERSON)


async def test_an_expired_code_is_refused_and_the_sweeper_ends_its_session() -> None:
    async for world in make_world(code_ttl=timedelta(0)):
        issued = await world.rendezvous.issue_code(world.people.alice)
        with pytest.raises(SupportCodeExpired):
            await world.rendezvous.redeem_code(issued.code.digits, ADDRESS, PERSON)
        await world.rendezvous.sweep()
        row = await row_of(world, issued.session_id)
        assert (row.state, row.ended_by, row.end_reason) == ("ended", "server", "code_expired")
        assert world.rendezvous.live(issued.session_id) is None


async def test_an_address_that_failed_too_often_is_refused_even_the_right_code(
    world: World,
) -> None:
    issued = await world.rendezvous.issue_code(world.people.alice)
    for wrong in range(5):
        with pytest.raises(SupportCodeInvalid):
            await world.rendezvous.redeem_code(f"00000000{wrong}", ADDRESS, PERSON)
    with pytest.raises(TooManyAttempts):
        await world.rendezvous.redeem_code(issued.code.digits, ADDRESS, PERSON)
    # Another address is not held back by this one's failures.
    live = await world.rendezvous.redeem_code(issued.code.digits, "127.0.0.2", PERSON)
    assert live.session_id == issued.session_id


# --- consent and the frames ------------------------------------------------------


async def test_frames_flow_only_once_the_person_allows_viewing(world: World) -> None:
    live, agent = await joined(world)
    viewer = FakeSocket()
    await world.rendezvous.attach_viewer(live, viewer, technician(world.people.alice))
    assert viewer.last("state")["state"] == "waiting_for_consent"
    relay = world.rendezvous.relay
    await relay.forward(live.session_id, b"before consent")
    await consent(world, live, "allow_view")
    await relay.forward(live.session_id, b"after consent")
    assert viewer.binary == [b"after consent"]
    assert viewer.last("state")["state"] == "viewing"
    assert (await row_of(world, live.session_id)).state == "viewing"


async def test_the_person_declines(world: World) -> None:
    live, agent = await joined(world)
    await consent(world, live, "decline")
    assert agent.closed_with == CloseReason.DECLINED
    row = await row_of(world, live.session_id)
    assert (row.state, row.ended_by, row.end_reason) == ("ended", "person", "declined")
    assert world.rendezvous.live(live.session_id) is None


async def test_the_technician_ends_the_session(world: World) -> None:
    live, agent = await joined(world)
    viewer = FakeSocket()
    await world.rendezvous.attach_viewer(live, viewer, technician(world.people.alice))
    await consent(world, live, "allow_view")
    await world.rendezvous.from_viewer(live, viewer, from_viewer('{"type":"end"}'))
    assert agent.last("ended") == {
        "type": "ended", "by": "technician", "reason": int(CloseReason.ENDED_BY_TECHNICIAN)}
    assert agent.closed_with == CloseReason.ENDED_BY_TECHNICIAN
    assert viewer.closed_with == CloseReason.NORMAL
    row = await row_of(world, live.session_id)
    assert (row.state, row.ended_by, row.end_reason) == (
        "ended", "technician", "ended_by_technician")
    # The viewer came before the consent: "viewer_connected" is recorded when it comes after.
    assert await actions(world, live.session_id) == [
        "code_issued", "code_used", "consent_given", "session_ended"]
    # Nothing reaches the viewer of a session that ended.
    await world.rendezvous.relay.forward(live.session_id, b"late frame")
    assert viewer.binary == []


async def test_a_replaced_viewers_last_message_is_dropped(world: World) -> None:
    live, _ = await joined(world)
    first, second = FakeSocket(), FakeSocket()
    await world.rendezvous.attach_viewer(live, first, technician(world.people.alice))
    await world.rendezvous.attach_viewer(live, second, technician(world.people.alice))
    assert first.closed_with == CloseReason.REPLACED
    await world.rendezvous.from_viewer(live, first, from_viewer('{"type":"end"}'))
    assert (await row_of(world, live.session_id)).state == "waiting_for_consent"


async def test_another_technician_takes_over(world: World) -> None:
    live, agent = await joined(world)
    alices, roots = FakeSocket(), FakeSocket()
    await world.rendezvous.attach_viewer(live, alices, technician(world.people.alice))
    await world.rendezvous.attach_viewer(live, roots, technician(world.people.root))
    assert alices.last("watching")["technicians"] == [
        {"id": world.people.root.id, "name": "Rose Admin", "organisation": "Entraide Numérique"}]
    assert alices.closed_with == CloseReason.TAKEN_OVER
    assert agent.last("watching")["technicians"][0]["name"] == "Rose Admin"


# --- the agent comes back ----------------------------------------------------------


async def test_an_agent_resumes_with_its_secret(world: World) -> None:
    live, agent = await joined(world)
    secret = agent.last("welcome")["resume"]
    await world.rendezvous.detach_agent(live, agent, may_return=True)
    assert await world.rendezvous.find_resumable(secret) is live
    again = FakeSocket()
    await world.rendezvous.resume_agent(live, again)
    assert again.last("welcome")["resume"] == ""  # the agent keeps the one it has
    assert (await actions(world, live.session_id))[-2:] == ["agent_lost", "agent_reconnected"]


async def test_a_wrong_resume_secret_finds_no_session(world: World) -> None:
    await joined(world)
    with pytest.raises(ResumeRefused) as refused:
        await world.rendezvous.find_resumable("not-the-secret")
    assert refused.value.close_reason == CloseReason.SESSION_NOT_FOUND


async def test_an_agent_that_closes_on_purpose_ends_the_session(world: World) -> None:
    live, agent = await joined(world)
    secret = agent.last("welcome")["resume"]
    await world.rendezvous.detach_agent(live, agent, may_return=False)
    row = await row_of(world, live.session_id)
    assert (row.state, row.end_reason) == ("ended", "peer_lost")
    with pytest.raises(ResumeRefused) as refused:
        await world.rendezvous.find_resumable(secret)
    assert refused.value.close_reason == CloseReason.PEER_LOST
