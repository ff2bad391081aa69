"""The mandate on the real server, over sockets, with hand-written messages.

The mandate is written into the server's database through the store, as the
console does (``server.mandates.bind_mandate``), before the person types the code.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import websockets
from PIL import Image
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection

from coupdemain.protocol.enums import PersonRole, Tool
from coupdemain.protocol.errors import CloseReason
from coupdemain.protocol.mandate import Terms, digest
from coupdemain.server.mandates import bind_mandate
from coupdemain.server.store.database import create_engine, session_factory
from coupdemain.server.store.models import (
    Mandate,
    MandateSignature,
    SupportSession,
    User,
    utcnow,
)
from tests.server.test_restart import kill_and_restart
from tests.support.server import ServerProcess, issue_code, serving, signed_in_client

TERMS = Terms(purpose="Installer l'imprimante", tools=frozenset({Tool.VIEW}), minutes=30,
              role=PersonRole.FOLLOW_ALONG)
VIEWER_HELLO = json.dumps({"type": "hello", "protocol": 1, "role": "viewer"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("mandate") / "server") as process:
        yield process


def agent_hello(code: str) -> str:
    return json.dumps({"type": "hello", "protocol": 1, "role": "agent", "code": code,
                       "hostname": "pc-de-marie", "user": "marie", "language": "fr_FR.UTF-8"})


async def receive(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of type ``kind``, skipping others."""
    for _ in range(50):
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind}")


async def close_code_of(ws: ClientConnection) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(50):
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@asynccontextmanager
async def store(server: ServerProcess) -> AsyncIterator[Any]:
    engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'coupdemain.sqlite3'}")
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def bound_code(server: ServerProcess, terms: Terms = TERMS) -> tuple[dict[str, str], str]:
    """A code whose session the mandate binds; and the technician's cookie."""
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        cookie = f"cdm_session={client.cookies['cdm_session']}"
    async with store(server) as db:
        async with db.begin() as s:
            alice = await s.scalar(select(User).where(User.username == "alice"))
            mandate = Mandate(organisation_id=alice.organisation_id, technician_id=alice.id,
                              terms=terms.to_json(), created_at=utcnow())
            s.add(mandate)
        await bind_mandate(db, issued["session_id"], mandate.id)
    return issued, cookie


def viewer_of(server: ServerProcess, session_id: str, cookie: str) -> Any:
    return websockets.connect(f"{server.ws_url}/ws/viewer/{session_id}",
                              additional_headers={"Cookie": cookie, "Origin": server.url})


def drawing() -> str:
    out = io.BytesIO()
    Image.new("1", (120, 40), 1).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_consent_before_signing_is_refused(server: ServerProcess) -> None:
    issued, _ = await bound_code(server)
    async with websockets.connect(server.ws_url + "/ws/agent") as agent:
        await agent.send(agent_hello(issued["code"]))
        assert (await receive(agent, "welcome"))["mandate"] is True
        offer = await receive(agent, "mandate_offer")
        assert offer["text"].startswith("Mandat d'intervention à distance\n")
        await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
        assert await close_code_of(agent) == CloseReason.NOT_ALLOWED


async def test_refusing_the_mandate_ends_the_session(server: ServerProcess) -> None:
    issued, cookie = await bound_code(server)
    async with websockets.connect(server.ws_url + "/ws/agent") as agent, \
            viewer_of(server, issued["session_id"], cookie) as viewer:
        await viewer.send(VIEWER_HELLO)
        await receive(viewer, "state")
        await agent.send(agent_hello(issued["code"]))
        offer = await receive(agent, "mandate_offer")
        await agent.send(json.dumps({"type": "mandate_refuse", "sha256": offer["sha256"]}))
        assert await close_code_of(agent) == CloseReason.MANDATE_REFUSED
        ended = await receive(viewer, "ended")
        assert (ended["by"], ended["reason"]) == ("person", CloseReason.MANDATE_REFUSED)


