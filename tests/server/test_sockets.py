"""The WebSocket handlers in process: the real application, Starlette's test client, no port.

``test_websockets.py`` runs the same refusals against ``coupdemain serve``;
these run in the test's process, with a data folder of their own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from coupdemain.protocol.errors import CloseReason
from tests.support.app import InProcessServer

# Each socket reads at most this many messages looking for one: a bound, not a wait.
MAX_MESSAGES = 20


def hello(role: str = "agent", **fields: Any) -> str:
    return json.dumps({"type": "hello", "protocol": 1, "role": role, **fields})


def close_code(ws: WebSocketTestSession) -> int:
    """Reads until the server closes the socket; its close code."""
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(MAX_MESSAGES):
            ws.receive_text()
    return closed.value.code


def receive(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next message of this type; those before it are skipped."""
    for _ in range(MAX_MESSAGES):
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message among {MAX_MESSAGES}")


# --- the agent's socket ------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (hello(code="000000000"), CloseReason.CODE_INVALID),
        (hello(code="12"), CloseReason.CODE_INVALID),
        (hello(code="000000000", protocol=2), CloseReason.UNSUPPORTED_VERSION),
        (hello(role="viewer"), CloseReason.NOT_ALLOWED),
        ('{"type":"consent","decision":"allow_view"}', CloseReason.NOT_ALLOWED),
        ("not json", CloseReason.MALFORMED_MESSAGE),
        (b"\x01\x00", CloseReason.NOT_ALLOWED),  # a frame before the hello
    ],
)
def test_an_agent_refused_at_its_hello_gets_the_close_code(
    app: InProcessServer, first: str | bytes, reason: CloseReason
) -> None:
    with app.client.websocket_connect("/ws/agent") as ws:
        if isinstance(first, bytes):
            ws.send_bytes(first)
        else:
            ws.send_text(first)
        assert close_code(ws) == reason


def test_a_used_code_is_refused(app: InProcessServer) -> None:
    issued = app.issue_code()
    with app.client.websocket_connect("/ws/agent") as first:
        first.send_text(hello(code=issued["code"], hostname="pc-de-marie"))
        welcome = receive(first, "welcome")
        assert (welcome["technician_name"], welcome["organisation"]) == (
            "Alice Martin", "Entraide Numérique")
        with app.client.websocket_connect("/ws/agent") as second:
            second.send_text(hello(code=issued["code"]))
            assert close_code(second) == CloseReason.CODE_USED


# --- the viewer's socket ------------------------------------------------------------


def test_a_viewer_must_be_signed_in(app: InProcessServer) -> None:
    issued = app.issue_code()
    with app.viewer(issued["session_id"], who="") as ws:
        assert close_code(ws) == CloseReason.UNAUTHORIZED


def test_a_viewer_from_another_site_is_refused(app: InProcessServer) -> None:
    issued = app.issue_code()
    with app.viewer(issued["session_id"], origin="http://testserver:8081") as ws:
        assert close_code(ws) == CloseReason.UNAUTHORIZED


@pytest.mark.parametrize("who", ["bob", "other"])
def test_a_viewer_may_not_open_a_session_it_may_not_see(app: InProcessServer, who: str) -> None:
    issued = app.issue_code()
    with app.viewer(issued["session_id"], who=who) as ws:
        assert close_code(ws) == CloseReason.SESSION_NOT_FOUND
    with app.viewer("no-such-session") as ws:
        assert close_code(ws) == CloseReason.SESSION_NOT_FOUND


def test_a_session_from_the_code_to_the_end(app: InProcessServer) -> None:
    """The admin of alice's organisation watches her session: frames pass once allowed."""
    issued = app.issue_code()
    with app.client.websocket_connect("/ws/agent") as agent:
        agent.send_text(hello(code=issued["code"], hostname="pc-de-marie"))
        receive(agent, "welcome")
        with app.viewer(issued["session_id"], who="root", origin="http://testserver") as viewer:
            viewer.send_text(hello(role="viewer"))
            assert receive(viewer, "state")["state"] == "waiting_for_consent"
            agent.send_text('{"type":"consent","decision":"allow_view"}')
            assert receive(viewer, "state")["state"] == "viewing"
            frame = bytes(range(256)) * 4
            agent.send_bytes(frame)
            assert viewer.receive_bytes() == frame
            viewer.send_text('{"type":"end"}')
            assert receive(agent, "ended") == {
                "type": "ended", "by": "technician",
                "reason": int(CloseReason.ENDED_BY_TECHNICIAN)}
            assert close_code(agent) == CloseReason.ENDED_BY_TECHNICIAN
            assert close_code(viewer) == CloseReason.NORMAL
        # A page opened again learns how the session ended.
        with app.viewer(issued["session_id"]) as again:
            assert receive(again, "state")["state"] == "ended"
            assert receive(again, "ended")["reason"] == CloseReason.ENDED_BY_TECHNICIAN
            assert close_code(again) == CloseReason.NORMAL


def test_a_frame_over_the_limit_closes_the_agent(app: InProcessServer) -> None:
    issued = app.issue_code()
    rendezvous = app.client.app.state.services.rendezvous  # type: ignore[attr-defined]
    rendezvous.relay.max_message_bytes = 1000
    with app.client.websocket_connect("/ws/agent") as agent:
        agent.send_text(hello(code=issued["code"]))
        receive(agent, "welcome")
        agent.send_bytes(b"x" * 1001)
        assert close_code(agent) == CloseReason.MESSAGE_TOO_LARGE
