"""Enrolment tokens, enrolment and licences, on a database in memory."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import update

from coupdemain.server.audit import AuditLog
from coupdemain.server.devices import DeviceError, DeviceRegistry, EnrolmentRefused
from coupdemain.server.store.models import EnrolmentToken, utcnow
from tests.support.store import People, add_people, memory_database

KEY = base64.b64encode(bytes(range(32))).decode()


@dataclass
class World:
    registry: DeviceRegistry
    people: People


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with memory_database() as db:
        people = await add_people(db)
        yield World(DeviceRegistry(db, AuditLog(db), secret=b"k" * 32, licences=2), people)


async def enrol(registry: DeviceRegistry, token: str, name: str = "pc") -> str:
    row = await registry.enrol(token, public_key=KEY, name=name, os="Linux", user="marie",
                               hardware={"cpus": 2}, address="127.0.0.1")
    return row.id


async def test_a_token_enrols_as_many_devices_as_it_has_uses(world: World) -> None:
    row, token = await world.registry.create_token(world.people.root, group="Kiosks", uses=2,
                                                   policy="no_prompt", prompt_seconds=5)
    preview = await world.registry.preview(token)
    assert (preview.organisation, preview.group, preview.policy) == (
        "Entraide Numérique", "Kiosks", "no_prompt")
    first = await world.registry.get(await enrol(world.registry, token))
    assert first is not None and first.group is not None and first.group.name == "Kiosks"
    assert first.effective_policy == "no_prompt" and first.effective_prompt_timeout == 5
    await enrol(world.registry, token)
    with pytest.raises(EnrolmentRefused) as refused:
        await enrol(world.registry, token)
    assert str(refused.value) == (
        "This enrolment token has been used as many times as it allows. "
        "Ask your administrator for a new one.")
    assert token not in row.digest and row.hint == token[-4:]


async def test_an_expired_token_is_refused(world: World) -> None:
    row, token = await world.registry.create_token(world.people.root, group="Default")
    async with world.registry._db.begin() as db:
        await db.execute(update(EnrolmentToken).where(EnrolmentToken.id == row.id)
                         .values(expires_at=utcnow() - timedelta(seconds=1)))
    for attempt in (world.registry.preview(token), enrol(world.registry, token)):
        with pytest.raises(EnrolmentRefused) as refused:
            await attempt
        assert str(refused.value) == (
            "This enrolment token has expired. Ask your administrator for a new one.")


async def test_an_unknown_token_is_refused(world: World) -> None:
    with pytest.raises(EnrolmentRefused) as refused:
        await world.registry.preview("cdm-nothing")
    assert str(refused.value) == (
        "This enrolment token is not valid. Check it, or ask your administrator for a new one.")


async def test_the_licences_limit_enrolment_and_revoking_frees_one(world: World) -> None:
    _, token = await world.registry.create_token(world.people.root, group="Default", uses=5)
    first = await enrol(world.registry, token, "one")
    await enrol(world.registry, token, "two")
    assert (await world.registry.licences()).used == 2
    with pytest.raises(EnrolmentRefused) as refused:
        await enrol(world.registry, token, "three")
    assert str(refused.value) == (
        "All device licences of this server are in use (2 of 2). Revoke a device that is no "
        "longer managed, or raise --device-licences.")
    assert await world.registry.revoke(world.people.root, first) is not None
    await enrol(world.registry, token, "three")


async def test_another_organisation_cannot_revoke(world: World) -> None:
    _, token = await world.registry.create_token(world.people.root, group="Default")
    device = await enrol(world.registry, token)
    assert await world.registry.revoke(world.people.other, device) is None


async def test_a_bad_public_key_is_refused(world: World) -> None:
    _, token = await world.registry.create_token(world.people.root, group="Default")
    with pytest.raises(DeviceError) as refused:
        await world.registry.enrol(token, public_key="AAAA", name="pc", os="", user="",
                                   hardware={}, address="127.0.0.1")
    assert str(refused.value) == "The device's public key must be 32 bytes in base64, not 3 bytes."
    assert (await world.registry.preview(token)).group == "Default"  # not used up


async def test_token_values_are_checked(world: World) -> None:
    with pytest.raises(DeviceError) as refused:
        await world.registry.create_token(world.people.root, group="G", uses=0)
    assert str(refused.value) == "Uses 0 must be between 1 and 100000."
