"""Help requests and group rules on a database in memory, with a stand-in for the device's link."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from coupdemain.protocol import device as d
from coupdemain.server.audit import AuditLog
from coupdemain.server.devices import DeviceError, DeviceRegistry
from coupdemain.server.groups import GroupRules, NotFound, may_reach
from coupdemain.server.help_requests import HelpDesk
from tests.support.store import People, add_people, memory_database

KEY = base64.b64encode(bytes(range(32))).decode()
REQUEST = "ab" * 16


@dataclass
class FakeLink:
    device_id: str
    sent: list[d.DeviceMessage] = field(default_factory=list)

    async def send(self, message: d.DeviceMessage) -> None:
        self.sent.append(message)


@dataclass
class FakeHub:
    """What the help desk asks of the devices' hub: who is online, and starting control."""

    links: dict[str, FakeLink] = field(default_factory=dict)
    started: list[tuple[str, str, str | None]] = field(default_factory=list)

    def online(self, device_id: str) -> bool:
        return device_id in self.links

    def link(self, device_id: str) -> FakeLink | None:
        return self.links.get(device_id)

    async def start_remote_control(self, technician: Any, device_id: str, *,
                                   help_request: str | None = None) -> str:
        await asyncio.sleep(0)  # another take may run meanwhile
        self.started.append((technician.username, device_id, help_request))
        return f"session-{len(self.started)}"


@dataclass
class World:
    desk: HelpDesk
    hub: FakeHub
    rules: GroupRules
    registry: DeviceRegistry
    people: People
    device_id: str
    link: FakeLink


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with memory_database() as db:
        people = await add_people(db)
        audit = AuditLog(db)
        registry = DeviceRegistry(db, audit, secret=b"k" * 32, licences=0)
        _, token = await registry.create_token(people.root, group="Office")
        device = await registry.enrol(token, public_key=KEY, name="pc-12", os="Linux",
                                      user="marie", hardware={}, address="127.0.0.1")
        hub = FakeHub()
        link = FakeLink(device.id)
        hub.links[device.id] = link
        desk = HelpDesk(db, audit, hub)  # type: ignore[arg-type]
        yield World(desk, hub, GroupRules(db, audit), registry, people, device.id, link)


async def test_two_technicians_take_at_once_one_wins_the_other_is_told(world: World) -> None:
    await world.desk.receive(world.link, d.HelpRequest(REQUEST, "  the printer  "))  # type: ignore[arg-type]
    assert world.link.sent == [d.HelpUpdate(REQUEST, "open", "", "Entraide Numérique")]
    [queued] = await world.desk.open_for(world.people.bob)
    assert (queued.words, queued.user) == ("the printer", "marie")

    results = await asyncio.gather(
        world.desk.take(world.people.alice, REQUEST), world.desk.take(world.people.bob, REQUEST),
        return_exceptions=True)
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if isinstance(r, DeviceError)]
    assert len(won) == 1 and len(lost) == 1
    winner = world.hub.started[0][0]
    name = {"alice": "Alice Martin", "bob": "Bob Durand"}[winner]
    assert (str(lost[0]), lost[0].status) == (f"{name} took this request already.", 409)
    assert world.hub.started == [(winner, world.device_id, REQUEST)]
    assert world.link.sent[-1] == d.HelpUpdate(REQUEST, "taken", name, "Entraide Numérique")
    assert await world.desk.open_for(world.people.alice) == []


async def test_a_cancelled_or_lost_request_cannot_be_taken(world: World) -> None:
    await world.desk.receive(world.link, d.HelpRequest(REQUEST))  # type: ignore[arg-type]
    await world.desk.receive(world.link, d.HelpCancel(REQUEST))  # type: ignore[arg-type]
    assert world.link.sent[-1].state == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(DeviceError) as refused:
        await world.desk.take(world.people.alice, REQUEST)
    assert str(refused.value) == "The person cancelled this request."

    second = "cd" * 16
    await world.desk.receive(world.link, d.HelpRequest(second))  # type: ignore[arg-type]
    await world.desk.device_left(world.device_id)
    with pytest.raises(DeviceError) as refused:
        await world.desk.take(world.people.alice, second)
    assert str(refused.value) == "This request ended: the device went offline."
    assert world.hub.started == []