async def test_signed_both_sides_know_and_a_tool_outside_is_refused(
    server: ServerProcess,
) -> None:
    issued, cookie = await bound_code(server)
    sid = issued["session_id"]
    async with websockets.connect(server.ws_url + "/ws/agent") as agent:
        async with viewer_of(server, sid, cookie) as viewer:
            await viewer.send(VIEWER_HELLO)
            await agent.send(agent_hello(issued["code"]))
            offer = await receive(agent, "mandate_offer")
            waiting = await receive(viewer, "mandate_state")
            assert (waiting["signed_by"], waiting["sha256"]) == ("", offer["sha256"])
            await agent.send(json.dumps({"type": "mandate_sign", "sha256": offer["sha256"],
                                         "name": "Marie Curie", "drawing": drawing()}))
            for side in (agent, viewer):
                state = await receive(side, "mandate_state")
                assert (state["signed_by"], state["tools"], state["sha256"]) == (
                    "Marie Curie", ["view"], offer["sha256"])
            await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
            while (await receive(viewer, "state"))["state"] != "viewing":
                pass
            # Control is outside the mandate: a viewer that asks anyway is refused.
            await viewer.send(json.dumps({"type": "request_control"}))
            assert await close_code_of(viewer) == CloseReason.NOT_ALLOWED
        async with store(server) as db, db() as s:
            [signature] = list(await s.scalars(
                select(MandateSignature).where(MandateSignature.session_id == sid)))
        assert (signature.text, signature.sha256, signature.signer_name) == (
            offer["text"], digest(offer["text"]), "Marie Curie")
        assert signature.drawing_png == base64.b64decode(drawing())

        # The viewer comes back: it is told the mandate, then asks to extend it.
        async with viewer_of(server, sid, cookie) as viewer:
            await viewer.send(VIEWER_HELLO)
            assert (await receive(viewer, "mandate_state"))["signed_by"] == "Marie Curie"
            await viewer.send(json.dumps({"type": "mandate_extend", "minutes": 10,
                                          "tools": ["control"]}))
            extension = await receive(agent, "mandate_offer")
            assert extension["kind"] == "extension"
            assert "Plus de temps : 10 minutes de plus" in extension["text"]
            await agent.send(json.dumps({"type": "mandate_sign", "sha256": extension["sha256"],
                                         "name": "Marie Curie"}))
            extended = await receive(viewer, "mandate_state")
            assert extended["tools"] == ["view", "control"]
            await viewer.send(json.dumps({"type": "request_control"}))
            assert (await receive(agent, "control_request"))["technician_name"] == "Alice Martin"

            await viewer.send(json.dumps({"type": "mandate_extend", "tools": ["diagnostics"]}))
            extension = await receive(agent, "mandate_offer")
            await agent.send(json.dumps({"type": "mandate_refuse",
                                         "sha256": extension["sha256"]}))
            refused = await receive(viewer, "mandate_state")
            assert (refused["extension_refused"], refused["tools"]) == (
                True, ["view", "control"])
            # An unknown tool: refused with a sentence; the session goes on.
            await viewer.send(json.dumps({"type": "mandate_extend", "tools": ["webcam"]}))
            assert await close_code_of(viewer) == CloseReason.NOT_ALLOWED
        await agent.send(json.dumps({"type": "chat", "text": "still here"}))
        assert (await receive(agent, "chat_message"))["text"] == "still here"
    assert "an extension adds tools among" in server.log()


async def test_the_warning_and_the_end_with_a_short_minute(tmp_path: Path) -> None:
    # A mandate minute lasts a second: two minutes end two seconds after the signature,
    # and the warning (five minutes before) comes at once.
    with serving(tmp_path / "server", {"COUPDEMAIN_MANDATE_MINUTE_SECONDS": "1"}) as quick:
        issued, cookie = await bound_code(quick, Terms(
            purpose="Vérifier la messagerie", tools=frozenset({Tool.VIEW}), minutes=2,
            role=PersonRole.WATCH))
        async with websockets.connect(quick.ws_url + "/ws/agent") as agent, \
                viewer_of(quick, issued["session_id"], cookie) as viewer:
            await viewer.send(VIEWER_HELLO)
            await agent.send(agent_hello(issued["code"]))
            offer = await receive(agent, "mandate_offer")
            await agent.send(json.dumps({"type": "mandate_sign", "sha256": offer["sha256"],
                                         "name": "Marie Curie"}))
            signed = await receive(agent, "mandate_state")
            assert signed["warning"] is False
            await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
            warned = await receive(agent, "mandate_state")
            assert (warned["warning"], warned["ends_at"]) == (True, signed["ends_at"])
            states = [await receive(viewer, "mandate_state") for _ in range(3)]
            assert [(state["signed_by"], state["warning"]) for state in states] == [
                ("", False), ("Marie Curie", False), ("Marie Curie", True)]
            assert await close_code_of(agent) == CloseReason.MANDATE_EXPIRED
            ended = await receive(viewer, "ended")
            assert (ended["by"], ended["reason"]) == ("server", CloseReason.MANDATE_EXPIRED)


async def test_a_killed_server_keeps_the_mandates_end(tmp_path: Path) -> None:
    # Five one-second minutes: the server is killed after the signature and started
    # again; the session ends as the mandate said, whether the agent is back by then or not.
    with serving(tmp_path / "server", {"COUPDEMAIN_MANDATE_MINUTE_SECONDS": "1",
                                       "COUPDEMAIN_AGENT_GRACE_SECONDS": "60"}) as quick:
        issued, _ = await bound_code(quick, Terms(
            purpose="Vérifier la messagerie", tools=frozenset({Tool.VIEW}), minutes=5,
            role=PersonRole.WATCH))
        agent = await websockets.connect(quick.ws_url + "/ws/agent")
        await agent.send(agent_hello(issued["code"]))
        secret = (await receive(agent, "welcome"))["resume"]
        offer = await receive(agent, "mandate_offer")
        await agent.send(json.dumps({"type": "mandate_sign", "sha256": offer["sha256"],
                                     "name": "Marie Curie"}))
        ends_at = (await receive(agent, "mandate_state"))["ends_at"]
        await asyncio.to_thread(kill_and_restart, quick)
        with pytest.raises(websockets.ConnectionClosedError):
            await asyncio.wait_for(agent.recv(), 10)
        async with websockets.connect(quick.ws_url + "/ws/agent") as back:
            await back.send(json.dumps({"type": "hello", "protocol": 1, "role": "agent",
                                        "resume": secret}))
            try:
                await receive(back, "welcome")
                state = await receive(back, "mandate_state")
                assert (state["signed_by"], state["ends_at"]) == ("Marie Curie", ends_at)
            except websockets.ConnectionClosed:
                pass  # the restart took longer than the mandate: refused as expired below
            assert await close_code_of(back) == CloseReason.MANDATE_EXPIRED
        async with store(quick) as db, db() as s:
            row = await s.get(SupportSession, issued["session_id"])
        assert row is not None and (row.ended_by, row.end_reason) == ("server", "mandate_expired")
