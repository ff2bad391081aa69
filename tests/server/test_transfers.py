"""File transfer's bytes against a real server: offsets, resume, ranges, hashes, spool clean-up."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from coupdemain.server.transfers import content_disposition, parse_range
from tests.support.server import ServerProcess, csrf_of, issue_code, signed_in_client

ID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
DATA = bytes(range(256)) * 4096  # 1 MiB


@dataclass
class Session:
    server: ServerProcess
    client: httpx.Client
    csrf: str
    session_id: str
    agent: ClientConnection
    viewer: ClientConnection

    def url(self, transfer_id: str, tail: str = "") -> str:
        return f"/api/sessions/{self.session_id}/files/{transfer_id}{tail}"

    def put(self, transfer_id: str, offset: int, body: bytes, **headers: str) -> httpx.Response:
        return self.client.put(self.url(transfer_id), params={"offset": offset}, content=body,
                               headers={"X-CSRF-Token": self.csrf, **headers})


async def receive(ws: ClientConnection, kind: str, **fields: Any) -> dict[str, Any]:
    """The next message of this type (and these field values), skipping the others."""
    for _ in range(50):
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
            return message  # type: ignore[no-any-return]
    raise AssertionError(f"no {kind} {fields}")


@pytest.fixture
async def session(server: ServerProcess) -> AsyncIterator[Session]:
    async with open_session(server) as opened:
        yield opened


@contextlib.asynccontextmanager
async def open_session(server: ServerProcess) -> AsyncIterator[Session]:
    """A session in viewing, with the agent's and the viewer's WebSockets open."""
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        csrf = csrf_of(client.get("/").text)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        async with websockets.connect(server.ws_url + "/ws/agent") as agent:
            await agent.send(json.dumps({"type": "hello", "protocol": 1, "role": "agent",
                                         "code": issued["code"], "hostname": "pc", "user": "bob"}))
            await receive(agent, "welcome")
            await agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
            async with websockets.connect(
                f"{server.ws_url}/ws/viewer/{issued['session_id']}",
                additional_headers={"Cookie": cookie},
            ) as viewer:
                await viewer.send(json.dumps({"type": "hello", "protocol": 1, "role": "viewer"}))
                await receive(viewer, "state", state="viewing")
                yield Session(server, client, csrf, issued["session_id"], agent, viewer)


def spool_files(server: ServerProcess) -> list[str]:
    return sorted(p.name for p in (server.data_dir / "spool").rglob("*.part"))


async def spool_emptied(server: ServerProcess) -> list[str]:
    """The spool's files once the server has had a moment to delete them (or not)."""
    for _ in range(50):
        if not spool_files(server):
            break
        await asyncio.sleep(0.1)
    return spool_files(server)


async def test_a_file_to_the_person_resumes_and_is_served_by_range(session: Session) -> None:
    await session.viewer.send(json.dumps(
        {"type": "file_offer", "id": ID, "name": "notes.bin", "size": len(DATA)}))
    offer = await receive(session.agent, "file_offer")
    assert (offer["name"], offer["direction"], offer["sender"]) == (
        "notes.bin", "to_person", "Alice Martin")
    await session.agent.send(json.dumps({"type": "file_answer", "id": ID, "accept": True}))
    await receive(session.viewer, "file_status", id=ID, state="accepted")

    half = len(DATA) // 2
    assert session.put(ID, 0, DATA[:half]).json()["received"] == half
    # A sender that lost track is told where the server stands, and resumes there.
    stale = session.put(ID, 0, DATA[:half])
    assert stale.status_code == 409 and stale.json()["received"] == half
    assert session.client.get(session.url(ID, "/upload")).json()["received"] == half
    # Without the CSRF header the console may not write.
    assert session.client.put(session.url(ID), params={"offset": half},
                              content=DATA[half:]).status_code == 403
    assert session.put(ID, half, DATA[half:]).json()["received"] == len(DATA)

    ticket = await receive(session.agent, "file_ticket", id=ID)
    assert ticket["sha256"] == hashlib.sha256(DATA).hexdigest()
    auth = {"Authorization": f"Bearer {ticket['token']}"}
    with httpx.Client(base_url=session.server.url, timeout=10) as agent_http:
        assert agent_http.get(session.url(ID)).status_code == 403  # no token
        assert agent_http.get(session.url(ID), headers={"Authorization": "Bearer x"}
                              ).status_code == 403
        ranged = agent_http.get(session.url(ID), headers={**auth, "Range": "bytes=1000-"})
        assert ranged.status_code == 206
        assert ranged.content == DATA[1000:]
        assert ranged.headers["content-range"] == f"bytes 1000-{len(DATA) - 1}/{len(DATA)}"
        assert agent_http.get(session.url(ID), headers={**auth, "Range": "bytes=9999999-"}
                              ).status_code == 416
    # The technician's console may not read what it sends the person.
    assert session.client.get(session.url(ID)).status_code == 403

    await session.agent.send(json.dumps(
        {"type": "file_result", "id": ID, "ok": True, "sha256": ticket["sha256"]}))
    await receive(session.viewer, "file_status", id=ID, state="delivered")
    assert await spool_emptied(session.server) == []
    events = session.client.get(f"/api/sessions/{session.session_id}/events").json()
    actions = [e["action"] for e in events if e["action"].startswith("file_")]
    assert actions == ["file_offered", "file_accepted", "file_uploaded", "file_delivered"]


