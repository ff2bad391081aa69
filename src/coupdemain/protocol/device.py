"""The managed device's protocol on ``/ws/device``: messages, versions, the signed challenge.

A device's service connects out and proves itself before anything else
(docs/reference/protocol.md, "Managed devices")::

    device → server   device_hello {protocol, device_id}
    server → device   challenge {nonce}                 (32 random bytes, base64)
    device → server   proof {signature}                 (Ed25519 over challenge_payload())
    server → device   device_welcome {...} | refused {reason, sentence}
    device → server   inventory {...} | heartbeat {}
    server → device   launch {launch_id, code, unattended, prompt_seconds, view_accepted}
    device → server   help_request {request_id, words} | help_cancel {request_id}
    server → device   help_update {request_id, state, technician, organisation}

Each message is one JSON text frame with a ``type``. Unknown keys are
ignored. No I/O here: ``ChallengeBook`` issues nonces and checks proofs
with an injected clock, so that its tests open no socket.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import CloseReason, RemoteProtocolError

# The device protocol this code speaks, and the oldest one it still accepts.
DEVICE_PROTOCOL_VERSION = 1
OLDEST_DEVICE_PROTOCOL = 1

NONCE_BYTES = 32
CHALLENGE_SECONDS = 30.0
# Bound to what is signed, so that a device signature means nothing elsewhere.
CHALLENGE_CONTEXT = b"coupdemain device challenge v1\x00"
MAX_DEVICE_MESSAGE_BYTES = 256 * 1024  # an inventory with many disks fits easily


# --- messages -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceHello:
    type: ClassVar[str] = "device_hello"
    protocol: int
    device_id: str


@dataclass(frozen=True, slots=True)
class Challenge:
    type: ClassVar[str] = "challenge"
    nonce: str


@dataclass(frozen=True, slots=True)
class Proof:
    type: ClassVar[str] = "proof"
    signature: str


@dataclass(frozen=True, slots=True)
class DeviceWelcome:
    type: ClassVar[str] = "device_welcome"
    device_id: str
    organisation: str
    policy: str
    heartbeat_seconds: float


@dataclass(frozen=True, slots=True)
class Refused:
    """The server will not serve this device; the sentence says why, for its log."""

    type: ClassVar[str] = "refused"
    reason: str          # version_too_old, version_too_new, unknown, revoked, bad_proof
    sentence: str


@dataclass(frozen=True, slots=True)
class Inventory:
    type: ClassVar[str] = "inventory"
    name: str
    os: str
    user: str
    hardware: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    type: ClassVar[str] = "heartbeat"


@dataclass(frozen=True, slots=True)
class Launch:
    """Start the agent on a session: join with this code; unattended gives consent itself."""

    type: ClassVar[str] = "launch"
    launch_id: str
    code: str
    unattended: bool
    prompt_seconds: float
    # The person asked for help (a help request taken): viewing is allowed by that
    # request; control still needs the person's click.
    view_accepted: bool = False


# --- help requests (the person's *Ask for help*) ----------------------------------

MAX_HELP_WORDS = 500  # "What is wrong?": a few sentences


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """The person asks for help; the device names the request (32 hex characters)."""

    type: ClassVar[str] = "help_request"
    request_id: str
    words: str = ""


@dataclass(frozen=True, slots=True)
class HelpCancel:
    """The person cancels their request."""

    type: ClassVar[str] = "help_cancel"
    request_id: str


@dataclass(frozen=True, slots=True)
class HelpUpdate:
    """What became of a request: open (queued), taken (by ``technician``), cancelled, ended."""

    type: ClassVar[str] = "help_update"
    request_id: str
    state: str
    technician: str = ""
    organisation: str = ""


DeviceMessage = (DeviceHello | Challenge | Proof | DeviceWelcome | Refused | Inventory
                 | Heartbeat | Launch | HelpRequest | HelpCancel | HelpUpdate)
DEVICE_SENDS: dict[str, type[Any]] = {
    c.type: c for c in (DeviceHello, Proof, Inventory, Heartbeat, HelpRequest, HelpCancel)}
SERVER_SENDS: dict[str, type[Any]] = {
    c.type: c for c in (Challenge, DeviceWelcome, Refused, Launch, HelpUpdate)}


def serialize(message: DeviceMessage) -> str:
    return json.dumps({"type": message.type, **asdict(message)}, separators=(",", ":"))


def parse(text: str | bytes, allowed: dict[str, type[Any]]) -> DeviceMessage:
    """One message from its JSON text.

    Raises:
        RemoteProtocolError: not JSON, an unknown type, or a missing or mistyped field.
    """
    if len(text) > MAX_DEVICE_MESSAGE_BYTES:
        raise RemoteProtocolError(f"a device message of {len(text)} bytes is too large")
    try:
        data = json.loads(text)
    except ValueError:
        raise RemoteProtocolError("a device message is not JSON") from None
    if not isinstance(data, dict):
        raise RemoteProtocolError("a device message must be a JSON object")
    kind = allowed.get(str(data.get("type")))
    if kind is None:
        raise RemoteProtocolError(f"device message type {data.get('type')!r} is not expected here")
    values: dict[str, Any] = {}
    for name in (f.name for f in fields(kind)):
        if name in data:
            values[name] = data[name]
    try:
        message: DeviceMessage = kind(**values)
    except TypeError:
        raise RemoteProtocolError(f"device message {kind.type!r} lacks a field") from None
    for name, value in values.items():
        expected = kind.__annotations__[name]
        if not _fits(value, expected):
            raise RemoteProtocolError(f"field {name!r} of {kind.type!r} has the wrong type")
    return message


def _fits(value: object, annotation: str) -> bool:
    checks: dict[str, tuple[type, ...]] = {
        "str": (str,), "int": (int,), "bool": (bool,), "float": (int, float),
        "dict[str, Any]": (dict,),
    }
    expected = checks.get(annotation)
    if expected is None:
        return True
    if annotation in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, expected)


# --- versions -------------------------------------------------------------------


def version_refusal(theirs: int) -> Refused | None:
    """None if the server speaks this device protocol; else the refusal that says why."""
    if theirs < OLDEST_DEVICE_PROTOCOL:
        return Refused("version_too_old", (
            f"This agent speaks device protocol {theirs}, which this server no longer "
            f"accepts (it speaks {OLDEST_DEVICE_PROTOCOL} to {DEVICE_PROTOCOL_VERSION}). "
            "Update the agent on this computer."))
    if theirs > DEVICE_PROTOCOL_VERSION:
        return Refused("version_too_new", (
            f"This agent speaks device protocol {theirs}, newer than this server's "
            f"({OLDEST_DEVICE_PROTOCOL} to {DEVICE_PROTOCOL_VERSION}). "
            "Update the server, or install the agent of the server's version."))
    return None


# --- the challenge ----------------------------------------------------------------


class ProofRefused(RemoteProtocolError):
    """The device's proof does not open anything."""

    close_reason = CloseReason.UNAUTHORIZED


