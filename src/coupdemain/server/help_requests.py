"""Help requests: the person on a managed device clicks *Ask for help*; a technician takes it.

The device's service sends ``help_request`` over its authenticated
connection (``/ws/device``, ``protocol/device.py``); the request is queued
(``help_requests``), shown live on the console's *Help requests* page
(``/ws/help-requests``) to the technicians who may reach the device
(``groups.may_reach``), and answered to the device with ``help_update``.

A technician *takes* it: one UPDATE that only an open request passes, so
that of two technicians taking at once one wins and the other is told who
did. Taking starts remote control on the device, attended (whatever the
device's policy: the person is at the screen, they asked) and with viewing
already accepted by the request; control still needs the person's click.

A request ends when the person cancels it, when it is taken, or when the
device's service leaves (it stopped, or the device went offline): the
console says which, and the device's window too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.websockets import WebSocket

from ..protocol import device as d
from .audit import AuditLog
from .devices import DeviceError
from .groups import NotFound, may_reach
from .live_pages import forward
from .store.models import (
    HELP_CANCELLED,
    HELP_ENDED,
    HELP_OPEN,
    HELP_TAKEN,
    Device,
    HelpRequest,
    User,
    utcnow,
)

if TYPE_CHECKING:
    from .device_links import DeviceHub, DeviceLink

logger = logging.getLogger("coupdemain.help")

NO_SUCH_REQUEST = "There is no such help request."
CANCELLED_ALREADY = "The person cancelled this request."
ENDED_ALREADY = "This request ended: the device went offline."
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")

# Why a request closed, as the console's notices and the audit name it.
BY_PERSON, DEVICE_OFFLINE, REPLACED, TAKEN = "person", "device_offline", "replaced", "taken"


def taken_already(name: str) -> str:
    return f"{name} took this request already."


def request_json(row: HelpRequest) -> dict[str, Any]:
    """A request as the queue shows it."""
    return {
        "id": row.id, "device_id": row.device_id, "device": row.device.name,
        "user": row.user, "words": row.words, "state": row.state,
        "created_at": row.created_at.isoformat(timespec="seconds"),
    }


@dataclass(eq=False)
class _Watcher:
    user: User
    queue: asyncio.Queue[dict[str, Any]]


class HelpDesk:
    """The queue of help requests: from the devices, to the console, and taking one."""

    def __init__(self, db: async_sessionmaker[AsyncSession], audit: AuditLog,
                 hub: DeviceHub) -> None:
        self._db = db
        self._audit = audit
        self.hub = hub
        self._watchers: list[_Watcher] = []

    # --- the device's side ---------------------------------------------------------

    async def receive(self, link: DeviceLink, message: d.HelpRequest | d.HelpCancel) -> None:
        """A help_request or help_cancel from a device's service."""
        if not REQUEST_ID.match(message.request_id):
            logger.info("device %s sent a request id that is not 32 hex characters",
                        link.device_id)
            return
        if isinstance(message, d.HelpRequest):
            await self._open(link, message)
        else:
            await self._cancel(link, message.request_id)

    async def _open(self, link: DeviceLink, message: d.HelpRequest) -> None:
        words = message.words.strip()[:d.MAX_HELP_WORDS]
        async with self._db.begin() as s:
            existing = await s.get(HelpRequest, message.request_id)
            device = await s.get(Device, link.device_id)
            assert device is not None
            organisation = device.organisation.name
            replaced: list[str] = []
            if existing is not None:
                if existing.device_id != link.device_id:
                    return  # another device's id: nothing to say to this one
                state = existing.state
            else:
                state = HELP_OPEN
                # One open request per device: a new one replaces the last.
                replaced += list(await s.scalars(select(HelpRequest.id).where(
                    HelpRequest.device_id == link.device_id, HelpRequest.state == HELP_OPEN)))
                await s.execute(update(HelpRequest).where(HelpRequest.id.in_(replaced)).values(
                    state=HELP_ENDED, closed_at=utcnow(), end_reason=REPLACED))
                s.add(HelpRequest(
                    id=message.request_id, organisation_id=device.organisation_id,
                    device_id=link.device_id, words=words, user=device.logged_in_user,
                    state=HELP_OPEN, created_at=utcnow(), end_reason=""))
        await link.send(d.HelpUpdate(message.request_id, state, organisation=organisation))
        if existing is not None:
            return
        for old in replaced:
            await self._closed(old, REPLACED)
        await self._audit.append("help_requested", actor="person",
                                 actor_name=device.logged_in_user,
                                 detail={"device_id": link.device_id,
                                         "request_id": message.request_id})
        logger.info("device %s asks for help", link.device_id)
        await self._publish_open(message.request_id)

    async def _cancel(self, link: DeviceLink, request_id: str) -> None:
        closed = await self._close_if_open(request_id, HELP_CANCELLED, BY_PERSON,
                                           device_id=link.device_id)
        row = await self._get(request_id)
        if row is None or row.device_id != link.device_id:
            return
        technician = row.technician.display_name if row.technician else ""
        await link.send(d.HelpUpdate(request_id, row.state, technician,
                                     row.device.organisation.name))
        if closed:
            await self._audit.append("help_request_cancelled", actor="person",
                                     actor_name=row.user,
                                     detail={"device_id": row.device_id, "request_id": request_id,
                                             "by": BY_PERSON})
            await self._closed(request_id, BY_PERSON)

    async def device_left(self, device_id: str) -> None:
        """The device's service left: its open requests end (the console says so)."""
        async with self._db() as s:
            ids = list(await s.scalars(select(HelpRequest.id).where(
                HelpRequest.device_id == device_id, HelpRequest.state == HELP_OPEN)))
        for request_id in ids:
            if await self._close_if_open(request_id, HELP_ENDED, DEVICE_OFFLINE):
                await self._audit.append("help_request_cancelled", actor="server",
                                         detail={"device_id": device_id,
                                                 "request_id": request_id,
                                                 "by": DEVICE_OFFLINE})
                await self._closed(request_id, DEVICE_OFFLINE)

    async def _close_if_open(self, request_id: str, state: str, reason: str, *,
                             device_id: str | None = None, taken_by: int | None = None) -> bool:
        """Closes the request if it is still open; whether this call closed it."""
        values: dict[str, Any] = {"state": state, "closed_at": utcnow(), "end_reason": reason}
        if taken_by is not None:
            values["taken_by"] = taken_by
        query = update(HelpRequest).where(HelpRequest.id == request_id,
                                          HelpRequest.state == HELP_OPEN)
        if device_id is not None:
            query = query.where(HelpRequest.device_id == device_id)
        async with self._db.begin() as s:
            result = await s.execute(query.values(**values))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _get(self, request_id: str) -> HelpRequest | None:
        async with self._db() as s:
            return await s.get(HelpRequest, request_id[:32])

    # --- the console's side --------------------------------------------------------

    async def open_for(self, user: User) -> list[HelpRequest]:
        """The open requests of devices this user may reach, oldest first.

        A request whose device is not connected is closed here: it was open
        when the server stopped, and its device left with it.
        """
        async with self._db() as s:
            rows = list(await s.scalars(select(HelpRequest).where(
                HelpRequest.organisation_id == user.organisation_id,
                HelpRequest.state == HELP_OPEN).order_by(HelpRequest.created_at)))
        shown = []
        for row in rows:
            if not self.hub.online(row.device_id):
                await self.device_left(row.device_id)
            elif await may_reach(self._db, user, row.device):
                shown.append(row)
        return shown

    async def take(self, technician: User, request_id: str) -> str:
        """Takes the request and starts remote control on its device; the session's id.

        Raises:
            NotFound: no such request, or its device is out of the technician's reach.
            DeviceError (409): taken by someone else, cancelled, ended; or the
                device could not be reached.
        """
        row = await self._get(request_id)
        if (row is None or row.organisation_id != technician.organisation_id
                or not await may_reach(self._db, technician, row.device)):
            raise NotFound(NO_SUCH_REQUEST)
        if not await self._close_if_open(row.id, HELP_TAKEN, TAKEN, taken_by=technician.id):
            current = await self._get(row.id)
            assert current is not None
            if current.state == HELP_TAKEN and current.technician is not None:
                sentence = taken_already(current.technician.display_name)
            elif current.state == HELP_CANCELLED:
                sentence = CANCELLED_ALREADY
            else:
                sentence = ENDED_ALREADY
            refusal = DeviceError(sentence)
            refusal.status = 409
            raise refusal
        try:
            session_id = await self.hub.start_remote_control(technician, row.device_id,
                                                             help_request=row.id)
        except DeviceError:
            async with self._db.begin() as s:
                await s.execute(update(HelpRequest).where(HelpRequest.id == row.id).values(
                    state=HELP_ENDED, end_reason=DEVICE_OFFLINE))
            await self._closed(row.id, DEVICE_OFFLINE)
            raise
        async with self._db.begin() as s:
            await s.execute(update(HelpRequest).where(HelpRequest.id == row.id)
                            .values(session_id=session_id))
        await self._audit.append("help_request_taken", actor="technician",
                                 actor_name=technician.display_name, session_id=session_id,
                                 detail={"device_id": row.device_id, "request_id": row.id,
                                         "technician_id": technician.id})
        link = self.hub.link(row.device_id)
        if link is not None:
            with contextlib.suppress(Exception):  # it left: its launch ends with it
                await link.send(d.HelpUpdate(row.id, HELP_TAKEN, technician.display_name,
                                             row.device.organisation.name))
        await self._closed(row.id, TAKEN, technician=technician.display_name)
        return session_id

    # --- the live queue ------------------------------------------------------------

    def watch(self, user: User) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._watchers.append(_Watcher(user, queue))
        return queue

    def unwatch(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._watchers = [w for w in self._watchers if w.queue is not queue]

    async def _send(self, row: HelpRequest, event: dict[str, Any]) -> None:
        for watcher in list(self._watchers):
            if await may_reach(self._db, watcher.user, row.device):
                with contextlib.suppress(asyncio.QueueFull):  # a stuck page misses updates
                    watcher.queue.put_nowait(event)

    async def _publish_open(self, request_id: str) -> None:
        row = await self._get(request_id)
        if row is not None:
            await self._send(row, {"kind": "open", "request": request_json(row)})

    async def _closed(self, request_id: str, reason: str, *, technician: str = "") -> None:
        row = await self._get(request_id)
        if row is not None:
            await self._send(row, {"kind": "closed", "id": row.id, "reason": reason,
                                   "device": row.device.name, "technician": technician})


async def serve_queue(ws: WebSocket, desk: HelpDesk, user: User) -> None:
    """The console's Help requests page: the open requests, then each change, as JSON."""
    await ws.accept()
    queue = desk.watch(user)
    for row in await desk.open_for(user):
        queue.put_nowait({"kind": "open", "request": request_json(row)})
    try:
        await forward(ws, queue, "help requests")
    finally:
        desk.unwatch(queue)
