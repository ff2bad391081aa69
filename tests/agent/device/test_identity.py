"""The device's key: made 0600 in a 0700 folder, and its proof opens the server's challenge."""

from __future__ import annotations

import stat
from pathlib import Path

from coupdemain.agent.device.identity import DeviceIdentity, Enrolment
from coupdemain.protocol.device import ChallengeBook


def test_the_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    identity = DeviceIdentity(tmp_path / "device")
    identity.make_key()
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(identity.folder.stat().st_mode) == 0o700


def test_the_proof_opens_the_challenge(tmp_path: Path) -> None:
    identity = DeviceIdentity(tmp_path / "device")
    public = identity.make_key()
    book = ChallengeBook()
    nonce = book.issue("dev1", now=0.0)
    book.check("dev1", nonce, identity.sign_challenge("dev1", nonce), public, now=1.0)


def test_the_enrolment_is_kept(tmp_path: Path) -> None:
    identity = DeviceIdentity(tmp_path / "device")
    assert identity.enrolled() is None
    identity.make_key()
    identity.save(Enrolment("http://127.0.0.1:1", "dev1", "Entraide", "ask"))
    assert identity.enrolled() == Enrolment("http://127.0.0.1:1", "dev1", "Entraide", "ask")