def challenge_payload(device_id: str, nonce: bytes) -> bytes:
    """What the device signs: a fixed context, its own id and the server's nonce."""
    return CHALLENGE_CONTEXT + device_id.encode() + b"\x00" + nonce


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes in base64.

    Raises:
        ValueError: not base64, or not 32 bytes.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The device's public key must be 32 bytes in base64.") from None
    if len(raw) != 32:
        raise ValueError(
            f"The device's public key must be 32 bytes in base64, not {len(raw)} bytes.")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(slots=True)
class _Issued:
    device_id: str
    at: float


class ChallengeBook:
    """The nonces the server gave devices; each opens once, within ``lifetime`` seconds.

    A signature recorded off the wire is worth nothing later: the nonce it
    signed was used (or expired), and a new connection gets a new nonce.
    """

    def __init__(self, lifetime: float = CHALLENGE_SECONDS) -> None:
        self.lifetime = lifetime
        self._issued: dict[bytes, _Issued] = {}

    def issue(self, device_id: str, now: float) -> bytes:
        self._forget_old(now)
        nonce = secrets.token_bytes(NONCE_BYTES)
        self._issued[nonce] = _Issued(device_id, now)
        return nonce

    def check(self, device_id: str, nonce: bytes, signature_b64: str, public_key: str,
              now: float) -> None:
        """Accepts the proof once, or raises.

        Raises:
            ProofRefused: a nonce never issued or used already, one issued to
                another device, one too old, or a signature that does not verify.
        """
        issued = self._issued.pop(nonce, None)
        if issued is None:
            raise ProofRefused("this challenge was not issued, or was answered already")
        if issued.device_id != device_id:
            raise ProofRefused("this challenge was issued to another device")
        if now - issued.at > self.lifetime:
            raise ProofRefused("this challenge expired")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            public_key_from_text(public_key).verify(
                signature, challenge_payload(device_id, nonce))
        except (InvalidSignature, ValueError, binascii.Error):
            raise ProofRefused("the signature does not match the device's key") from None

    def _forget_old(self, now: float) -> None:
        old = [n for n, i in self._issued.items() if now - i.at > self.lifetime]
        for nonce in old:
            del self._issued[nonce]


def encode_nonce(nonce: bytes) -> str:
    return base64.b64encode(nonce).decode()


def decode_nonce(text: str) -> bytes:
    """Raises RemoteProtocolError if the text is not a base64 nonce of the right size."""
    try:
        nonce = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RemoteProtocolError("the challenge is not base64") from None
    if len(nonce) != NONCE_BYTES:
        raise RemoteProtocolError(f"the challenge must be {NONCE_BYTES} bytes")
    return nonce
