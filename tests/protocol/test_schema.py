"""The schema exported from the Python definitions, and the viewer's tables generated from it."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coupdemain.protocol import enums, schema
from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import CloseReason, LocalProtocolError
from coupdemain.protocol.session import Role, SupportSession

ROOT = Path(__file__).resolve().parents[2]
WIRE_JS = ROOT / "web" / "viewer" / "wire.js"


def test_the_committed_wire_js_is_a_fresh_generation() -> None:
    assert WIRE_JS.read_text(encoding="utf-8") == schema.wire_js(), (
        "web/viewer/wire.js is stale: run "
        "python -m coupdemain.protocol.schema --js web/viewer/wire.js")


def test_every_message_and_field_is_in_the_schema() -> None:
    described = schema.schema()
    assert set(described["messages"]) == set(m.MESSAGE_TYPES)
    state = {f["name"]: f for f in described["messages"]["state"]["fields"]}
    assert state["state"] == {"name": "state", "type": "string", "enum": "State", "required": True}
    assert state["paused"] == {"name": "paused", "type": "boolean", "default": False}
    by = {f["name"]: f for f in described["messages"]["file_status"]["fields"]}["by"]
    assert by == {"name": "by", "type": "string", "enum": "By", "empty": True, "default": ""}
    assert described["messages"]["hello"]["sent_by"] == ["agent", "viewer"]
    assert described["close_reasons"]["4033"] == "TAKEN_OVER"
    assert described["encodings"]["3"] == "h264"


def test_every_wire_enum_is_exported() -> None:
    defined = {value for value in vars(enums).values()
               if isinstance(value, type) and issubclass(value, enum.StrEnum)
               and value.__module__ == enums.__name__}
    assert defined == set(schema.WIRE_ENUMS)
    used = {f["enum"] for spec in schema.schema()["messages"].values()
            for f in spec["fields"] if "enum" in f}
    assert used <= {cls.__name__ for cls in schema.WIRE_ENUMS}


def test_the_schema_is_printed_as_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coupdemain.protocol.schema"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(result.stdout)["enums"]["Role"] == ["agent", "viewer"]


def test_the_session_sends_a_viewer_only_what_the_viewer_reads() -> None:
    session = SupportSession("s", "Alice", "Entraide", 100.0)
    with pytest.raises(LocalProtocolError) as caught:
        session._send(Role.VIEWER, m.Welcome("s", "Alice", "Entraide"))
    assert str(caught.value) == "'welcome' is not a message the server sends a viewer"
    session._send(Role.VIEWER, m.Ended(enums.By.SERVER, int(CloseReason.SERVER_SHUTDOWN)))
    assert [out.message.type for out in session.data_to_send()] == ["ended"]