async def test_a_group_restricted_to_bob_hides_its_devices_from_alice(world: World) -> None:
    root, alice, bob = world.people.root, world.people.alice, world.people.bob
    group_id = await world.rules.create_group(root, "Finance", "no_prompt", 60)
    await world.rules.set_group(root, group_id, policy="no_prompt", prompt_seconds=60,
                                all_technicians=False, technician_ids=[bob.id])
    await world.rules.set_device(root, world.device_id, group_id=group_id, policy="ask",
                                 prompt_seconds=20)
    device = await world.registry.get(world.device_id)
    assert device is not None
    assert (device.effective_policy, device.effective_prompt_timeout) == ("ask", 20)
    db = world.registry._db
    assert [await may_reach(db, u, device) for u in (alice, bob, root, world.people.other)] == [
        False, True, True, False]
    await world.desk.receive(world.link, d.HelpRequest(REQUEST, "help"))  # type: ignore[arg-type]
    assert await world.desk.open_for(alice) == []
    assert len(await world.desk.open_for(bob)) == 1
    with pytest.raises(NotFound) as refused:
        await world.desk.take(alice, REQUEST)
    assert (str(refused.value), refused.value.status) == ("There is no such help request.", 404)
    with pytest.raises(NotFound):
        await world.rules.device_for(alice, world.device_id)


async def test_only_admins_change_groups_and_values_are_checked(world: World) -> None:
    with pytest.raises(DeviceError) as refused:
        await world.rules.create_group(world.people.alice, "Mine", "ask", 60)
    assert (str(refused.value), refused.value.status) == ("Only an admin may do this.", 403)
    with pytest.raises(DeviceError) as refused:
        await world.rules.create_group(world.people.root, "Office", "ask", 60)
    assert str(refused.value) == "There is already a group named 'Office'."
    with pytest.raises(DeviceError) as refused:
        await world.rules.create_group(world.people.root, "New", "ask", 0)
    assert str(refused.value) == "The prompt's time 0 s must be between 1 and 3600."
    group_id = await world.rules.create_group(world.people.root, "New", "ask", 60)
    with pytest.raises(DeviceError) as refused:
        await world.rules.set_group(world.people.root, group_id, policy="ask", prompt_seconds=5,
                                    all_technicians=False,
                                    technician_ids=[world.people.other.id])
    assert str(refused.value) == "Only technicians of this organisation may be chosen."
    with pytest.raises(NotFound):
        await world.rules.set_group(world.people.other, group_id, policy="ask",
                                    prompt_seconds=5, all_technicians=True, technician_ids=[])


async def test_a_request_id_that_is_not_32_hex_characters_is_ignored(world: World) -> None:
    await world.desk.receive(world.link, d.HelpRequest("../../etc", "x"))  # type: ignore[arg-type]
    assert world.link.sent == []
    assert await world.desk.open_for(world.people.root) == []


async def test_an_admin_tags_a_device_tidied_and_bounded(world: World) -> None:
    [group] = [g for g in await world.rules.groups(world.people.root) if g.name == "Office"]
    await world.rules.set_device(world.people.root, world.device_id, group_id=group.id,
                                 policy=None, prompt_seconds=None,
                                 tags=[" Salle  du  fond ", "hall", "hall", ""])
    device = await world.registry.get(world.device_id)
    assert device is not None and device.tags == ["Salle du fond", "hall"]
    with pytest.raises(DeviceError) as refused:
        await world.rules.set_device(world.people.root, world.device_id, group_id=group.id,
                                     policy=None, prompt_seconds=None,
                                     tags=[f"t{i}" for i in range(21)])
    assert str(refused.value) == "A device has at most 20 tags."
    # Without tags given, they stay as they were.
    await world.rules.set_device(world.people.root, world.device_id, group_id=group.id,
                                 policy="ask", prompt_seconds=30)
    device = await world.registry.get(world.device_id)
    assert device is not None and device.tags == ["Salle du fond", "hall"]
