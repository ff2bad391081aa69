"""The wire protocol as data, read off the Python definitions, and the viewer's copy of it.

``schema()`` is one JSON-ready description of the protocol: every control
message with its fields (name, type, required or its default, the enum it
takes its values from) and who sends it, every enum with its values, the
close reasons (number → name), the rect encodings and the binary messages'
constants. Nothing in it is written by hand: it is read from
``messages.py``, ``frames.py``, ``enums.py``, ``errors.py`` and
``encodings.py``.

The viewer has no build step, so its tables are generated from the schema
into a committed module, ``web/viewer/wire.js``, which ``protocol.js`` and
``view.js`` import; ``tests/protocol/test_schema.py`` fails when the
committed file differs from a fresh generation. Regenerate it with::

    python -m coupdemain.protocol.schema --js web/viewer/wire.js

``python -m coupdemain.protocol.schema`` alone prints the schema as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

from . import enums, frames
from . import messages as m
from .encodings import BASELINE, Encoding
from .errors import CloseReason
from .session import SHARING_STATES

# JSON's names for the Python types a field may have.
_KINDS: dict[Any, str] = {
    str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object",
}
WIRE_ENUMS: tuple[type[enum.StrEnum], ...] = (
    enums.State, enums.Role, enums.By, enums.Author, enums.ViewAnswer, enums.ControlAnswer,
    enums.Direction, enums.TransferState, enums.Severity, enums.AgentKind, enums.IcePolicy,
    enums.ActionKind, enums.ActionReply, enums.Tool, enums.PersonRole, enums.RecordingPolicy,
)


def _field(field: dataclasses.Field[Any], annotation: Any) -> dict[str, Any]:
    """One field: its JSON kind, the enum its values come from, required or its default."""
    described: dict[str, Any] = {"name": field.name}
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (
        types.UnionType, typing.Union) else (annotation,)
    for option in options:
        if isinstance(option, type) and issubclass(option, enum.StrEnum):
            described.update(type="string", enum=option.__name__)
        elif typing.get_origin(option) is Literal:
            described["empty"] = True  # "" is allowed beside the enum's values
        else:
            described["type"] = _KINDS[typing.get_origin(option) or option]
    if field.default is not dataclasses.MISSING:
        described["default"] = field.default
    elif field.default_factory is not dataclasses.MISSING:
        described["default"] = field.default_factory()
    else:
        described["required"] = True
    return described


def _senders(cls: type[m.Message]) -> list[str]:
    return [side for side, sends in (
        ("agent", m.AGENT_SENDS), ("viewer", m.VIEWER_SENDS), ("server", m.SERVER_SENDS)
    ) if cls in sends]


def schema() -> dict[str, Any]:
    """The protocol, as JSON-ready data (see the module's docstring)."""
    described: dict[str, Any] = {}
    for kind, cls in sorted(m.MESSAGE_TYPES.items()):
        hints = typing.get_type_hints(cls)
        described[kind] = {
            "class": cls.__name__,
            "fields": [_field(field, hints[field.name]) for field in dataclasses.fields(cls)],
            "sent_by": _senders(cls),
            "to_viewer": cls in m.TO_VIEWER,
        }
    return {
        "version": m.PROTOCOL_VERSION,
        "limits": {
            "MAX_CONTROL_MESSAGE_BYTES": m.MAX_CONTROL_MESSAGE_BYTES,
            "MAX_FRAME_MESSAGE_BYTES": frames.MAX_FRAME_MESSAGE_BYTES,
            "MAX_CHAT_CHARACTERS": m.MAX_CHAT_CHARACTERS,
            "MAX_STEP_CHARACTERS": m.MAX_STEP_CHARACTERS,
            "MAX_MONITORS": m.MAX_MONITORS,
            "ALL_MONITORS": m.ALL_MONITORS,
            "MAX_CURSOR_SIDE": frames.MAX_CURSOR_SIDE,
        },
        "messages": described,
        "enums": {cls.__name__: [member.value for member in cls] for cls in WIRE_ENUMS},
        "sharing_states": [state.value for state in enums.State if state in SHARING_STATES],
        "close_reasons": {str(int(reason)): reason.name for reason in CloseReason},
        "encodings": {str(int(encoding)): encoding.name.lower() for encoding in Encoding},
        "baseline_encodings": sorted(int(encoding) for encoding in BASELINE),
        "binary": {
            "FRAME_KIND_UPDATE": frames.FRAME_KIND_UPDATE,
            "FRAME_KIND_CURSOR_SHAPE": frames.FRAME_KIND_CURSOR_SHAPE,
            "FRAME_KIND_CURSOR_POSITION": frames.FRAME_KIND_CURSOR_POSITION,
            "FLAG_KEYFRAME": frames.FLAG_KEYFRAME,
            "FRAME_HEADER_BYTES": frames.FRAME_HEADER_BYTES,
            "RECT_HEADER_BYTES": frames.RECT_HEADER_BYTES,
            "CURSOR_SHAPE_HEADER_BYTES": frames.CURSOR_SHAPE_HEADER_BYTES,
            "CURSOR_POSITION_BYTES": frames.CURSOR_POSITION_BYTES,
        },
    }


def _js(value: object) -> str:
    return json.dumps(value, indent=4, ensure_ascii=False)


def wire_js(described: dict[str, Any] | None = None) -> str:
    """``web/viewer/wire.js``: the schema's tables as ES module constants."""
    s = described if described is not None else schema()
    messages = s["messages"]
    lines = [
        "// GENERATED from the Python definitions by src/coupdemain/protocol/schema.py:",
        "// do not edit. Regenerate with",
        "//     python -m coupdemain.protocol.schema --js web/viewer/wire.js",
        "// tests/protocol/test_schema.py fails when this file is not a fresh generation.",
        "",
        f"export const PROTOCOL_VERSION = {s['version']};",
    ]
    lines += [f"export const {name} = {value};" for name, value in s["limits"].items()]
    lines += [f"export const {name} = {value};" for name, value in s["binary"].items()]
    lines += [
        "",
        "/** Message type names, as the `type` field carries them. */",
        "export const MessageType = Object.freeze("
        + _js({kind.upper(): kind for kind in messages}) + ");",
        "",
        "/** Each message's fields: JSON kind, required or its default, the enum of its values",
        " *  (\"empty\": \"\" is allowed too). */",
        "export const FIELDS = Object.freeze("
        + _js({kind: {f["name"]: {k: v for k, v in f.items() if k != "name"}
                      for f in spec["fields"]} for kind, spec in messages.items()}) + ");",
        "",
        "/** The messages a viewer may send (messages.py's VIEWER_SENDS). */",
        "export const VIEWER_SENDS = Object.freeze(new Set("
        + _js([k for k, spec in messages.items() if "viewer" in spec["sent_by"]]) + "));",
        "",
        "/** The messages the server sends a viewer (messages.py's TO_VIEWER). */",
        "export const VIEWER_RECEIVES = Object.freeze(new Set("
        + _js([k for k, spec in messages.items() if spec["to_viewer"]]) + "));",
        "",
        "/** The closed sets of values (protocol/enums.py), NAME: value. */",
        "export const ENUMS = Object.freeze("
        + _js({name: {value.upper(): value for value in values}
               for name, values in s["enums"].items()}) + ");",
        "",
        "/** States in which the person's screen is shared (session.py's SHARING_STATES). */",
        "export const SHARING_STATES = Object.freeze(new Set("
        + _js(s["sharing_states"]) + "));",
        "",
        "/** Why a connection or a session ended (protocol/errors.py's CloseReason). */",
        "export const CloseReason = Object.freeze("
        + _js({name: int(number) for number, name in s["close_reasons"].items()}) + ");",
        "",
        "/** The rect encodings (protocol/encodings.py), NAME: id. */",
        "export const Encoding = Object.freeze("
        + _js({name.upper(): int(number) for number, name in s["encodings"].items()}) + ");",
        "",
        "/** What every viewer paints (encodings.py's BASELINE). */",
        f"export const BASELINE_ENCODINGS = Object.freeze({_js(s['baseline_encodings'])});",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coupdemain.protocol.schema",
        description="Print the wire protocol's schema as JSON, or write the viewer's wire.js.")
    parser.add_argument("--js", type=Path, metavar="PATH",
                        help="write the viewer's generated tables (web/viewer/wire.js) to PATH")
    args = parser.parse_args(argv)
    if args.js is not None:
        args.js.write_text(wire_js(), encoding="utf-8")
    else:
        json.dump(schema(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