async def test_a_file_from_the_person_is_checked_then_downloaded(session: Session) -> None:
    digest = hashlib.sha256(DATA).hexdigest()
    await session.agent.send(json.dumps({"type": "file_offer", "id": OTHER, "name": "photo.jpg",
                                         "size": len(DATA), "sha256": digest}))
    ticket = await receive(session.agent, "file_ticket", id=OTHER)
    offer = await receive(session.viewer, "file_offer", id=OTHER)
    assert (offer["direction"], offer["sender"]) == ("to_technician", "bob")
    auth = {"Authorization": f"Bearer {ticket['token']}"}
    with httpx.Client(base_url=session.server.url, timeout=10) as agent_http:
        url = session.url(OTHER)
        assert agent_http.put(url, params={"offset": 0}, content=DATA[:5000],
                              headers=auth).json()["received"] == 5000
        assert agent_http.get(url + "/upload", headers=auth).json()["received"] == 5000
        assert agent_http.put(url, params={"offset": 5000}, content=DATA[5000:],
                              headers=auth).status_code == 200
    await receive(session.viewer, "file_status", id=OTHER, state="ready")
    download = session.client.get(session.url(OTHER))
    assert download.content == DATA
    assert "photo.jpg" in download.headers["content-disposition"]
    assert spool_files(session.server) == [f"{OTHER}.part"]
    # The end of the session deletes what the technician did not take.
    await session.viewer.send(json.dumps({"type": "end"}))
    await receive(session.viewer, "ended")
    assert await spool_emptied(session.server) == []


async def test_a_result_for_a_file_already_complete_ends_nothing(session: Session) -> None:
    digest = hashlib.sha256(DATA[:100]).hexdigest()
    await session.agent.send(json.dumps({"type": "file_offer", "id": OTHER, "name": "a.txt",
                                         "size": 100, "sha256": digest}))
    ticket = await receive(session.agent, "file_ticket", id=OTHER)
    with httpx.Client(base_url=session.server.url, timeout=10) as agent_http:
        assert agent_http.put(session.url(OTHER), params={"offset": 0}, content=DATA[:100],
                              headers={"Authorization": f"Bearer {ticket['token']}"}
                              ).status_code == 200
    await receive(session.viewer, "file_status", id=OTHER, state="ready")
    # Before: the session ended with INTERNAL_ERROR. Now the message alone is
    # refused: the agent stays connected, and the file stays downloadable.
    await session.agent.send(json.dumps(
        {"type": "file_result", "id": OTHER, "ok": False, "reason": "write_error"}))
    await session.agent.send(json.dumps({"type": "chat", "text": "still here"}))
    line = await receive(session.viewer, "chat_message")
    assert line["text"] == "still here"
    assert session.client.get(session.url(OTHER)).content == DATA[:100]


async def test_a_file_whose_bytes_do_not_match_its_hash_is_not_kept(session: Session) -> None:
    digest = hashlib.sha256(b"hello").hexdigest()
    await session.agent.send(json.dumps({"type": "file_offer", "id": OTHER, "name": "a.txt",
                                         "size": 5, "sha256": digest}))
    ticket = await receive(session.agent, "file_ticket", id=OTHER)
    with httpx.Client(base_url=session.server.url, timeout=10) as agent_http:
        agent_http.put(session.url(OTHER), params={"offset": 0}, content=b"hellp",
                       headers={"Authorization": f"Bearer {ticket['token']}"})
    status = await receive(session.viewer, "file_status", id=OTHER, state="failed")
    assert status["reason"] == "checksum"
    assert await spool_emptied(session.server) == []
    assert session.client.get(session.url(OTHER)).status_code == 409


