"""What a downloaded single-file agent carries at its end: the server's address, and an
enrolment token for a managed device's download.

The server serves the agent's executable (``scripts/build-agent.sh``) with a
short trailer appended, so that the person never types an address:

    payload   UTF-8 JSON, e.g. {"server":"https://help.example.org"}, and
              "enrolment_token" in the file an admin downloads to enrol devices
    u32       the payload's length in bytes, big-endian
    magic     the 16 bytes ``coupdemain-cfg:1\\n``

A PyInstaller executable keeps its own archive in an ELF section, found
through the ELF headers, so bytes after the end of the file change
nothing when it runs (checked by tests/e2e/test_single_file.py). The
trailer is not signed: a signature would need a key the agent already
trusts, and whoever can change the file can change the code as well. The
page shows the SHA-256 of the very bytes it serves, trailer included.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"coupdemain-cfg:1\n"
MAX_PAYLOAD_BYTES = 4096
_LENGTH = struct.Struct(">I")
TAIL_BYTES = _LENGTH.size + len(MAGIC)


MAX_TOKEN_CHARS = 200


@dataclass(frozen=True, slots=True)
class AgentFileConfig:
    """The settings written into a served agent.

    ``enrolment_token`` is set only in the file an admin downloads for
    managed devices: run, it enrols the computer (after the person or the
    admin confirms) instead of asking for a support code.
    """

    server: str  # the server's address, e.g. https://help.example.org
    enrolment_token: str = dataclasses.field(default="", repr=False)


def trailer(config: AgentFileConfig) -> bytes:
    """The bytes appended to the executable to carry ``config``."""
    fields = {"server": config.server}
    if config.enrolment_token:
        fields["enrolment_token"] = config.enrolment_token
    payload = json.dumps(fields, separators=(",", ":")).encode()
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"Server address {config.server!r} is too long for the agent's file.")
    return payload + _LENGTH.pack(len(payload)) + MAGIC


def parse_trailer(end: bytes) -> AgentFileConfig | None:
    """The config at the end of ``end`` (the file's last bytes), or None if it has none.

    A file without the magic, or with a damaged trailer, has no config: the
    agent then asks for the address as the ``coupdemain get-help`` command does.
    """
    if len(end) < TAIL_BYTES or not end.endswith(MAGIC):
        return None
    (length,) = _LENGTH.unpack_from(end, len(end) - TAIL_BYTES)
    if length > MAX_PAYLOAD_BYTES or length > len(end) - TAIL_BYTES:
        return None
    payload = end[len(end) - TAIL_BYTES - length:len(end) - TAIL_BYTES]
    try:
        data = json.loads(payload.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    server = data.get("server") if isinstance(data, dict) else None
    if not isinstance(server, str) or not server:
        return None
    token = data.get("enrolment_token", "")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        token = ""  # a damaged token: the file still helps with a code
    return AgentFileConfig(server=server, enrolment_token=token)


def trailer_length(path: Path) -> int:
    """How many bytes at the end of ``path`` are its trailer (0 for none)."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - TAIL_BYTES))
            end = file.read()
    except OSError:
        return 0
    if len(end) < TAIL_BYTES or not end.endswith(MAGIC):
        return 0
    (length,) = _LENGTH.unpack_from(end, 0)
    return length + TAIL_BYTES if length <= MAX_PAYLOAD_BYTES else 0


def read_config(path: Path) -> AgentFileConfig | None:
    """The config an executable carries at its end, or None (no trailer, or unreadable)."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            start = max(0, size - TAIL_BYTES - MAX_PAYLOAD_BYTES)
            file.seek(start)
            return parse_trailer(file.read())
    except OSError:
        return None
