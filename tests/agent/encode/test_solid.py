from __future__ import annotations

from coupdemain.agent.encode.solid import SolidEncoder
from coupdemain.protocol.encodings import Encoding
from tests.agent.images import bgra


def test_payload_is_rgb() -> None:
    assert SolidEncoder().encode(bgra(64, 64, (10, 20, 30))) == bytes((10, 20, 30))


def test_encoding_id() -> None:
    assert SolidEncoder.encoding is Encoding.SOLID
