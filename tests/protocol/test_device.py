"""The device protocol without sockets: messages, versions, and the signed challenge."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coupdemain.protocol import device as d
from coupdemain.protocol.errors import RemoteProtocolError


def key_pair() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return key, base64.b64encode(raw).decode()


def sign(key: Ed25519PrivateKey, device_id: str, nonce: bytes) -> str:
    return base64.b64encode(key.sign(d.challenge_payload(device_id, nonce))).decode()


def test_a_good_proof_opens_once() -> None:
    key, public = key_pair()
    book = d.ChallengeBook()
    nonce = book.issue("dev1", now=100.0)
    book.check("dev1", nonce, sign(key, "dev1", nonce), public, now=101.0)


def test_a_replayed_proof_is_refused() -> None:
    key, public = key_pair()
    book = d.ChallengeBook()
    nonce = book.issue("dev1", now=100.0)
    proof = sign(key, "dev1", nonce)
    book.check("dev1", nonce, proof, public, now=101.0)
    with pytest.raises(d.ProofRefused) as refused:
        book.check("dev1", nonce, proof, public, now=102.0)
    assert str(refused.value) == "this challenge was not issued, or was answered already"


def test_a_proof_of_another_key_is_refused() -> None:
    _, public = key_pair()
    thief, _ = key_pair()
    book = d.ChallengeBook()
    nonce = book.issue("dev1", now=100.0)
    with pytest.raises(d.ProofRefused) as refused:
        book.check("dev1", nonce, sign(thief, "dev1", nonce), public, now=100.5)
    assert str(refused.value) == "the signature does not match the device's key"


def test_a_tampered_or_garbled_signature_is_refused() -> None:
    key, public = key_pair()
    book = d.ChallengeBook()
    for proof in ("not base64!", base64.b64encode(b"\x00" * 64).decode()):
        nonce = book.issue("dev1", now=100.0)
        with pytest.raises(d.ProofRefused) as refused:
            book.check("dev1", nonce, proof, public, now=100.5)
        assert str(refused.value) == "the signature does not match the device's key"
    nonce = book.issue("dev1", now=100.0)
    good = base64.b64decode(sign(key, "dev1", nonce))
    flipped = base64.b64encode(bytes([good[0] ^ 1]) + good[1:]).decode()
    with pytest.raises(d.ProofRefused):
        book.check("dev1", nonce, flipped, public, now=100.5)


def test_a_signature_for_another_device_is_refused() -> None:
    """A device signing its own id cannot answer for another: the id is in what is signed."""
    key, public = key_pair()
    book = d.ChallengeBook()
    nonce = book.issue("dev1", now=100.0)
    with pytest.raises(d.ProofRefused) as refused:
        book.check("dev2", nonce, sign(key, "dev2", nonce), public, now=100.5)
    assert str(refused.value) == "this challenge was issued to another device"


def test_a_late_proof_is_refused() -> None:
    key, public = key_pair()
    book = d.ChallengeBook(lifetime=30.0)
    nonce = book.issue("dev1", now=100.0)
    with pytest.raises(d.ProofRefused) as refused:
        book.check("dev1", nonce, sign(key, "dev1", nonce), public, now=131.0)
    assert str(refused.value) == "this challenge expired"


def test_old_challenges_are_forgotten() -> None:
    book = d.ChallengeBook(lifetime=30.0)
    old = book.issue("dev1", now=0.0)
    book.issue("dev1", now=100.0)
    key, public = key_pair()
    with pytest.raises(d.ProofRefused) as refused:
        book.check("dev1", old, sign(key, "dev1", old), public, now=100.0)
    assert str(refused.value) == "this challenge was not issued, or was answered already"


def test_versions_outside_the_range_get_a_sentence() -> None:
    assert d.version_refusal(d.DEVICE_PROTOCOL_VERSION) is None
    too_new = d.version_refusal(d.DEVICE_PROTOCOL_VERSION + 1)
    assert too_new is not None and too_new.reason == "version_too_new"
    assert too_new.sentence == (
        "This agent speaks device protocol 2, newer than this server's (1 to 1). "
        "Update the server, or install the agent of the server's version.")
    too_old = d.version_refusal(0)
    assert too_old is not None and too_old.sentence == (
        "This agent speaks device protocol 0, which this server no longer accepts "
        "(it speaks 1 to 1). Update the agent on this computer.")


def test_messages_round_trip() -> None:
    launch = d.Launch("s1", "482913705", True, 30.0)
    assert d.parse(d.serialize(launch), d.SERVER_SENDS) == launch
    inventory = d.Inventory("pc", "Linux", "marie", {"cpus": 4})
    assert d.parse(d.serialize(inventory), d.DEVICE_SENDS) == inventory


@pytest.mark.parametrize(("text", "error"), [
    ("not json", "a device message is not JSON"),
    ("[1]", "a device message must be a JSON object"),
    ('{"type": "launch"}', "device message type 'launch' is not expected here"),
    ('{"type": "device_hello", "protocol": 1}', "device message 'device_hello' lacks a field"),
    ('{"type": "device_hello", "protocol": "1", "device_id": "x"}',
     "field 'protocol' of 'device_hello' has the wrong type"),
])
def test_bad_messages_are_refused_with_a_sentence(text: str, error: str) -> None:
    with pytest.raises(RemoteProtocolError) as refused:
        d.parse(text, d.DEVICE_SENDS)
    assert str(refused.value) == error


def test_a_public_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError) as refused:
        d.public_key_from_text(base64.b64encode(b"x" * 31).decode())
    assert str(refused.value) == "The device's public key must be 32 bytes in base64, not 31 bytes."
