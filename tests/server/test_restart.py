"""The server killed with live sessions, then started again on the same data folder;
an agent whose connection drops, then comes back with its resume secret."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from coupdemain.protocol.errors import CloseReason
from tests.support.server import ServerProcess, issue_code, serving, signed_in_client

GRACE = "2"  # seconds the server waits for a lost agent, in these tests


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that gives a lost agent two seconds to come back."""
    with serving(tmp_path / "server", {
        "COUPDEMAIN_AGENT_GRACE_SECONDS": GRACE, "COUPDEMAIN_CODE_TTL_SECONDS": "3",
    }) as server:
        yield server


def kill_and_restart(server: ServerProcess, while_down: Callable[[], None] = lambda: None) -> None:
    """SIGKILL: nothing runs on the way out. Then the same command on the same folder and port."""
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    while_down()
    server.start()


def hello(**fields: object) -> str:
    return json.dumps({"type": "hello", "protocol": 1, "role": "agent", "hostname": "pc",
                       "user": "marie", **fields})


async def receive(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of type ``kind``, skipping others."""
    for _ in range(50):
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind}")


async def join_and_allow(server: ServerProcess, code: str) -> tuple[ClientConnection, str]:
    """An agent that used the code and whose person allowed viewing; and its resume secret."""
    ws = await websockets.connect(server.ws_url + "/ws/agent")
    await ws.send(hello(code=code))
    welcome = await receive(ws, "welcome")
    await ws.send(json.dumps({"type": "consent", "decision": "allow_view"}))
    assert (await receive(ws, "state"))["state"] == "waiting_for_consent"
    assert (await receive(ws, "state"))["state"] == "viewing"
    return ws, str(welcome["resume"])


def events(server: ServerProcess, session_id: str) -> list[dict[str, Any]]:
    with signed_in_client(server, "alice") as client:
        found: list[dict[str, Any]] = client.get(f"/api/sessions/{session_id}/events").json()
    return found


async def wait_for_events(
    server: ServerProcess, session_id: str, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The session's audit events once ``done`` holds of them (within 30 s)."""
    def poll() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        with signed_in_client(server, "alice") as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                found = client.get(f"/api/sessions/{session_id}/events").json()
                if done(found):
                    return found
                time.sleep(0.1)
        raise AssertionError(f"the events never got there: {actions(found)}")

    return await asyncio.to_thread(poll)


def actions(found: list[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in found]


def audit_is_intact(server: ServerProcess) -> bool:
    verify = subprocess.run([sys.executable, "-m", "coupdemain", "admin", "verify-audit"],
                            env=server.env(), capture_output=True, text=True)
    return verify.returncode == 0 and "The audit log is intact." in verify.stdout


async def close_code_of(ws: ClientConnection) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(50):
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_the_welcome_gives_a_secret_that_is_stored_hashed(quick: ServerProcess) -> None:
    with signed_in_client(quick, "alice") as client:
        issued = issue_code(client)
    ws, secret = await join_and_allow(quick, issued["code"])
    await ws.close()
    assert len(secret) >= 43  # 32 random bytes
    db = sqlite3.connect(quick.data_dir / "coupdemain.sqlite3")
    stored = db.execute("SELECT resume_digest FROM support_sessions").fetchone()[0]
    db.close()
    assert len(stored) == 64 and secret not in stored
    assert secret not in quick.log()


async def test_a_killed_server_takes_its_sessions_back_and_the_agent_resumes(
    quick: ServerProcess,
) -> None:
    with signed_in_client(quick, "alice") as client:
        issued = issue_code(client)
    sid = issued["session_id"]
    agent, secret = await join_and_allow(quick, issued["code"])
    await agent.send(json.dumps({"type": "chat", "text": "before"}))
    await receive(agent, "chat_message")
    await wait_for_events(quick, sid, lambda e: "chat_message" in actions(e))  # stored
    await asyncio.to_thread(kill_and_restart, quick)
    with pytest.raises(websockets.ConnectionClosedError) as dropped:
        await asyncio.wait_for(agent.recv(), 10)
    assert dropped.value.rcvd is None  # no close frame: the process died

    async with websockets.connect(quick.ws_url + "/ws/agent") as back:
        await back.send(hello(resume=secret))
        welcome = await receive(back, "welcome")
        assert (welcome["session_id"], welcome["technician_name"], welcome["resume"]) == (
            sid, "Alice Martin", "")
        # Viewing, as the person allowed; control would be asked again.
        assert (await receive(back, "state"))["state"] == "viewing"
        # The chat goes on with its numbers.
        await back.send(json.dumps({"type": "chat", "text": "after"}))
        assert (await receive(back, "chat_message"))["id"] == 2
        found = await wait_for_events(quick, sid, lambda e: "agent_reconnected" in actions(e))
    assert actions(found)[-4:] == [
        "chat_message", "server_restarted", "agent_reconnected", "chat_message",
    ]
    assert found[-3]["detail"] == {"state": "viewing"}
    assert audit_is_intact(quick)


async def test_a_session_whose_agent_does_not_come_back_ends_as_server_restarted(
    quick: ServerProcess,
) -> None:
    with signed_in_client(quick, "alice") as client:
        issued = issue_code(client)
        unused = issue_code(client)
    sid = issued["session_id"]
    issued_at = time.monotonic()
    agent, secret = await join_and_allow(quick, issued["code"])
    # The unused code's 3 s run out while the server is down.
    await asyncio.to_thread(kill_and_restart, quick,
                            lambda: time.sleep(max(0.0, issued_at + 3.5 - time.monotonic())))
    await agent.close()

    found = await wait_for_events(quick, sid, lambda e: actions(e)[-1] == "session_ended")
    assert actions(found)[-2:] == ["server_restarted", "session_ended"]
    assert found[-1]["actor"] == "server"
    assert found[-1]["detail"] == {"reason": "server_restarted"}
    # Too late: the agent is told how the session ended.
    async with websockets.connect(quick.ws_url + "/ws/agent") as late:
        await late.send(hello(resume=secret))
        assert await close_code_of(late) == CloseReason.SERVER_RESTARTED
    # The code nobody used is closed as expired, not left waiting.
    unused_events = await asyncio.to_thread(events, quick, unused["session_id"])
    assert actions(unused_events) == ["code_issued", "session_without_mandate", "session_ended"]
    assert unused_events[-1]["detail"] == {"reason": "code_expired"}
    with httpx.Client(base_url=quick.url) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
    assert audit_is_intact(quick)


async def test_a_dropped_agent_resumes_within_the_grace_and_a_wrong_secret_opens_nothing(
    quick: ServerProcess,
) -> None:
    with signed_in_client(quick, "alice") as client:
        issued = issue_code(client)
    sid = issued["session_id"]
    agent, secret = await join_and_allow(quick, issued["code"])
    agent.transport.abort()  # the network drops: no close frame
    await wait_for_events(quick, sid, lambda e: actions(e)[-1] == "agent_lost")

    async with websockets.connect(quick.ws_url + "/ws/agent") as stranger:
        await stranger.send(hello(resume="x" * 43))
        assert await close_code_of(stranger) == CloseReason.SESSION_NOT_FOUND
    async with websockets.connect(quick.ws_url + "/ws/agent") as back:
        await back.send(hello(resume=secret))
        assert (await receive(back, "welcome"))["session_id"] == sid
        assert (await receive(back, "state"))["state"] == "viewing"
        found = await wait_for_events(quick, sid, lambda e: "agent_reconnected" in actions(e))
    assert actions(found)[-2:] == ["agent_lost", "agent_reconnected"]


async def test_an_agent_that_closes_its_connection_ends_the_session_at_once(
    quick: ServerProcess,
) -> None:
    with signed_in_client(quick, "alice") as client:
        issued = issue_code(client)
    agent, _ = await join_and_allow(quick, issued["code"])
    await agent.close()  # 1000: the agent left on purpose
    found = await wait_for_events(quick, issued["session_id"],
                                  lambda e: actions(e)[-1] == "session_ended")
    assert "agent_lost" not in actions(found)
    assert found[-1]["detail"] == {"reason": "peer_lost"}


async def test_a_dropped_agent_that_does_not_come_back_ends_with_peer_lost(
    quick: ServerProcess,
) -> None:
    with signed_in_client(quick, "alice") as client:
        issued = issue_code(client)
    agent, secret = await join_and_allow(quick, issued["code"])
    agent.transport.abort()
    found = await wait_for_events(quick, issued["session_id"],
                                  lambda e: actions(e)[-1] == "session_ended")
    assert actions(found)[-2:] == ["agent_lost", "session_ended"]
    assert found[-1]["detail"] == {"reason": "peer_lost"}
    async with websockets.connect(quick.ws_url + "/ws/agent") as late:
        await late.send(hello(resume=secret))
        assert await close_code_of(late) == CloseReason.PEER_LOST
