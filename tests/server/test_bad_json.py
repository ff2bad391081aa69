"""JSON that parses but cannot be used: deep nesting and lone surrogates, on both sockets."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from coupdemain.protocol.errors import CloseReason
from tests.support.server import ServerProcess, issue_code, signed_in_client

# 20 000 levels: Python's json module gives up with RecursionError long before.
NESTED = '{"type": "chat", "text": ' + "[" * 20_000 + "]" * 20_000 + "}"
# A lone UTF-16 surrogate: valid JSON, but no UTF-8 string, so no database
# row and no audit hash can hold it.
SURROGATE = '{"type": "chat", "text": "hello \\ud800"}'
HELLO_AGENT = {"type": "hello", "protocol": 1, "role": "agent"}
VIEWER_HELLO = json.dumps({"type": "hello", "protocol": 1, "role": "viewer"})

BAD = {
    "nested": NESTED,
    "surrogate": SURROGATE,
}
BAD_HELLO = {
    "nested": json.dumps({**HELLO_AGENT, "code": "000000000"})[:-1]
    + ', "extra": ' + "[" * 20_000 + "]" * 20_000 + "}",
    "surrogate": json.dumps({**HELLO_AGENT, "code": "{code}"})[:-1]
    + ', "hostname": "pc\\udc80"}',
}


async def close_code(ws: websockets.ClientConnection) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(20):
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def still_serves(server: ServerProcess) -> None:
    """The server answers pages and checks codes as before."""
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    async with websockets.connect(server.ws_url + "/ws/agent") as ws:
        await ws.send(json.dumps({**HELLO_AGENT, "code": "000000000"}))
        assert await close_code(ws) == CloseReason.CODE_INVALID
    assert "Traceback" not in server.log()


@pytest.mark.parametrize("kind", list(BAD))
async def test_the_agents_hello(server: ServerProcess, kind: str) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
    async with websockets.connect(server.ws_url + "/ws/agent") as ws:
        await ws.send(BAD_HELLO[kind].replace("{code}", issued["code"]))
        assert await close_code(ws) == CloseReason.MALFORMED_MESSAGE
    await still_serves(server)


@pytest.mark.parametrize("kind", list(BAD))
async def test_the_agent_in_a_session(server: ServerProcess, kind: str) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        async with websockets.connect(server.ws_url + "/ws/agent") as ws:
            await ws.send(json.dumps({**HELLO_AGENT, "code": issued["code"], "hostname": "pc"}))
            assert json.loads(await ws.recv())["type"] == "welcome"
            await ws.send(json.dumps({"type": "consent", "decision": "allow_view"}))
            await ws.send(BAD[kind])
            assert await close_code(ws) == CloseReason.MALFORMED_MESSAGE
        # The agent's connection is gone, so the session ends (as it would
        # for any protocol error); the server writes that once the socket closed.
        for _ in range(50):
            events = client.get(f"/api/sessions/{issued['session_id']}/events").json()
            if events[-1]["action"] == "session_ended":
                break
            await asyncio.sleep(0.1)
    assert events[-1]["detail"] == {"reason": "peer_lost"}
    await still_serves(server)


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("when", ["hello", "session"])
async def test_the_viewer(server: ServerProcess, kind: str, when: str) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        headers = {"Cookie": f"cdm_session={client.cookies['cdm_session']}",
                   "Origin": server.url}
    viewer_url = f"{server.ws_url}/ws/viewer/{issued['session_id']}"
    async with websockets.connect(server.ws_url + "/ws/agent") as agent:
        await agent.send(json.dumps({**HELLO_AGENT, "code": issued["code"], "hostname": "pc"}))
        assert json.loads(await agent.recv())["type"] == "welcome"
        await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
        async with websockets.connect(viewer_url, additional_headers=headers) as viewer:
            if when == "hello":
                await viewer.send(BAD[kind].replace('"chat", "text"', '"hello", "role"'))
            else:
                await viewer.send(VIEWER_HELLO)
                await viewer.send(BAD[kind])
            assert await close_code(viewer) == CloseReason.MALFORMED_MESSAGE
        # Only the message is refused: the technician can come back.
        async with websockets.connect(viewer_url, additional_headers=headers) as viewer:
            await viewer.send(VIEWER_HELLO)
            await viewer.send(json.dumps({"type": "chat", "text": "still here"}))
            for _ in range(20):
                message = json.loads(await asyncio.wait_for(agent.recv(), 10))
                if message["type"] == "chat_message":
                    break
    assert message["text"] == "still here"
    await still_serves(server)
