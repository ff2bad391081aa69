"""docs/reference/protocol.md stays true to the protocol's code."""

from __future__ import annotations

import re
from pathlib import Path

from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.errors import CloseReason
from coupdemain.protocol.messages import MESSAGE_TYPES
from coupdemain.protocol.schema import WIRE_ENUMS

PROTOCOL_DOC = (Path(__file__).parents[1] / "docs" / "reference" / "protocol.md").read_text()


def test_every_message_has_a_section() -> None:
    missing = [t for t in MESSAGE_TYPES if f"\n### {t}\n" not in PROTOCOL_DOC]
    assert missing == []


def test_every_close_code_is_listed() -> None:
    missing = [r.name for r in CloseReason if f"| {int(r)} | {r.name} |" not in PROTOCOL_DOC]
    assert missing == []


def test_every_enum_is_listed_with_its_values() -> None:
    missing = [cls.__name__ for cls in WIRE_ENUMS
               if f"| {cls.__name__} | {', '.join(member.value for member in cls)} |"
               not in PROTOCOL_DOC]
    assert missing == []


def test_every_encoding_is_listed() -> None:
    missing = [e.name for e in Encoding if f"| {int(e)} | {e.name.lower()} |" not in PROTOCOL_DOC]
    assert missing == []


def test_every_python_file_the_architecture_names_exists() -> None:
    root = Path(__file__).parents[1]
    text = (root / "docs" / "topics" / "architecture.md").read_text()
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    assert named
    places = (root, root / "src" / "coupdemain", root / "src" / "coupdemain" / "agent")
    missing = sorted(n for n in named if not any((place / n).is_file() for place in places))
    assert missing == []
