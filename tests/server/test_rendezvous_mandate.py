"""The mandate in the rendezvous: bound from the database, signed and stored, timed by the
sweeper with an injected clock, taken back after a restart. Fake sockets, SQLite in memory."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import PersonRole, Tool
from coupdemain.protocol.errors import CloseReason, NotAllowed
from coupdemain.protocol.mandate import Terms, digest
from coupdemain.server.audit import AuditLog
from coupdemain.server.mandates import bind_mandate
from coupdemain.server.ratelimit import FailureLimiter
from coupdemain.server.relay import Relay
from coupdemain.server.rendezvous import LiveSession, Rendezvous
from coupdemain.server.store.models import Mandate, MandateSignature, User, utcnow
from tests.server.test_rendezvous import (
    ADDRESS,
    PERSON,
    FakeSocket,
    World,
    actions,
    from_agent,
    from_viewer,
    row_of,
    technician,
)
from tests.support.store import add_people, memory_database

TERMS = Terms(purpose="Install the printer", tools=frozenset({Tool.VIEW}), minutes=20,
              role=PersonRole.WATCH)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def rendezvous_on(world_db: object, clock: Clock) -> Rendezvous:
    db = world_db  # an async_sessionmaker
    return Rendezvous(
        db, AuditLog(db), Relay(1000), secret=b"k" * 32,  # type: ignore[arg-type]
        code_ttl=timedelta(minutes=10), code_limiter=FailureLimiter(5, 600),
        viewer_grace_seconds=60, clock=clock,
    )


@pytest.fixture
async def world(clock: Clock) -> AsyncIterator[World]:
    async with memory_database() as db:
        people = await add_people(db)
        yield World(db, people, rendezvous_on(db, clock))


async def add_mandate(world: World, terms: Terms = TERMS, *, author: User | None = None,
                      standing_until: date | None = None) -> int:
    author = author or world.people.alice
    async with world.db.begin() as s:
        row = Mandate(organisation_id=author.organisation_id, technician_id=author.id,
                      terms=terms.to_json(), standing_until=standing_until, created_at=utcnow())
        s.add(row)
    return row.id


async def bound(world: World, mandate_id: int, language: str = "en",
                ) -> tuple[LiveSession, FakeSocket, FakeSocket]:
    """A session bound by the mandate, its viewer open, the person's agent arrived."""
    issued = await world.rendezvous.issue_code(world.people.alice)
    await bind_mandate(world.db, issued.session_id, mandate_id)
    live = await world.rendezvous.redeem_code(issued.code.formatted(), ADDRESS, PERSON)
    viewer, agent = FakeSocket(), FakeSocket()
    await world.rendezvous.attach_viewer(live, viewer, technician(world.people.alice))
    await world.rendezvous.attach_agent(live, agent, PERSON, language=language)
    return live, agent, viewer


def png() -> str:
    out = io.BytesIO()
    Image.new("1", (60, 20), 1).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def agent_says(world: World, live: LiveSession, **message: object) -> None:
    parsed = from_agent(json.dumps(message))
    await world.rendezvous.act(live, lambda s: s.receive_from_agent(parsed))


async def viewer_says(world: World, live: LiveSession, viewer: FakeSocket,
                      **message: object) -> None:
    await world.rendezvous.from_viewer(live, viewer, from_viewer(json.dumps(message)))


async def signatures(world: World) -> list[MandateSignature]:
    async with world.db() as s:
        return list(await s.scalars(select(MandateSignature).order_by(MandateSignature.id)))


async def signed(world: World, mandate_id: int) -> tuple[LiveSession, FakeSocket, FakeSocket]:
    live, agent, viewer = await bound(world, mandate_id)
    await agent_says(world, live, type="mandate_sign", sha256=agent.last("mandate_offer")["sha256"],
                     name="Marie Curie", drawing=png())
    await agent_says(world, live, type="consent", decision="allow_view")
    return live, agent, viewer


async def test_the_mandate_is_offered_in_the_persons_language(world: World, clock: Clock) -> None:
    live, agent, viewer = await bound(world, await add_mandate(world), language="fr-FR")
    assert agent.types()[:2] == ["welcome", "mandate_offer"]
    assert agent.last("welcome")["mandate"] is True
    offer = agent.last("mandate_offer")
    assert offer["text"].startswith("Mandat d'intervention à distance\n")
    assert "Intervenant : Alice Martin" in offer["text"]
    assert offer["sha256"] == digest(offer["text"])
    assert viewer.last("mandate_state") == {
        "type": "mandate_state", "sha256": offer["sha256"], "tools": ["view"], "ends_at": 0.0,
        "signed_by": "", "warning": False, "extension_refused": False, "now": clock.now}
    with pytest.raises(NotAllowed):
        await agent_says(world, live, type="consent", decision="allow_view")
    assert (await row_of(world, live.session_id)).state == "waiting_for_consent"


