"""The devices' live side: their services' connections, the console's live list, launches.

A device's service keeps one WebSocket open on ``/ws/device``
(``serve_device``): it proves itself by signing a challenge
(``protocol/device.py``), then sends its inventory and heartbeats. The
console's *Devices* page listens on ``/ws/devices`` for who comes and goes.
*Start remote control* issues a session's code and sends it to the
device's service (``launch``), which starts the agent on it. A launch
whose agent has not joined dies with the service's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..protocol import device as d
from ..protocol.errors import CloseReason, RemoteProtocolError
from ..protocol.session import State
from .devices import DeviceError, DeviceRegistry
from .groups import NO_SUCH_DEVICE, check_mandate, may_reach, reachable
from .live_pages import forward
from .rendezvous import Rendezvous
from .store.models import POLICY_NO_PROMPT, Device, SupportSession, User

if TYPE_CHECKING:
    from .help_requests import HelpDesk

logger = logging.getLogger("coupdemain.devices")

HELLO_TIMEOUT = 10.0
HEARTBEAT_SECONDS = 15.0
# A device whose service said nothing for this long is offline, even if its
# socket has not noticed yet (the pings notice within seconds, as a rule).
SILENT_SECONDS = 3 * HEARTBEAT_SECONDS

NOT_ONLINE = "This device is not online: its service is not connected. Try again once it is."
REVOKED = "This device was revoked. Enrol it again to reach it."


@dataclass(eq=False)
class DeviceLink:
    """One connected device service."""

    device_id: str
    organisation_id: int
    socket: WebSocket
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, message: d.DeviceMessage) -> None:
        async with self.lock:
            await self.socket.send_text(d.serialize(message))
            logger.debug("> device %s %s", self.device_id, message.type)


def device_json(row: Device, online: bool, problem: str = "") -> dict[str, Any]:
    """A device as the console's list and the API show it.

    Args:
        problem: why the server last refused its service (a protocol version it
            does not speak), until the service connects again.
    """
    hardware = row.hardware or {}
    return {
        "id": row.id, "name": row.name, "os": row.os, "user": row.logged_in_user,
        "group": row.group.name if row.group else "", "tags": list(row.tags or []),
        "online": online, "revoked": row.revoked_at is not None,
        "last_seen": _iso(row.last_seen), "enrolled_at": _iso(row.enrolled_at),
        "policy": row.effective_policy, "hardware": hardware,
        "summary": hardware_summary(hardware), "problem": problem,
    }


def hardware_summary(hardware: dict[str, Any]) -> str:
    """"4 CPUs · 7.8 GB memory · 120 GB disk": what the list shows of the inventory."""
    parts = []
    if cpus := hardware.get("cpus"):
        parts.append(f"{cpus} CPUs")
    if memory := hardware.get("memory_bytes"):
        parts.append(f"{float(memory) / 1e9:.1f} GB memory")
    if disk := hardware.get("disk_bytes"):
        parts.append(f"{float(disk) / 1e9:.0f} GB disk")
    return " · ".join(parts)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


class DeviceHub:
    """Which devices are connected, who watches the list, and the launches."""

    def __init__(self, registry: DeviceRegistry, rendezvous: Rendezvous,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = registry
        self.rendezvous = rendezvous
        self.challenges = d.ChallengeBook()
        self._clock = clock
        self._links: dict[str, DeviceLink] = {}
        self._watchers: dict[asyncio.Queue[dict[str, Any]], int] = {}
        self._leaving: set[asyncio.Task[None]] = set()
        # Why the server last refused a device's service (its version), in memory only.
        self.problems: dict[str, str] = {}
        self._watching_users: dict[asyncio.Queue[dict[str, Any]], User] = {}
        self.help_desk: HelpDesk | None = None  # help_requests.py; set by services.py

    def online(self, device_id: str) -> bool:
        return device_id in self._links

    def link(self, device_id: str) -> DeviceLink | None:
        return self._links.get(device_id)

    # --- the console's live list ---------------------------------------------------

    def watch(self, organisation_id: int, user: User | None = None
              ) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the organisation's devices as they change; only those ``user`` reaches."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._watchers[queue] = organisation_id
        if user is not None:
            self._watching_users[queue] = user
        return queue

    def unwatch(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._watchers.pop(queue, None)
        self._watching_users.pop(queue, None)

    async def publish(self, device_id: str) -> None:
        row = await self.registry.get(device_id)
        if row is None:
            return
        event = device_json(row, self.online(device_id), self.problems.get(device_id, ""))
        for queue, organisation_id in list(self._watchers.items()):
            user = self._watching_users.get(queue)
            if organisation_id == row.organisation_id and (
                    user is None or await may_reach(self.registry._db, user, row)):  # noqa: SLF001
                with contextlib.suppress(asyncio.QueueFull):  # a stuck page misses updates
                    queue.put_nowait(event)

    # --- the device's connection -------------------------------------------------

    async def serve(self, ws: WebSocket) -> None:
        """One device service's connection, from its hello to its end."""
        await ws.accept()
        try:
            link = await self._admit(ws)
        except (TimeoutError, WebSocketDisconnect):
            await _close(ws, CloseReason.TIMED_OUT)
            return
        except RemoteProtocolError as exc:
            logger.info("a device was refused: %s", exc)
            await _close(ws, exc.close_reason)
            return
        if link is None:
            return
        try:
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    return
                message = d.parse(event.get("text") or event.get("bytes") or b"", d.DEVICE_SENDS)
                await self._receive(link, message)
        except RemoteProtocolError as exc:
            logger.info("device %s broke the protocol: %s", link.device_id, exc)
            await _close(ws, exc.close_reason)
        except WebSocketDisconnect:
            pass
        except Exception:
            logger.exception("the connection of device %s failed", link.device_id)
            await _close(ws, CloseReason.INTERNAL_ERROR)
        finally:
            await self._detach(link)

    async def _admit(self, ws: WebSocket) -> DeviceLink | None:
        """Hello, version, challenge, proof; the link once the device proved itself."""
        event = await asyncio.wait_for(ws.receive(), HELLO_TIMEOUT)
        if event["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(event.get("code", 1000))
        hello = d.parse(event.get("text") or "", {d.DeviceHello.type: d.DeviceHello})
        assert isinstance(hello, d.DeviceHello)
        refusal = d.version_refusal(hello.protocol)
        if refusal is not None:
            logger.warning("device %s refused: %s", hello.device_id[:32], refusal.sentence)
            await _refuse(ws, refusal, CloseReason.UNSUPPORTED_VERSION)
            if await self.registry.get(hello.device_id[:32]) is not None:
                self.problems[hello.device_id[:32]] = refusal.sentence
                await self.publish(hello.device_id[:32])
            return None
        row = await self.registry.get(hello.device_id[:32])
        if row is None:
            await _refuse(ws, d.Refused("unknown", (
                "This device is not enrolled on this server. "
                "Enrol it with coupdemain agent enroll.")), CloseReason.UNAUTHORIZED)
            return None
        if row.revoked_at is not None:
            await _refuse(ws, d.Refused("revoked", REVOKED), CloseReason.UNAUTHORIZED)
            return None
        nonce = self.challenges.issue(row.id, self._clock())
        await ws.send_text(d.serialize(d.Challenge(d.encode_nonce(nonce))))
        event = await asyncio.wait_for(ws.receive(), HELLO_TIMEOUT)
        if event["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(event.get("code", 1000))
        proof = d.parse(event.get("text") or "", {d.Proof.type: d.Proof})
        assert isinstance(proof, d.Proof)
        try:
            self.challenges.check(row.id, nonce, proof.signature, row.public_key, self._clock())
        except d.ProofRefused as exc:
            logger.warning("device %s refused: %s", row.id, exc)
            await _refuse(ws, d.Refused("bad_proof", (
                "This device could not prove who it is: its key does not match the one "
                "enrolled. Enrol it again.")), CloseReason.UNAUTHORIZED)
            return None
        # Revoked while it answered: nothing opens.
        current = await self.registry.get(row.id)
        if current is None or current.revoked_at is not None:
            await _refuse(ws, d.Refused("revoked", REVOKED), CloseReason.UNAUTHORIZED)
            return None
        link = DeviceLink(row.id, row.organisation_id, ws)
        self.problems.pop(row.id, None)
        previous = self._links.get(row.id)
        self._links[row.id] = link
        if previous is not None:
            await _close(previous.socket, CloseReason.REPLACED)
        await self.registry.seen(row.id)
        await link.send(d.DeviceWelcome(row.id, row.organisation.name, row.effective_policy,
                                        HEARTBEAT_SECONDS))
        logger.info("device %s (%s) is online", row.id, row.name)
        await self.publish(row.id)
        return link

    async def _receive(self, link: DeviceLink, message: d.DeviceMessage) -> None:
        match message:
            case d.Inventory(name=name, os=os, user=user, hardware=hardware):
                await self.registry.seen(link.device_id, name=name[:200] or "computer",
                                         os=os[:200], logged_in_user=user[:200],
                                         hardware=hardware)
                await self.publish(link.device_id)
            case d.Heartbeat():
                await self.registry.seen(link.device_id)
                await self.publish(link.device_id)
            case d.HelpRequest() | d.HelpCancel() if self.help_desk is not None:
                await self.help_desk.receive(link, message)
            case _:
                raise RemoteProtocolError(f"a device does not send {message.type!r} now")

    async def _detach(self, link: DeviceLink) -> None:
        if self._links.get(link.device_id) is not link:
            return  # replaced by a newer connection, which stays
        del self._links[link.device_id]
        logger.info("device %s is offline", link.device_id)
        # In a task of its own: the connection's handler may be cancelled as it ends,
        # and the launches must end all the same.
        task = asyncio.create_task(self._after_leaving(link.device_id))
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)

    async def _after_leaving(self, device_id: str) -> None:
        try:
            await self._end_launches(device_id, waiting_only=True, reason=CloseReason.PEER_LOST)
            if self.help_desk is not None:
                await self.help_desk.device_left(device_id)
            await self.publish(device_id)
        except Exception:
            logger.exception("ending the launches of device %s failed", device_id)

    async def _end_launches(self, device_id: str, *, waiting_only: bool,
                            reason: CloseReason) -> None:
        """Ends the device's sessions: those still waiting for its agent, or all of them."""
        async with self.registry._db() as db:  # noqa: SLF001 - one query, same store
            ids = list(await db.scalars(select(SupportSession.id).where(
                SupportSession.device_id == device_id,
                SupportSession.state != State.ENDED.value)))
        for session_id in ids:
            live = self.rendezvous.live(session_id)
            if live is None:
                continue
            if waiting_only and live.machine.state is not State.WAITING_FOR_PERSON:
                continue
            await self.rendezvous.act(live, lambda s: s.server_end(reason))

    # --- what the console asks ----------------------------------------------------

    async def revoke(self, admin: User, device_id: str) -> bool:
        """Revokes the device: its connection and its sessions are cut at once."""
        row = await self.registry.revoke(admin, device_id)
        if row is None:
            return False
        link = self._links.pop(device_id, None)
        if link is not None:
            with contextlib.suppress(Exception):  # already gone
                await link.send(d.Refused("revoked", REVOKED))
            await _close(link.socket, CloseReason.UNAUTHORIZED)
        await self._end_launches(device_id, waiting_only=False, reason=CloseReason.UNAUTHORIZED)
        await self.publish(device_id)
        return True

    async def start_remote_control(self, technician: User, device_id: str, *,
                                   help_request: str | None = None) -> str:
        """Issues a session on the device and tells its service to join it; its id.

        Args:
            help_request: the person's help request this answers: attended, whatever
                the policy, with viewing accepted by the request (help_requests.py).

        Raises:
            DeviceError: no such device within the technician's reach (groups.py; 404),
                revoked, offline, or refused by the mandate rules.
        """
        row = await self.registry.get(device_id)
        if row is None or not await may_reach(self.registry._db, technician, row):  # noqa: SLF001
            refusal = DeviceError(NO_SUCH_DEVICE)
            refusal.status = 404
            raise refusal
        if row.revoked_at is not None:
            raise DeviceError(REVOKED)
        link = self._links.get(device_id)
        if link is None:
            raise DeviceError(NOT_ONLINE)
        check_mandate(technician, row, help_request=help_request)
        unattended = help_request is None and row.effective_policy == POLICY_NO_PROMPT
        issued = await self.rendezvous.issue_code(technician, device_id=device_id)
        await self.registry._audit.append(  # noqa: SLF001 - the registry's own log
            "device_control_started", actor="technician", actor_name=technician.display_name,
            session_id=issued.session_id,
            detail={"device_id": device_id, "technician_id": technician.id,
                    "mode": "help_request" if help_request
                    else "unattended" if unattended else "attended"})
        # A device's session has no mandate (groups.check_mandate): its record says so.
        await self.registry._audit.append(  # noqa: SLF001
            "session_without_mandate", actor="technician", actor_name=technician.display_name,
            session_id=issued.session_id)
        try:
            await link.send(d.Launch(issued.session_id, issued.code.digits, unattended,
                                     float(row.effective_prompt_timeout),
                                     view_accepted=help_request is not None))
        except Exception:  # noqa: BLE001 - the service left just now
            await self._end_launches(device_id, waiting_only=True, reason=CloseReason.PEER_LOST)
            raise DeviceError(NOT_ONLINE) from None
        return issued.session_id


async def _close(ws: WebSocket, reason: CloseReason) -> None:
    if ws.application_state is WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):  # the peer is already gone
            await ws.close(int(reason))


async def _refuse(ws: WebSocket, refusal: d.Refused, reason: CloseReason) -> None:
    with contextlib.suppress(Exception):
        await ws.send_text(d.serialize(refusal))
    await _close(ws, reason)


async def serve_watcher(ws: WebSocket, hub: DeviceHub, organisation_id: int,
                        user: User | None = None) -> None:
    """The console's Devices page: every change of a device of its organisation
    (those ``user`` may reach, groups.py), as JSON."""
    await ws.accept()
    queue = hub.watch(organisation_id, user)
    # First the whole list: the page may have missed changes while it reconnected.
    rows = await hub.registry.of_organisation(organisation_id)
    if user is not None:
        rows = await reachable(hub.registry._db, user, rows)  # noqa: SLF001
    for row in rows:
        queue.put_nowait(device_json(row, hub.online(row.id), hub.problems.get(row.id, "")))
    try:
        await forward(ws, queue, "devices")
    finally:
        hub.unwatch(queue)
