"""The device's folder: its private key (mode 0600) and ``device.json`` (server, id, organisation).

The folder is ``--config-dir``, else ``$COUPDEMAIN_DEVICE_DIR``, else
``/etc/coupdemain/device`` for root (a system service) and
``$XDG_CONFIG_HOME/coupdemain/device`` for anyone else. Only the
service's account may read the key: the folder is 0700, the file 0600.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ...protocol.device import challenge_payload

KEY_FILE = "device.key"
STATE_FILE = "device.json"


def default_folder(system: bool | None = None) -> Path:
    """The device's folder: for a system service (root's default) in /etc, else the user's.

    ``COUPDEMAIN_DEVICE_DIR`` wins over both.
    """
    if given := os.environ.get("COUPDEMAIN_DEVICE_DIR"):
        return Path(given).expanduser()
    if system is None:
        system = hasattr(os, "geteuid") and os.geteuid() == 0
    if system:
        return Path("/etc/coupdemain/device")
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "coupdemain" / "device"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the device keeps of its enrolment, beside its key."""

    server: str
    device_id: str
    organisation: str
    policy: str


class DeviceIdentity:
    """The device's key and enrolment, in its folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def key_path(self) -> Path:
        return self.folder / KEY_FILE

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def enrolled(self) -> Enrolment | None:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            return Enrolment(**{k: str(data[k]) for k in Enrolment.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def make_key(self) -> str:
        """Makes a new key pair, writes the private key 0600; returns the public key (base64).

        A key left by an enrolment that did not finish is replaced.
        """
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        self.key_path.unlink(missing_ok=True)
        # Created 0600 at once: the umask can only remove bits.
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def save(self, enrolment: Enrolment) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(enrolment), indent=2), encoding="utf-8")
        tmp.replace(self.state_path)

    def sign_challenge(self, device_id: str, nonce: bytes) -> str:
        """The proof for the server's challenge: an Ed25519 signature in base64."""
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{self.key_path} is not an Ed25519 key")
        return base64.b64encode(key.sign(challenge_payload(device_id, nonce))).decode()