async def test_a_signature_is_stored_with_the_exact_text_and_its_hash(
    world: World, clock: Clock,
) -> None:
    live, agent, viewer = await signed(world, await add_mandate(world))
    offer = agent.last("mandate_offer")
    [stored] = await signatures(world)
    assert (stored.kind, stored.text, stored.sha256, stored.signer_name, stored.language,
            stored.session_id) == (
        "mandate", offer["text"], digest(offer["text"]), "Marie Curie", "en", live.session_id)
    assert stored.drawing_png == base64.b64decode(png())
    ends_at = clock.now + 20 * 60
    assert agent.last("mandate_state") == viewer.last("mandate_state") == {
        "type": "mandate_state", "sha256": offer["sha256"], "tools": ["view"],
        "ends_at": ends_at, "signed_by": "Marie Curie", "warning": False,
        "extension_refused": False, "now": clock.now}
    row = await row_of(world, live.session_id)
    assert row.mandate_ends_at is not None
    assert row.mandate_ends_at.replace(tzinfo=UTC).timestamp() == ends_at
    assert row.state == "viewing"
    events = await AuditLog(world.db).events_of(live.session_id)
    [signing] = [e for e in events if e.action == "mandate_signed"]
    assert (signing.actor_name, signing.detail["sha256"], signing.detail["signer"]) == (
        "marie@pc-de-marie", offer["sha256"], "Marie Curie")


async def test_refusing_the_mandate_ends_the_session(world: World) -> None:
    live, agent, viewer = await bound(world, await add_mandate(world))
    await agent_says(world, live, type="mandate_refuse",
                     sha256=agent.last("mandate_offer")["sha256"])
    assert agent.closed_with == CloseReason.MANDATE_REFUSED
    row = await row_of(world, live.session_id)
    assert (row.state, row.ended_by, row.end_reason) == ("ended", "person", "mandate_refused")
    assert (await actions(world, live.session_id))[-2:] == ["mandate_refused", "session_ended"]
    assert await signatures(world) == []


async def test_a_tool_outside_the_mandate_is_refused_and_the_record_kept(world: World) -> None:
    live, agent, viewer = await signed(world, await add_mandate(world))
    with pytest.raises(NotAllowed):
        await viewer_says(world, live, viewer, type="request_control")
    assert "control_request" not in agent.types()
    assert (await actions(world, live.session_id))[-1] == "tool_refused"


async def test_the_sweeper_warns_then_ends_by_the_injected_clock(
    world: World, clock: Clock,
) -> None:
    live, agent, viewer = await signed(world, await add_mandate(world))
    clock.now += 14 * 60
    await world.rendezvous.sweep()
    assert agent.last("mandate_state")["warning"] is False
    clock.now += 60
    await world.rendezvous.sweep()
    assert agent.last("mandate_state")["warning"] is True
    assert viewer.last("mandate_state")["warning"] is True
    clock.now += 5 * 60
    await world.rendezvous.sweep()
    assert agent.closed_with == CloseReason.MANDATE_EXPIRED
    row = await row_of(world, live.session_id)
    assert (row.state, row.ended_by, row.end_reason) == ("ended", "server", "mandate_expired")
    assert (await actions(world, live.session_id))[-3:] == [
        "mandate_warning", "mandate_expired", "session_ended"]


async def test_a_short_mandate_minute_shortens_everything(world: World, clock: Clock) -> None:
    world.rendezvous._mandate_minute = 0.5  # a setting: --mandate-minute-seconds
    live, agent, _ = await signed(world, await add_mandate(world))
    assert agent.last("mandate_state")["ends_at"] == clock.now + 10  # 20 minutes of 0.5 s
    clock.now += 10
    await world.rendezvous.sweep()
    assert agent.closed_with == CloseReason.MANDATE_EXPIRED


