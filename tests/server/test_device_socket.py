"""``/ws/device`` in process: only the enrolled key's fresh signature opens it."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from coupdemain.agent.device.identity import DeviceIdentity
from coupdemain.protocol import device as d
from coupdemain.protocol.errors import CloseReason
from tests.support.app import InProcessServer
from tests.support.desktop import wait_for


def enrol(app: InProcessServer, folder: Path) -> tuple[DeviceIdentity, str]:
    root = app.people["root"]
    token = app.client.post("/api/devices/tokens", json={"group": "Kiosks"},
                            headers={**root.headers, "X-CSRF-Token": root.csrf}).json()["token"]
    identity = DeviceIdentity(folder)
    public = identity.make_key()
    answer = app.client.post("/api/devices/enrol", json={"token": token, "public_key": public})
    assert answer.status_code == 200, answer.text
    return identity, str(answer.json()["device_id"])


def hello(ws: WebSocketTestSession, device_id: str) -> bytes:
    ws.send_text(d.serialize(d.DeviceHello(d.DEVICE_PROTOCOL_VERSION, device_id)))
    challenge = d.parse(ws.receive_text(), d.SERVER_SENDS)
    assert isinstance(challenge, d.Challenge)
    return d.decode_nonce(challenge.nonce)


def refusal(ws: WebSocketTestSession) -> tuple[d.DeviceMessage, int]:
    message = d.parse(ws.receive_text(), d.SERVER_SENDS)
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_text()
    return message, closed.value.code


BAD_PROOF = d.Refused("bad_proof", "This device could not prove who it is: its key does not "
                      "match the one enrolled. Enrol it again.")


def test_the_enrolled_key_opens_and_another_does_not(app: InProcessServer, tmp_path: Path) -> None:
    identity, device_id = enrol(app, tmp_path / "device")
    with app.client.websocket_connect("/ws/device") as ws:
        nonce = hello(ws, device_id)
        ws.send_text(d.serialize(d.Proof(identity.sign_challenge(device_id, nonce))))
        welcome = d.parse(ws.receive_text(), d.SERVER_SENDS)
        assert isinstance(welcome, d.DeviceWelcome)
        assert (welcome.organisation, welcome.policy) == ("Entraide Numérique", "ask")
    thief = DeviceIdentity(tmp_path / "thief")
    thief.make_key()
    with app.client.websocket_connect("/ws/device") as ws:
        nonce = hello(ws, device_id)
        ws.send_text(d.serialize(d.Proof(thief.sign_challenge(device_id, nonce))))
        assert refusal(ws) == (BAD_PROOF, CloseReason.UNAUTHORIZED)


def test_a_replayed_proof_opens_nothing(app: InProcessServer, tmp_path: Path) -> None:
    identity, device_id = enrol(app, tmp_path / "device")
    with app.client.websocket_connect("/ws/device") as ws:
        nonce = hello(ws, device_id)
        proof = d.serialize(d.Proof(identity.sign_challenge(device_id, nonce)))
        ws.send_text(proof)
        assert isinstance(d.parse(ws.receive_text(), d.SERVER_SENDS), d.DeviceWelcome)
    with app.client.websocket_connect("/ws/device") as ws:
        hello(ws, device_id)  # a new nonce: the recorded proof signed the old one
        ws.send_text(proof)
        assert refusal(ws) == (BAD_PROOF, CloseReason.UNAUTHORIZED)


def test_a_revoked_device_is_cut_off_and_refused(app: InProcessServer, tmp_path: Path) -> None:
    identity, device_id = enrol(app, tmp_path / "device")
    root = app.people["root"]
    with app.client.websocket_connect("/ws/device") as ws:
        nonce = hello(ws, device_id)
        ws.send_text(d.serialize(d.Proof(identity.sign_challenge(device_id, nonce))))
        assert isinstance(d.parse(ws.receive_text(), d.SERVER_SENDS), d.DeviceWelcome)
        answer = app.client.post(f"/api/devices/{device_id}/revoke",
                                 headers={**root.headers, "X-CSRF-Token": root.csrf})
        assert answer.status_code == 200
        revoked = d.Refused("revoked", "This device was revoked. Enrol it again to reach it.")
        assert refusal(ws) == (revoked, CloseReason.UNAUTHORIZED)
    with app.client.websocket_connect("/ws/device") as ws:
        ws.send_text(d.serialize(d.DeviceHello(d.DEVICE_PROTOCOL_VERSION, device_id)))
        assert refusal(ws) == (revoked, CloseReason.UNAUTHORIZED)


def test_technicians_may_not_revoke_or_make_tokens(app: InProcessServer, tmp_path: Path) -> None:
    _, device_id = enrol(app, tmp_path / "device")
    alice = app.people["alice"]
    headers = {**alice.headers, "X-CSRF-Token": alice.csrf}
    for path in (f"/api/devices/{device_id}/revoke", "/api/devices/tokens"):
        answer = app.client.post(path, headers=headers, json={})
        assert (answer.status_code, answer.json()) == (403, {"error": "Only an admin may do this."})


def test_an_offline_device_cannot_be_launched(app: InProcessServer, tmp_path: Path) -> None:
    _, device_id = enrol(app, tmp_path / "device")
    alice = app.people["alice"]
    answer = app.client.post(f"/api/devices/{device_id}/control",
                             headers={**alice.headers, "X-CSRF-Token": alice.csrf})
    assert (answer.status_code, answer.json()) == (400, {"error": (
        "This device is not online: its service is not connected. Try again once it is.")})
    other = app.people["other"]
    answer = app.client.post(f"/api/devices/{device_id}/control",
                             headers={**other.headers, "X-CSRF-Token": other.csrf})
    # A device out of reach is answered as one that does not exist (server/groups.py).
    assert (answer.status_code, answer.json()) == (404, {"error": "There is no such device."})


def test_a_key_that_is_not_32_bytes_is_refused(app: InProcessServer) -> None:
    root = app.people["root"]
    token = app.client.post("/api/devices/tokens", json={},
                            headers={**root.headers, "X-CSRF-Token": root.csrf}).json()["token"]
    answer = app.client.post("/api/devices/enrol", json={
        "token": token, "public_key": base64.b64encode(b"x" * 16).decode()})
    assert (answer.status_code, answer.json()) == (400, {
        "error": "The device's public key must be 32 bytes in base64, not 16 bytes.",
        "reason": "bad_public_key"})


def test_a_launch_dies_with_the_services_connection(app: InProcessServer, tmp_path: Path) -> None:
    identity, device_id = enrol(app, tmp_path / "device")
    alice = app.people["alice"]
    headers = {**alice.headers, "X-CSRF-Token": alice.csrf}
    with app.client.websocket_connect("/ws/device") as ws:
        nonce = hello(ws, device_id)
        ws.send_text(d.serialize(d.Proof(identity.sign_challenge(device_id, nonce))))
        assert isinstance(d.parse(ws.receive_text(), d.SERVER_SENDS), d.DeviceWelcome)
        answer = app.client.post(f"/api/devices/{device_id}/control", headers=headers)
        assert answer.status_code == 200, answer.text
        session_id = answer.json()["session_id"]
        launch = d.parse(ws.receive_text(), d.SERVER_SENDS)
        assert isinstance(launch, d.Launch)
        # The group's policy is "ask", with its time to answer.
        assert (launch.launch_id, launch.unattended, launch.prompt_seconds) == (
            session_id, False, 60.0)
        assert len(launch.code) == 9 and launch.code.isdigit()
    # The service left before its agent joined: the launch ended with it (the server
    # learns of the close on its own thread).
    def ended() -> list[dict[str, Any]] | None:
        events: list[dict[str, Any]] = app.client.get(
            f"/api/sessions/{session_id}/events", headers=alice.headers).json()
        return events if events[-1]["action"] == "session_ended" else None

    events = wait_for(ended, "the launch to end", timeout=10)
    assert events[-1]["detail"]["reason"] == "peer_lost"