async def test_a_refused_or_malicious_offer_never_reaches_the_disk(session: Session) -> None:
    await session.viewer.send(json.dumps(
        {"type": "file_offer", "id": ID, "name": "../../.bashrc", "size": 5}))
    status = await receive(session.viewer, "file_status", id=ID)
    assert (status["state"], status["reason"]) == ("refused", "name_path")
    assert session.put(ID, 0, b"hello").status_code == 404

    await session.viewer.send(json.dumps(
        {"type": "file_offer", "id": OTHER, "name": "a.txt", "size": 5}))
    await receive(session.agent, "file_offer", id=OTHER)
    session.put(OTHER, 0, b"hel")
    await session.agent.send(json.dumps({"type": "file_answer", "id": OTHER, "accept": False}))
    status = await receive(session.viewer, "file_status", id=OTHER, state="refused")
    assert (status["by"], status["reason"]) == ("person", "declined")
    assert await spool_emptied(session.server) == []
    assert session.put(OTHER, 3, b"lo").status_code == 409
    events = session.client.get(f"/api/sessions/{session.session_id}/events").json()
    refused = [e for e in events if e["action"] == "file_refused"]
    assert [e["detail"]["why"] for e in refused] == ["name_path", "declined"]


async def test_more_bytes_than_offered_are_refused(session: Session) -> None:
    await session.viewer.send(json.dumps(
        {"type": "file_offer", "id": ID, "name": "a.txt", "size": 5}))
    await receive(session.agent, "file_offer", id=ID)
    assert session.put(ID, 0, b"hello, world").status_code == 413


def test_ranges_and_names_in_headers() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=3-", 10) == (3, 10)
    assert parse_range("bytes=10-", 10) == (10, 10)
    assert parse_range("bytes=2-4", 10) == (2, 5)
    for bad in ("bytes=-3", "bytes=11-", "items=0-", "bytes=0-1,3-4", "bytes=5-2"):
        with pytest.raises(ValueError):
            parse_range(bad, 10)
    header = content_disposition('Été "x".txt')
    assert header.startswith('attachment; filename="_t_ _x_.txt"')
    assert "filename*=UTF-8''%C3%89t%C3%A9%20%22x%22.txt" in header


async def test_a_one_gibibyte_upload_is_written_piece_by_piece() -> None:
    import os
    import tracemalloc
    from pathlib import Path

    from coupdemain.protocol import transfer as tr
    from coupdemain.server.transfers import SpoolFile, _receive

    piece = bytes(range(256)) * 256  # 64 KiB, as a network delivers it
    size = 1024**3

    class Body:
        async def stream(self) -> AsyncIterator[bytes]:
            for _ in range(size // len(piece)):
                yield piece

    spooled = SpoolFile(Path(os.devnull))
    transfer = tr.Transfer(ID, tr.TO_PERSON, "big.iso", size, "Alice", "token")
    tracemalloc.start()
    try:
        assert await _receive(Body(), spooled, transfer) == ""  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert spooled.received == size
    assert peak < 16 * 1024**2, f"{peak} bytes held at once"


async def test_the_settings_limit_directions_and_sizes(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "s", extra_env={
        "COUPDEMAIN_FILE_TRANSFER_DIRECTIONS": "to_technician",
        "COUPDEMAIN_FILE_TRANSFER_MAX_BYTES": "1000"})
    server.create_user("alice", "Alice Martin", "Entraide")
    server.start()
    try:
        async with open_session(server) as session:
            page = session.client.get(f"/sessions/{session.session_id}").text
            assert 'data-file-max-bytes="1000"' in page
            assert 'data-file-directions="to_technician"' in page
            await session.viewer.send(json.dumps(
                {"type": "file_offer", "id": ID, "name": "a.txt", "size": 5}))
            status = await receive(session.viewer, "file_status", id=ID)
            assert (status["state"], status["reason"]) == ("refused", "direction")
            await session.agent.send(json.dumps(
                {"type": "file_offer", "id": OTHER, "name": "big.iso", "size": 1001,
                 "sha256": "0" * 64}))
            status = await receive(session.agent, "file_status", id=OTHER)
            assert (status["state"], status["reason"]) == ("refused", "too_large")
    finally:
        server.stop()