async def test_an_extension_is_signed_then_another_refused(world: World, clock: Clock) -> None:
    live, agent, viewer = await signed(world, await add_mandate(world))
    await viewer_says(world, live, viewer, type="mandate_extend", minutes=10, tools=["control"])
    offer = agent.last("mandate_offer")
    assert (offer["kind"], offer["tools"], offer["minutes"], offer["ends_at"]) == (
        "extension", ["view", "control"], 10, clock.now + 30 * 60)
    assert "More time: 10 minutes more" in offer["text"]
    await agent_says(world, live, type="mandate_sign", sha256=offer["sha256"], name="Marie Curie")
    assert viewer.last("mandate_state")["tools"] == ["view", "control"]
    stored = await signatures(world)
    assert [(s.kind, s.text, s.drawing_png) for s in stored[1:]] == [
        ("extension", offer["text"], None)]
    row = await row_of(world, live.session_id)
    assert row.mandate_ends_at is not None
    assert row.mandate_ends_at.replace(tzinfo=UTC).timestamp() == clock.now + 30 * 60

    await viewer_says(world, live, viewer, type="mandate_extend", minutes=0,
                      tools=["diagnostics"])
    await agent_says(world, live, type="mandate_refuse",
                     sha256=agent.last("mandate_offer")["sha256"])
    refused = viewer.last("mandate_state")
    assert (refused["tools"], refused["extension_refused"]) == (["view", "control"], True)
    assert len(await signatures(world)) == 2
    assert [a for a in await actions(world, live.session_id) if a.startswith("mandate_ext")] == [
        "mandate_extension_offered", "mandate_extended", "mandate_extension_offered",
        "mandate_extension_refused"]
    await viewer_says(world, live, viewer, type="request_control")
    assert agent.last("control_request")["technician_name"] == "Alice Martin"


async def test_a_standing_mandate_signed_before_is_not_offered_again(
    world: World, clock: Clock,
) -> None:
    standing = Terms(purpose="Monthly help", tools=frozenset({Tool.VIEW}), minutes=30,
                     role=PersonRole.WATCH, standing_until=date(2027, 6, 30))
    mandate_id = await add_mandate(world, standing, standing_until=date(2099, 1, 1))
    first, agent, _ = await signed(world, mandate_id)
    await agent_says(world, first, type="end")
    live, agent, viewer = await bound(world, mandate_id)
    assert "mandate_offer" not in agent.types()
    state = agent.last("mandate_state")
    assert (state["signed_by"], state["ends_at"]) == ("Marie Curie", clock.now + 30 * 60)
    assert state["sha256"] == (await signatures(world))[0].sha256
    await agent_says(world, live, type="consent", decision="allow_view")
    assert (await row_of(world, live.session_id)).state == "viewing"
    assert "mandate_standing" in await actions(world, live.session_id)


async def test_a_session_without_a_mandate_is_unchanged(world: World, clock: Clock) -> None:
    issued = await world.rendezvous.issue_code(world.people.alice)
    live = await world.rendezvous.redeem_code(issued.code.formatted(), ADDRESS, PERSON)
    agent = FakeSocket()
    await world.rendezvous.attach_agent(live, agent, PERSON)
    assert agent.last("welcome")["mandate"] is False
    assert "mandate_offer" not in agent.types()
    await agent_says(world, live, type="consent", decision="allow_view")
    clock.now += 10**6
    await world.rendezvous.sweep()
    assert (await row_of(world, live.session_id)).state == "viewing"


async def test_after_a_restart_the_mandate_still_binds_and_ends_on_time(
    world: World, clock: Clock,
) -> None:
    live, agent, viewer = await signed(world, await add_mandate(world))
    await viewer_says(world, live, viewer, type="mandate_extend", minutes=5,
                      tools=["diagnostics"])
    await agent_says(world, live, type="mandate_sign",
                     sha256=agent.last("mandate_offer")["sha256"], name="Marie Curie")
    ends_at = agent.last("mandate_state")["ends_at"]
    # The server stops without ending anything; another takes the database back.
    again = rendezvous_on(world.db, clock)
    await again.recover()
    back = again.live(live.session_id)
    assert back is not None and back.machine.mandate is not None
    assert (back.machine.mandate.signed_by, back.machine.mandate.ends_at,
            back.machine.mandate.tools) == (
        "Marie Curie", ends_at, frozenset({Tool.VIEW, Tool.DIAGNOSTICS}))
    resumed = FakeSocket()
    await again.resume_agent(back, resumed)
    assert resumed.last("mandate_state")["signed_by"] == "Marie Curie"
    assert "mandate_offer" not in resumed.types()
    clock.now = ends_at
    await again.sweep()
    assert resumed.closed_with == CloseReason.MANDATE_EXPIRED


async def test_after_a_restart_an_unsigned_mandate_is_offered_again(world: World) -> None:
    live, agent, _ = await bound(world, await add_mandate(world), language="fr")
    offer = agent.last("mandate_offer")
    again = rendezvous_on(world.db, Clock())
    await again.recover()
    back = again.live(live.session_id)
    assert back is not None
    resumed = FakeSocket()
    await again.resume_agent(back, resumed)
    assert resumed.last("mandate_offer")["text"] == offer["text"]  # in French again
    with pytest.raises(NotAllowed):
        await again.act(back, lambda s: s.receive_from_agent(m.Consent("allow_view")))  # type: ignore[arg-type]
