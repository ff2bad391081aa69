"""The two WebSocket endpoints against bad input: each refusal has its close code."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets

from coupdemain.protocol.errors import CloseReason
from tests.support.server import ServerProcess, issue_code, signed_in_client


async def agent_close_code(server: ServerProcess, first: str | bytes) -> int:
    async with websockets.connect(server.ws_url + "/ws/agent", max_size=None) as ws:
        await ws.send(first)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            for _ in range(10):
                await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def hello(code: str, **extra: object) -> str:
    return json.dumps({"type": "hello", "protocol": 1, "role": "agent", "code": code, **extra})


async def test_wrong_code(server: ServerProcess) -> None:
    assert await agent_close_code(server, hello("000000000")) == CloseReason.CODE_INVALID


async def test_too_many_wrong_codes_are_refused_for_a_while(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
    codes = [await agent_close_code(server, hello(f"00000000{i}")) for i in range(5)]
    assert codes == [CloseReason.CODE_INVALID] * 5
    # Even the right code is refused now: the address is blocked, not the code.
    assert await agent_close_code(server, hello(issued["code"])) == CloseReason.RATE_LIMITED


async def test_used_code(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
    async with websockets.connect(server.ws_url + "/ws/agent") as first:
        await first.send(hello(issued["code"], hostname="pc"))
        welcome = json.loads(await first.recv())
        assert welcome["type"] == "welcome"
        assert welcome["technician_name"] == "Alice Martin"
        assert welcome["organisation"] == "Entraide Numérique"
        assert await agent_close_code(server, hello(issued["code"])) == CloseReason.CODE_USED


async def test_expired_code(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "s", extra_env={"COUPDEMAIN_CODE_TTL_SECONDS": "1"})
    server.create_user("alice", "Alice Martin", "Entraide")
    server.start()
    try:
        with signed_in_client(server, "alice") as client:
            issued = issue_code(client)
            await asyncio.sleep(1.5)
            assert await agent_close_code(server, hello(issued["code"])) == CloseReason.CODE_EXPIRED
            # The technician's page learns it too, in the history.
            for _ in range(50):
                events = client.get(f"/api/sessions/{issued['session_id']}/events").json()
                if events[-1]["action"] == "session_ended":
                    break
                await asyncio.sleep(0.1)
        assert events[-1]["detail"] == {"reason": "code_expired"}
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ("{not json", CloseReason.MALFORMED_MESSAGE),
        ('{"type": "teleport"}', CloseReason.UNKNOWN_MESSAGE),
        ('{"type": "hello", "protocol": 99, "role": "agent", "code": "1"}',
         CloseReason.UNSUPPORTED_VERSION),
        ('{"type": "consent", "decision": "allow_view"}', CloseReason.NOT_ALLOWED),
        (b"\x01\x00", CloseReason.NOT_ALLOWED),
    ],
)
async def test_malformed_first_messages(
    server: ServerProcess, first: str | bytes, reason: CloseReason
) -> None:
    assert await agent_close_code(server, first) == reason


async def test_oversized_control_message(server: ServerProcess) -> None:
    huge = hello("1" * 70_000)
    assert await agent_close_code(server, huge) == CloseReason.MESSAGE_TOO_LARGE


async def test_out_of_turn_message_closes_the_agent_and_ends_the_session(
    server: ServerProcess,
) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        async with websockets.connect(server.ws_url + "/ws/agent") as ws:
            await ws.send(hello(issued["code"]))
            await ws.recv()
            await ws.send(json.dumps({"type": "control_decision", "decision": "allow_control"}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                for _ in range(10):
                    await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseReason.NOT_ALLOWED
        # The close can reach us before the server has written the session's end.
        for _ in range(100):
            events = client.get(f"/api/sessions/{issued['session_id']}/events").json()
            if events[-1]["action"] == "session_ended":
                break
            await asyncio.sleep(0.05)
    assert events[-1]["action"] == "session_ended"
    assert events[-1]["detail"] == {"reason": "peer_lost"}


async def viewer_close_code(server: ServerProcess, session_id: str, headers: dict[str, str]) -> int:
    async with websockets.connect(
        f"{server.ws_url}/ws/viewer/{session_id}", additional_headers=headers
    ) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            # The server may close before the hello is even sent.
            await ws.send(json.dumps({"type": "hello", "protocol": 1, "role": "viewer"}))
            for _ in range(10):
                await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_viewer_needs_a_signed_in_same_origin_browser(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        cookie = f"cdm_session={client.cookies['cdm_session']}"
    sid = issued["session_id"]
    assert await viewer_close_code(server, sid, {}) == CloseReason.UNAUTHORIZED
    hijack = {"Cookie": cookie, "Origin": "http://evil.example"}
    assert await viewer_close_code(server, sid, hijack) == CloseReason.UNAUTHORIZED
    assert await viewer_close_code(server, "nope", {"Cookie": cookie}) == (
        CloseReason.SESSION_NOT_FOUND
    )


def test_audit_log_detects_tampering(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issue_code(client)
    verify = [sys.executable, "-m", "coupdemain", "admin", "verify-audit"]
    intact = subprocess.run(verify, env=server.env(), capture_output=True, text=True)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "The audit log is intact." in intact.stdout
    db = sqlite3.connect(server.data_dir / "coupdemain.sqlite3")
    with db:
        db.execute(
            "UPDATE audit_events SET actor_name = 'someone else' WHERE action = 'code_issued'"
        )
    db.close()
    time.sleep(0.1)
    broken = subprocess.run(verify, env=server.env(), capture_output=True, text=True)
    assert broken.returncode == 1
    assert "was changed after it was written" in broken.stdout
    assert "The audit log was tampered with." in broken.stdout


async def test_frame_acks_reach_the_agent_only_while_the_person_shares(
    server: ServerProcess,
) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        cookie = f"cdm_session={client.cookies['cdm_session']}"
    viewer_url = f"{server.ws_url}/ws/viewer/{issued['session_id']}"
    headers = {"Cookie": cookie, "Origin": server.url}
    viewer_hello = json.dumps({"type": "hello", "protocol": 1, "role": "viewer"})
    async with websockets.connect(server.ws_url + "/ws/agent") as agent:
        await agent.send(hello(issued["code"], hostname="pc"))
        assert json.loads(await agent.recv())["type"] == "welcome"
        async with websockets.connect(viewer_url, additional_headers=headers) as viewer:
            await viewer.send(viewer_hello)
            # The person has not answered yet: this ack goes nowhere. The
            # broken message after it closes the viewer, which proves the
            # server read the ack first.
            await viewer.send(json.dumps({"type": "frame_ack", "frame_id": 1}))
            await viewer.send("not json")
            with pytest.raises(websockets.ConnectionClosed):
                for _ in range(20):
                    await asyncio.wait_for(viewer.recv(), 10)
        await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
        async with websockets.connect(viewer_url, additional_headers=headers) as viewer:
            await viewer.send(viewer_hello)
            await viewer.send(json.dumps({"type": "frame_ack", "frame_id": 2, "extra": "x"}))
            for _ in range(20):
                message = json.loads(await asyncio.wait_for(agent.recv(), 10))
                if message["type"] == "frame_ack":
                    break
    # Re-written by the server: what reaches the agent is the ack alone.
    assert message == {"type": "frame_ack", "frame_id": 2}


async def test_messages_to_the_browser_are_deflated(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        cookie = f"cdm_session={client.cookies['cdm_session']}"
    # Small frames repeat their PNG headers: the shared deflate window
    # takes typing from about 1.6 to 0.37 kB/s (bench, typing workload).
    async with websockets.connect(
        f"{server.ws_url}/ws/viewer/{issued['session_id']}", compression="deflate",
        additional_headers={"Cookie": cookie, "Origin": server.url},
    ) as viewer:
        assert viewer.response is not None
        assert "permessage-deflate" in viewer.response.headers["Sec-WebSocket-Extensions"]


async def next_of(ws: websockets.ClientConnection, kind: str) -> dict[str, object]:
    """The next message of type ``kind``, skipping others."""
    for _ in range(50):
        message: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


async def test_an_admin_opening_a_controlled_session_takes_nothing_over(
    server: ServerProcess,
) -> None:
    server.create_user("rose", "Rose Admin", "Entraide Numérique", role="admin")
    viewer_hello = json.dumps({"type": "hello", "protocol": 1, "role": "viewer"})
    with signed_in_client(server, "alice") as alice, signed_in_client(server, "rose") as rose:
        issued = issue_code(alice)
        viewer_url = f"{server.ws_url}/ws/viewer/{issued['session_id']}"

        def headers(client: object) -> dict[str, str]:
            cookies = client.cookies  # type: ignore[attr-defined]
            return {"Cookie": f"cdm_session={cookies['cdm_session']}", "Origin": server.url}

        async with websockets.connect(server.ws_url + "/ws/agent") as agent, \
                websockets.connect(viewer_url, additional_headers=headers(alice)) as first:
            await first.send(viewer_hello)
            await agent.send(hello(issued["code"], hostname="pc"))
            await next_of(agent, "welcome")
            await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
            while (await next_of(first, "state"))["state"] != "viewing":
                pass
            await first.send(json.dumps({"type": "request_control"}))
            asked = await next_of(agent, "control_request")
            assert asked["technician_name"] == "Alice Martin"
            await agent.send(json.dumps({"type": "control_decision", "decision": "allow_control"}))
            while (await next_of(first, "state"))["state"] != "controlling":
                pass

            async with websockets.connect(viewer_url, additional_headers=headers(rose)) as second:
                await second.send(viewer_hello)
                # Alice is told who, then her connection closes.
                watching = await next_of(first, "watching")
                assert [t["name"] for t in watching["technicians"]] == ["Rose Admin"]  # type: ignore[attr-defined]
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await next_of(first, "never")
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == CloseReason.TAKEN_OVER
                # The person is told, and control is back with them.
                states = [await next_of(agent, "state") for _ in range(3)]
                assert [(s["state"], s["controller_id"]) for s in states] == [
                    ("control_requested", 1), ("controlling", 1), ("viewing", 0)]
                watching = await next_of(agent, "watching")
                assert [t["name"] for t in watching["technicians"]] == ["Rose Admin"]  # type: ignore[attr-defined]
                assert (await next_of(second, "state"))["state"] == "viewing"
                # Rose's keys go nowhere; her chat line is hers.
                await second.send(json.dumps({"type": "key", "code": "KeyA", "key": "a",
                                              "down": True}))
                await second.send(json.dumps({"type": "chat", "text": "Bonjour"}))
                for _ in range(50):
                    message = json.loads(await asyncio.wait_for(agent.recv(), 10))
                    assert message["type"] != "key"
                    if message["type"] == "chat_message":
                        break
                assert message["name"] == "Rose Admin"
        events = alice.get(f"/api/sessions/{issued['session_id']}/events").json()
    chats = [e for e in events if e["action"] == "chat_message"]
    assert [(e["actor"], e["actor_name"]) for e in chats] == [("technician", "Rose Admin")]
    alice_id = next(e for e in events if e["action"] == "control_requested")["detail"]
    assert chats[0]["detail"]["technician_id"] != alice_id["technician_id"]
    released = [e for e in events if e["action"] == "control_released"]
    assert released[0]["detail"] == {"why": "technician_changed"}
