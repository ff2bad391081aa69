"""The server's WebSocket glue: sockets in, protocol messages to the rendezvous.

Only this module reads from the agents' and viewers' sockets. Text frames
are control messages, parsed and fed to the session's state machine; binary
frames from the agent go to the relay unread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from operator import methodcaller

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..protocol import messages as m
from ..protocol.enums import AgentKind, Role
from ..protocol.errors import (
    CloseReason,
    MessageTooLarge,
    NotAllowed,
    RemoteProtocolError,
    ResumeRefused,
    SupportCodeError,
    UnsupportedVersion,
)
from ..protocol.session import Person, Technician
from .rendezvous import LiveSession, Rendezvous

logger = logging.getLogger("coupdemain.connections")

HELLO_TIMEOUT = 10.0
# How an agent's connection may end and the agent still come back: a drop
# without a close frame (uvicorn reports it as 1005 or 1006), the network or
# a proxy giving up. The agent closes with 1000 when it leaves on purpose.
DROPPED_CLOSE_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1014})


def client_address(ws: WebSocket) -> str:
    # uvicorn has already applied X-Forwarded-For from trusted proxies.
    return ws.client.host if ws.client else "unknown"


async def _close(ws: WebSocket, reason: CloseReason) -> None:
    if ws.application_state is WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):  # the peer is already gone
            await ws.close(int(reason))


async def _receive_hello(ws: WebSocket, role: Role) -> m.Hello:
    """Waits for the first message, which must be a Hello of the right role and version."""
    event = await asyncio.wait_for(ws.receive(), HELLO_TIMEOUT)
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(event.get("code", 1000))
    text = event.get("text")
    if text is None:
        raise NotAllowed("the first message must be a hello")
    sends = m.AGENT_SENDS if role is Role.AGENT else m.VIEWER_SENDS
    hello = m.parse(text, sends)
    if not isinstance(hello, m.Hello) or hello.role is not role:
        raise NotAllowed(f"the first message must be a hello from a {role}")
    if hello.protocol != m.PROTOCOL_VERSION:
        raise UnsupportedVersion(f"protocol {hello.protocol} is not supported")
    return hello


async def serve_agent(ws: WebSocket, rendezvous: Rendezvous) -> None:
    """One attended agent's connection, from its code (or resume secret) to the session's end."""
    await ws.accept()
    address = client_address(ws)
    try:
        hello = await _receive_hello(ws, Role.AGENT)
        person = Person(hostname=hello.hostname, os=hello.os, user=hello.user)
        if hello.resume and hello.kind is AgentKind.APP:
            live = await rendezvous.find_resumable(hello.resume)
            await rendezvous.resume_agent(live, ws)
        else:
            live = await rendezvous.redeem_code(hello.code, address, person)
            await rendezvous.attach_agent(live, ws, person, hello.kind, hello.language)
    except (SupportCodeError, ResumeRefused) as exc:
        logger.info("agent from %s refused: %s", address, type(exc).__name__)
        await _close(ws, exc.close_reason)
        return
    except RemoteProtocolError as exc:
        logger.info("agent from %s broke the protocol: %s", address, exc)
        await _close(ws, exc.close_reason)
        return
    except (TimeoutError, WebSocketDisconnect):
        await _close(ws, CloseReason.TIMED_OUT)
        return
    may_return = False
    try:
        code = await _agent_loop(ws, live, rendezvous)
        # A browser share cannot come back: its picture needs the person's click.
        may_return = code in DROPPED_CLOSE_CODES and hello.kind is AgentKind.APP
        logger.info("the agent of %s left (close code %d)", live.session_id, code)
    except RemoteProtocolError as exc:
        logger.info("agent of %s broke the protocol: %s", live.session_id, exc)
        await _close(ws, exc.close_reason)
    except WebSocketDisconnect as exc:
        may_return = exc.code in DROPPED_CLOSE_CODES and hello.kind is AgentKind.APP
        logger.info("the agent of %s left (close code %d)", live.session_id, exc.code)
    except Exception:
        logger.exception("agent connection of %s failed", live.session_id)
        await _close(ws, CloseReason.INTERNAL_ERROR)
    finally:
        await rendezvous.detach_agent(live, ws, may_return=may_return)


async def _agent_loop(ws: WebSocket, live: LiveSession, rendezvous: Rendezvous) -> int:
    """Passes the agent's messages on until its connection closes; returns the close code."""
    relay = rendezvous.relay
    while True:
        event = await ws.receive()
        if event["type"] == "websocket.disconnect":
            return int(event.get("code", 1006))
        data = event.get("bytes")
        if data is not None:
            if not relay.accepts(len(data)):
                raise MessageTooLarge(f"frame of {len(data)} bytes")
            await relay.forward(live.session_id, data)
            continue
        message = m.parse(event.get("text") or "", m.AGENT_SENDS)
        logger.debug("< agent %s", message.type)
        await rendezvous.act(live, methodcaller("receive_from_agent", message))
        if live.agent is not ws:  # the message ended the session, or a resume replaced us
            return 1000


async def serve_viewer(
    ws: WebSocket, rendezvous: Rendezvous, live: LiveSession, technician: Technician
) -> None:
    """One technician's viewer connection; the caller has checked who it is."""
    await ws.accept()
    try:
        await _receive_hello(ws, Role.VIEWER)
    except RemoteProtocolError as exc:
        await _close(ws, exc.close_reason)
        return
    except (TimeoutError, WebSocketDisconnect):
        await _close(ws, CloseReason.TIMED_OUT)
        return
    await rendezvous.attach_viewer(live, ws, technician)
    try:
        while True:
            event = await ws.receive()
            if event["type"] == "websocket.disconnect":
                return
            if event.get("bytes") is not None:
                raise NotAllowed("a viewer sends no binary messages")
            message = m.parse(event.get("text") or "", m.VIEWER_SENDS)
            await rendezvous.from_viewer(live, ws, message)
            if live.viewer is not ws:  # ended, or replaced by another tab or technician
                return
    except RemoteProtocolError as exc:
        logger.info("viewer of %s broke the protocol: %s", live.session_id, exc)
        await _close(ws, exc.close_reason)
    except WebSocketDisconnect:
        pass
    except Exception:
        logger.exception("viewer connection of %s failed", live.session_id)
        await _close(ws, CloseReason.INTERNAL_ERROR)
    finally:
        await rendezvous.detach_viewer(live, ws)
