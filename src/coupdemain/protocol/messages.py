"""The control messages of the coupdemain wire protocol, version 1.

Control messages are WebSocket text frames holding one JSON object whose
``type`` names the message (docs/reference/protocol.md, one section each).
Frame updates and the pointer travel as binary WebSocket messages, read and
written by ``frames.py``; the server relays them without reading them.

Parsers refuse at the edge: malformed JSON, a missing or mistyped field, an
unknown type, a type the sender may not send, or an oversized message each
raise a ``RemoteProtocolError`` whose ``close_reason`` goes on the wire.
Unknown keys are ignored, so that a newer peer can add fields.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from . import enums
from .enums import (
    ActionKind,
    ActionReply,
    AgentKind,
    Author,
    By,
    ControlAnswer,
    Direction,
    IcePolicy,
    RecordingPolicy,
    Role,
    TransferState,
    ViewAnswer,
)
from .errors import (
    LocalProtocolError,
    MalformedMessage,
    MessageTooLarge,
    NotAllowed,
    UnknownMessage,
)

PROTOCOL_VERSION = 1
MAX_CONTROL_MESSAGE_BYTES = 64 * 1024
# A mandate_sign carries the drawn signature (a PNG of at most 256 KiB, in base64):
# that message alone may be this large.
MAX_SIGN_MESSAGE_BYTES = 384 * 1024
MAX_CHAT_CHARACTERS = 2000
MAX_STEP_CHARACTERS = 300   # an announcement's or a step's text: a short sentence
# JSON nested deeper is refused; the deepest message, diagnostics, nests a few levels.
MAX_JSON_DEPTH = 32
MAX_MONITORS = 16
ALL_MONITORS = -1   # Screen.monitor / SelectMonitor.monitor: the whole desktop
MAX_WATCHERS = 16   # Watching.technicians
MAX_ICE_SERVERS = 8  # RtcConfig.ice_servers


_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Message:
    """Base of every control message; ``type`` is its name on the wire."""

    type: ClassVar[str] = ""


# --- sent by both the agent and the viewer ---------------------------------


@dataclass(frozen=True, slots=True)
class Hello(Message):
    """First message of every connection: who connects, and with which version."""

    type: ClassVar[str] = "hello"
    protocol: int
    role: Role
    code: str = ""           # agent only: the support code the person typed
    # agent only, instead of a code: the welcome's resume secret (kept out of reprs and logs)
    resume: str = dataclasses.field(default="", repr=False)
    hostname: str = ""       # agent only: shown to the technician
    os: str = ""
    user: str = ""
    language: str = ""
    # agent only: the coupdemain agent, or the join page sharing from a browser
    kind: AgentKind = AgentKind.APP


@dataclass(frozen=True, slots=True)
class End(Message):
    """The sender ends the session."""

    type: ClassVar[str] = "end"


@dataclass(frozen=True, slots=True)
class Clipboard(Message):
    """Text copied on one side, for the other side's clipboard; only under control."""

    type: ClassVar[str] = "clipboard"
    text: str


@dataclass(frozen=True, slots=True)
class Chat(Message):
    """A chat message typed by the person (agent) or the technician (viewer)."""

    type: ClassVar[str] = "chat"
    text: str


# --- sent by the agent -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionAnswer(Message):
    """The person's answer to announcement ``id`` (agent → server → viewer)."""

    type: ClassVar[str] = "action_answer"
    id: int
    answer: ActionReply


@dataclass(frozen=True, slots=True)
class Consent(Message):
    """The person's answer to the request to view."""

    type: ClassVar[str] = "consent"
    decision: ViewAnswer
    # Whether the person accepts that the session is recorded: true only when
    # the welcome announced a recording ("always") or the person chose it
    # ("ask"). False, the server records nothing, whatever its policy.
    record: bool = False


@dataclass(frozen=True, slots=True)
class Report(Message):
    """The person reports a problem: they do not trust who asks; the session ends at once.

    Sent instead of an answer to the consent question, from the warning the
    agent shows the first time this computer meets an organisation.
    """

    type: ClassVar[str] = "report"


@dataclass(frozen=True, slots=True)
class ControlDecision(Message):
    """The person's answer to a control request."""

    type: ClassVar[str] = "control_decision"
    decision: ControlAnswer


@dataclass(frozen=True, slots=True)
class ControlRevoke(Message):
    """The person takes control back; the technician keeps viewing."""

    type: ClassVar[str] = "control_revoke"


@dataclass(frozen=True, slots=True)
class Pause(Message):
    """The person pauses (``paused=True``) or resumes sharing the screen."""

    type: ClassVar[str] = "pause"
    paused: bool


@dataclass(frozen=True, slots=True)
class Screen(Message):
    """The geometry of the shared picture, in pixels, and the computer's monitors.

    ``monitors`` lists every monitor as ``{"x", "y", "width", "height",
    "name", "primary"}`` in desktop coordinates (the union of all monitors
    starts at 0, 0); ``monitor`` is the index of the one shared, or -1 when
    the whole desktop is. Frames and input coordinates are relative to the
    shared picture's top-left corner.
    """

    type: ClassVar[str] = "screen"
    width: int
    height: int
    monitors: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    monitor: int = ALL_MONITORS

    def __post_init__(self) -> None:
        if len(self.monitors) > MAX_MONITORS:
            raise MalformedMessage(f"at most {MAX_MONITORS} monitors, not {len(self.monitors)}")
        for monitor in self.monitors:
            if not isinstance(monitor, dict) or not all(
                isinstance(monitor.get(key), int) and not isinstance(monitor.get(key), bool)
                for key in ("x", "y", "width", "height")
            ):
                raise MalformedMessage("each monitor needs integer x, y, width and height")
        if not ALL_MONITORS <= self.monitor < len(self.monitors):
            raise MalformedMessage(f"monitor {self.monitor} is not one of the monitors listed")


@dataclass(frozen=True, slots=True)
class DiagnosticsReport(Message):
    """What the agent read of the computer, and the findings it drew, for the technician.

    ``sections`` maps a section name ("system", "network", "startup",
    "processes") to its facts; ``findings`` lists ``{"severity": "problem" |
    "warning" | "info", "code": str, "params": {...}}``, each turned into a
    sentence by the reader's ``diagnostics`` catalog (``finding.<code>``).
    """

    type: ClassVar[str] = "diagnostics_report"
    sections: dict[str, Any]
    findings: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DiagnosticsDeclined(Message):
    """The person refused to let the technician read the computer's settings."""

    type: ClassVar[str] = "diagnostics_declined"


# --- sent by the viewer ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiagnosticsRequest(Message):
    """The technician asks to read the computer's settings; the person is asked first."""

    type: ClassVar[str] = "diagnostics_request"


@dataclass(frozen=True, slots=True)
class Announce(Message):
    """The technician announces what they will do: a kind and a short text."""

    type: ClassVar[str] = "announce"
    kind: ActionKind
    text: str


@dataclass(frozen=True, slots=True)
class Step(Message):
    """The technician says what they are doing now ("I am checking your network settings")."""

    type: ClassVar[str] = "step"
    text: str


@dataclass(frozen=True, slots=True)
class RequestControl(Message):
    """The technician asks for control."""

    type: ClassVar[str] = "request_control"


@dataclass(frozen=True, slots=True)
class ReleaseControl(Message):
    """The technician gives control back and keeps viewing."""

    type: ClassVar[str] = "release_control"


@dataclass(frozen=True, slots=True)
class Key(Message):
    """A key pressed or released: the physical key and the character it made.

    ``code`` is ``KeyboardEvent.code`` ("KeyA", "Enter", "ShiftLeft"),
    ``key`` is ``KeyboardEvent.key`` ("a", "A", "Enter", "é").
    """

    type: ClassVar[str] = "key"
    code: str
    key: str
    down: bool


@dataclass(frozen=True, slots=True)
class Pointer(Message):
    """The pointer's absolute position in remote pixels and the buttons held.

    ``buttons`` is a bit mask: 1 left, 2 right, 4 middle (as ``MouseEvent.buttons``).
    """

    type: ClassVar[str] = "pointer"
    x: int
    y: int
    buttons: int


@dataclass(frozen=True, slots=True)
class Wheel(Message):
    """A wheel turn at a position; ``dy`` > 0 scrolls down, ``dx`` > 0 right, in notches."""

    type: ClassVar[str] = "wheel"
    x: int
    y: int
    dx: int
    dy: int


@dataclass(frozen=True, slots=True)
class SelectMonitor(Message):
    """The technician wants to see one monitor (its index in ``Screen.monitors``), or all (-1)."""

    type: ClassVar[str] = "select_monitor"
    monitor: int


@dataclass(frozen=True, slots=True)
class FrameAck(Message):
    """The viewer has displayed frame ``frame_id``: one credit back to the agent."""

    type: ClassVar[str] = "frame_ack"
    frame_id: int


@dataclass(frozen=True, slots=True)
class KeyframeRequest(Message):
    """The viewer needs the whole screen again (it joined, or lost its picture)."""

    type: ClassVar[str] = "keyframe_request"


@dataclass(frozen=True, slots=True)
class Encodings(Message):
    """The rect encodings the viewer paints: ids of ``protocol/encodings.py``.

    The agent sends no other. Until a viewer says, and after it leaves, the
    agent uses SOLID, PNG and JPEG, which every viewer paints. Ids the agent
    does not know are ignored, so that a newer viewer can list more.
    """

    type: ClassVar[str] = "encodings"
    encodings: list[int]


# --- sent by the server ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Welcome(Message):
    """To the agent: the code was right; who asks to view the screen."""

    type: ClassVar[str] = "welcome"
    session_id: str
    technician_name: str
    organisation: str
    # Whether the server's settings let the person send files: the agent
    # offers "Send a file…" only then, rather than a button that is refused.
    files_to_technician: bool = True
    technician_id: int = 0   # the technician's user id: a later Watching names them the same way
    # The session is bound by a mandate: a MandateOffer follows (or, for a
    # standing mandate signed before, a MandateState), and the person signs
    # it before the consent question is asked.
    mandate: bool = False
    # The organisation's branding (server/branding.py): "#rrggbb" or "", and
    # its logo as a base64 PNG of at most 32 KiB, or "". The agent shows both
    # on its windows, under the organisation's name.
    brand_colour: str = ""
    brand_logo: str = dataclasses.field(default="", repr=False)
    # The secret that lets this agent resume the session after its connection
    # drops (the network, a restarting server). Empty in the welcome that
    # answers a resume: the agent keeps the one it has. Never in a repr or a log.
    resume: str = dataclasses.field(default="", repr=False)
    # The organisation's recording policy for this session (a mandate that
    # does not allow recording makes it "never"): the consent window says it.
    recording: RecordingPolicy = RecordingPolicy.NEVER
    recording_days: int = 0  # how long a recording is kept, in days (the window says it)


@dataclass(frozen=True, slots=True)
class ControlRequest(Message):
    """To the agent: a technician, named, asks for control.

    The person's Allow control grants it to this technician alone
    (``technician_id``); ``State.controller_id`` must then name the same one.
    """

    type: ClassVar[str] = "control_request"
    technician_id: int = 0
    technician_name: str = ""
    organisation: str = ""


@dataclass(frozen=True, slots=True)
class State(Message):
    """To the viewer: where the session stands (docs/topics/session-states.md)."""

    type: ClassVar[str] = "state"
    state: enums.State
    paused: bool = False
    person_hostname: str = ""
    person_user: str = ""
    code_expires_at: float = 0.0  # Unix time; 0 once the code is used
    # Control requested or held: by which technician (user id); 0 otherwise.
    controller_id: int = 0
    # What the person shares from: a browser (view only, the picture over
    # WebRTC) once they joined from the join page; the agent otherwise.
    kind: AgentKind = AgentKind.APP
    # A recording of the session runs now: the banner and the viewer show it.
    recording: bool = False


@dataclass(frozen=True, slots=True)
class Watching(Message):
    """To the agent and the viewer: which technician sees the person's screen now.

    ``technicians`` lists ``{"id": int, "name": str, "organisation": str}``;
    one technician at a time watches, so it holds one entry. The agent
    names them on its banner; a viewer that another technician replaced
    gets it just before its connection closes with ``TAKEN_OVER``.
    """

    type: ClassVar[str] = "watching"
    technicians: list[dict[str, Any]]

    def __post_init__(self) -> None:
        if len(self.technicians) > MAX_WATCHERS:
            raise MalformedMessage(
                f"at most {MAX_WATCHERS} technicians watch, not {len(self.technicians)}")
        for technician in self.technicians:
            if not (
                isinstance(technician, dict)
                and isinstance(technician.get("id"), int)
                and not isinstance(technician.get("id"), bool)
                and isinstance(technician.get("name"), str)
                and isinstance(technician.get("organisation"), str)
            ):
                raise MalformedMessage(
                    "each technician watching needs an integer id, a name and an organisation")


@dataclass(frozen=True, slots=True)
class Peer(Message):
    """To either side: the other side's connection dropped or came back."""

    type: ClassVar[str] = "peer"
    role: Role
    connected: bool


@dataclass(frozen=True, slots=True)
class ChatMessage(Message):
    """To both sides: one line of the session's chat, numbered and timestamped by the server.

    A side that (re)joins gets the whole transcript again, one message each.
    """

    type: ClassVar[str] = "chat_message"
    id: int
    at: float      # Unix time
    author: Author
    name: str      # who, as the other side sees them
    text: str


@dataclass(frozen=True, slots=True)
class Announcement(Message):
    """To both sides: an announced action, numbered and timestamped by the server.

    ``asks`` is true for a disruptive kind: the agent asks the person and
    answers with ``ActionAnswer``; otherwise the banner shows it. The id
    counts announcements and steps together, the session's timeline.
    """

    type: ClassVar[str] = "announcement"
    id: int
    at: float      # Unix time
    kind: ActionKind
    text: str
    name: str      # the technician who announced it
    asks: bool


@dataclass(frozen=True, slots=True)
class StepMessage(Message):
    """To both sides: one step the technician wrote, numbered and timestamped by the server."""

    type: ClassVar[str] = "step_message"
    id: int
    at: float
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Ended(Message):
    """To either side: the session is over, who ended it, and why (a CloseReason)."""

    type: ClassVar[str] = "ended"
    by: By
    reason: int


# --- a browser share's WebRTC signalling (docs/reference/protocol.md, *Browser share*) --


@dataclass(frozen=True, slots=True)
class RtcConfig(Message):
    """To both sides of a browser share: the ICE servers and policy of their RTCPeerConnection.

    ``ice_servers`` is ``RTCConfiguration.iceServers``: ``{"urls": [str],
    "username": str, "credential": str}`` each, the TURN credentials minted
    by the server for this session and side, valid for a while
    (``--turn-ttl-seconds``); never a static password.
    """

    type: ClassVar[str] = "rtc_config"
    ice_servers: list[dict[str, Any]]
    ice_transport_policy: IcePolicy = IcePolicy.ALL

    def __post_init__(self) -> None:
        if len(self.ice_servers) > MAX_ICE_SERVERS:
            raise MalformedMessage(
                f"at most {MAX_ICE_SERVERS} ICE servers, not {len(self.ice_servers)}")


@dataclass(frozen=True, slots=True)
class RtcOffer(Message):
    """From the person's browser to the viewer: an SDP offer carrying the screen's track.

    ``negotiation`` numbers the sharer's peer connections: each new one (a
    viewer that joined, sharing started again) counts up, and the viewer
    drops what belongs to an older one.
    """

    type: ClassVar[str] = "rtc_offer"
    negotiation: int
    sdp: str


@dataclass(frozen=True, slots=True)
class RtcAnswer(Message):
    """From the viewer to the person's browser: the SDP answer to offer ``negotiation``."""

    type: ClassVar[str] = "rtc_answer"
    negotiation: int
    sdp: str


@dataclass(frozen=True, slots=True)
class RtcCandidate(Message):
    """Either way: one ICE candidate of negotiation ``negotiation`` (trickle ICE).

    ``candidate``, ``sdp_mid`` and ``sdp_m_line_index`` are
    ``RTCIceCandidate``'s ``candidate``, ``sdpMid`` and ``sdpMLineIndex``.
    """

    type: ClassVar[str] = "rtc_candidate"
    negotiation: int
    candidate: str
    sdp_mid: str = ""
    sdp_m_line_index: int = 0


RTC_MESSAGES = (RtcConfig, RtcOffer, RtcAnswer, RtcCandidate)

MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.type: cls
    for cls in (
        Hello, End, Chat, ChatMessage, Clipboard, Announce, Announcement, Step, StepMessage,
        ActionAnswer, DiagnosticsRequest, DiagnosticsReport,
        DiagnosticsDeclined, Consent, Report, ControlDecision, ControlRevoke, Pause, Screen,
        RequestControl, ReleaseControl, Key, Pointer, Wheel, FrameAck, KeyframeRequest, Encodings,
        SelectMonitor, Welcome, ControlRequest, State, Watching, Peer, Ended, *RTC_MESSAGES,
    )
}

AGENT_SENDS: frozenset[type[Message]] = frozenset(
    {Hello, End, Chat, Clipboard, Consent, Report, ControlDecision, ControlRevoke, Pause, Screen,
     DiagnosticsReport, DiagnosticsDeclined, RtcOffer, RtcCandidate, ActionAnswer}
)
VIEWER_SENDS: frozenset[type[Message]] = frozenset(
    {Hello, End, Chat, Clipboard, RequestControl, ReleaseControl, Key, Pointer, Wheel, FrameAck,
     KeyframeRequest, Encodings, DiagnosticsRequest, SelectMonitor, RtcAnswer, RtcCandidate,
     Announce, Step}
)
SERVER_SENDS: frozenset[type[Message]] = frozenset(
    {Welcome, ControlRequest, State, Watching, Peer, Ended, Screen, ChatMessage, Clipboard,
     DiagnosticsRequest, DiagnosticsReport, DiagnosticsDeclined,
     Key, Pointer, Wheel, FrameAck, KeyframeRequest, Encodings, SelectMonitor,
     RtcConfig, RtcAnswer, RtcCandidate, Announcement, StepMessage}
)

# --- file transfer (protocol/transfer.py; the bytes go over HTTP) -------------


@dataclass(frozen=True, slots=True)
class FileOffer(Message):
    """A file offered to the other side: by the viewer (for the person) or the agent.

    ``id`` is 32 hex digits chosen by the sender. The agent declares the
    content's ``sha256``; the server passes the offer on with ``direction``
    and ``sender`` (a name) filled in.
    """

    type: ClassVar[str] = "file_offer"
    id: str
    name: str
    size: int
    sha256: str = ""
    direction: Direction | Literal[""] = ""   # "" from the sender; the server fills it in
    sender: str = ""


@dataclass(frozen=True, slots=True)
class FileAnswer(Message):
    """The person accepts or refuses a file from the technician (``reason`` if refused)."""

    type: ClassVar[str] = "file_answer"
    id: str
    accept: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FileTicket(Message):
    """To the agent: move this file's bytes now, over HTTP, with ``token`` as credential.

    For a file to the person, ``sha256`` is what the downloaded bytes must hash to.
    """

    type: ClassVar[str] = "file_ticket"
    id: str
    token: str
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class FileProgress(Message):
    """How many bytes the agent has moved: sent by the agent, passed on to the viewer."""

    type: ClassVar[str] = "file_progress"
    id: str
    done: int


@dataclass(frozen=True, slots=True)
class FileCancel(Message):
    """Either side stops a transfer; the server deletes what it holds of it."""

    type: ClassVar[str] = "file_cancel"
    id: str


@dataclass(frozen=True, slots=True)
class FileResult(Message):
    """The agent's end of a download: verified and renamed (``ok``), or why not."""

    type: ClassVar[str] = "file_result"
    id: str
    ok: bool
    reason: str = ""
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class FileStatus(Message):
    """To both sides: where a transfer stands (protocol/transfer.py's TransferState)."""

    type: ClassVar[str] = "file_status"
    id: str
    state: TransferState
    by: By | Literal[""] = ""   # who ended it, once refused, cancelled or failed
    reason: str = ""
    sha256: str = ""


FILE_MESSAGES = (FileOffer, FileAnswer, FileTicket, FileProgress, FileCancel, FileResult,
                 FileStatus)
MESSAGE_TYPES.update({cls.type: cls for cls in FILE_MESSAGES})
AGENT_SENDS |= {FileOffer, FileAnswer, FileProgress, FileCancel, FileResult}
VIEWER_SENDS |= {FileOffer, FileCancel}
SERVER_SENDS |= {FileOffer, FileTicket, FileProgress, FileStatus}

# --- the mandate (protocol/mandate.py; docs/reference/protocol.md, *Mandate*) --


@dataclass(frozen=True, slots=True)
class MandateOffer(Message):
    """To the person's side: a mandate to read and sign, before anything is shared.

    ``text`` is the exact text to sign, rendered by the server in the
    person's language; ``sha256`` its digest, which the signature repeats.
    ``kind`` "extension" asks for more time or another tool during the
    session: ``text`` then says what changes, ``tools`` and ``ends_at``
    are the whole mandate once signed. ``ends_at`` is 0 for a mandate
    whose time starts at its signature.
    """

    type: ClassVar[str] = "mandate_offer"
    kind: Literal["mandate", "extension"]
    text: str
    sha256: str
    tools: list[str]        # enums.Tool values
    minutes: int
    ends_at: float = 0.0    # Unix time


@dataclass(frozen=True, slots=True)
class MandateSign(Message):
    """The person signs the offer whose text has this SHA-256 (agent or join page → server).

    ``name`` is what they typed; ``drawing`` a PNG of the signature they drew
    with the mouse, base64, or "" if they drew none.
    """

    type: ClassVar[str] = "mandate_sign"
    sha256: str
    name: str
    drawing: str = dataclasses.field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class MandateRefuse(Message):
    """The person does not sign: a mandate ends the session; a refused extension does not."""

    type: ClassVar[str] = "mandate_refuse"
    sha256: str


@dataclass(frozen=True, slots=True)
class MandateExtend(Message):
    """The technician asks for more minutes and/or more tools (viewer → server)."""

    type: ClassVar[str] = "mandate_extend"
    minutes: int = 0
    tools: list[str] = dataclasses.field(default_factory=list)   # enums.Tool values to add


@dataclass(frozen=True, slots=True)
class MandateState(Message):
    """To both sides: the mandate that binds the session now.

    Sent when it is signed, extended or an extension is refused, and to a
    side that (re)joins. ``signed_by`` is "" while the person has not signed.
    ``warning`` is true from ``protocol.mandate.WARNING_SECONDS`` before
    ``ends_at``; at ``ends_at`` the session ends with ``MANDATE_EXPIRED``.
    ``extension_refused`` is true in the state sent when the person refused
    an extension: the mandate is unchanged, and the viewer says so.
    """

    type: ClassVar[str] = "mandate_state"
    sha256: str
    tools: list[str]
    ends_at: float
    signed_by: str = ""
    warning: bool = False
    # The person did not sign the extension just offered: the mandate is unchanged.
    extension_refused: bool = False
    # The server's Unix time as it sent this (0: not said). Each side reads
    # ends_at against it, not against its own clock, which may be minutes off.
    # When it was sent is not what it says: two states compare equal without it.
    now: float = dataclasses.field(default=0.0, compare=False)


MANDATE_MESSAGES = (MandateOffer, MandateSign, MandateRefuse, MandateExtend, MandateState)
MESSAGE_TYPES.update({cls.type: cls for cls in MANDATE_MESSAGES})
AGENT_SENDS |= {MandateSign, MandateRefuse}
VIEWER_SENDS |= {MandateExtend}
SERVER_SENDS |= {MandateOffer, MandateState}

# What the server sends a viewer (SERVER_SENDS is what it sends an agent):
# the viewer reads these alone (web/viewer/wire.js's VIEWER_RECEIVES), and
# the session machine sends a viewer nothing else.
TO_VIEWER: frozenset[type[Message]] = frozenset(
    {State, Watching, Peer, Ended, Screen, Clipboard, ChatMessage, DiagnosticsReport,
     DiagnosticsDeclined, FileOffer, FileStatus, FileProgress, RtcConfig, RtcOffer, RtcCandidate,
     Announcement, StepMessage, ActionAnswer, MandateState}
)


# Resolving the annotations evaluates strings: once per class, not per message.
_FIELD_TYPES: dict[type[Message], dict[str, Any]] = {}


def _field_types(cls: type[Message]) -> dict[str, Any]:
    hints = _FIELD_TYPES.get(cls)
    if hints is None:
        hints = _FIELD_TYPES[cls] = typing.get_type_hints(cls)
    return hints


def _closed_set(expected: Any) -> list[str] | None:
    """The values a StrEnum field (or a StrEnum or "" field) may take; None for other types."""
    if isinstance(expected, type) and issubclass(expected, enum.StrEnum):
        return [member.value for member in expected]
    if typing.get_origin(expected) is Literal:
        return [str(value) for value in typing.get_args(expected)]
    if typing.get_origin(expected) in (types.UnionType, typing.Union):
        options = [_closed_set(option) for option in typing.get_args(expected)]
        if all(option is not None for option in options):
            return [value for option in options for value in option or ()]
    return None


def _check_value(name: str, value: object, expected: Any) -> object:
    if (allowed := _closed_set(expected)) is not None:
        if not isinstance(value, str):
            raise MalformedMessage(f"field {name!r} must be str, not {type(value).__name__}")
        if value not in allowed:
            raise MalformedMessage(
                f"field {name!r} may not be {value[:40]!r}, only "
                + ", ".join(repr(option) for option in allowed))
        # The enum member itself, or "" for a field that may be left empty.
        for option in typing.get_args(expected) or (expected,):
            if isinstance(option, type) and issubclass(option, enum.StrEnum) and value != "":
                return option(value)
        return value
    if isinstance(expected, types.UnionType):
        for option in typing.get_args(expected):
            try:
                return _check_value(name, value, option)
            except MalformedMessage:
                continue
        raise MalformedMessage(f"field {name!r} has the wrong type")
    if expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif (origin := typing.get_origin(expected)) in (dict, list):
        # Containers are checked one level deep; their reader checks the rest.
        if isinstance(value, origin):
            return value
        raise MalformedMessage(
            f"field {name!r} must be {origin.__name__}, not {type(value).__name__}"
        )
    elif isinstance(value, expected):
        return value
    raise MalformedMessage(
        f"field {name!r} must be {expected.__name__}, not {type(value).__name__}"
    )


def _check_tree(obj: dict[str, Any]) -> None:
    """Refuses what JSON can carry but nothing after the parser can use.

    Nesting deeper than ``MAX_JSON_DEPTH``: serialising it again (to the
    other side, to the audit log) would exhaust the stack. A lone UTF-16
    surrogate (``"\\ud800"``, valid JSON): no UTF-8 string can hold it, so
    neither the database nor the audit log's hash could. Iterative, so that
    the check itself cannot recurse too deep.

    Raises:
        MalformedMessage: naming which of the two it is.
    """
    pending: list[tuple[object, int]] = [(obj, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise MalformedMessage("control message holds a lone UTF-16 surrogate")
            continue
        if depth > MAX_JSON_DEPTH:
            raise MalformedMessage(
                f"control message is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def parse(text: str | bytes, allowed: frozenset[type[Message]]) -> Message:
    """Reads one control message.

    Args:
        text: the WebSocket text frame.
        allowed: the message classes the sender may send.

    Raises:
        MessageTooLarge: over ``MAX_CONTROL_MESSAGE_BYTES`` (``MAX_SIGN_MESSAGE_BYTES``
            for a ``mandate_sign``, which carries a drawing).
        MalformedMessage: not a JSON object, nested too deep, a lone surrogate,
            or a field is missing or mistyped.
        UnknownMessage: the ``type`` is not a message of this protocol.
        NotAllowed: the sender may not send this type.
    """
    too_large = MessageTooLarge(
        f"control message of {len(text)} bytes exceeds {MAX_CONTROL_MESSAGE_BYTES}")
    oversized = len(text) > MAX_CONTROL_MESSAGE_BYTES
    if len(text) > MAX_SIGN_MESSAGE_BYTES:
        raise too_large
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        if oversized:
            raise too_large from None
        raise MalformedMessage("control message is not valid JSON") from exc
    except RecursionError:
        # json gives up at the interpreter's recursion limit; that is not
        # our bug, but the sender's nesting.
        raise MalformedMessage(
            f"control message is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if oversized and not (isinstance(obj, dict) and obj.get("type") == MandateSign.type):
        raise too_large
    if not isinstance(obj, dict):
        raise MalformedMessage("control message must be a JSON object")
    _check_tree(obj)
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise MalformedMessage("control message has no 'type'")
    cls = MESSAGE_TYPES.get(kind)
    if cls is None:
        raise UnknownMessage(f"unknown message type {kind[:40]!r}")
    if cls not in allowed:
        raise NotAllowed(f"message {kind!r} may not be sent by this side")
    hints = _field_types(cls)
    values: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        if field.name in obj:
            values[field.name] = _check_value(field.name, obj[field.name], hints[field.name])
        elif (
            field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        ):
            raise MalformedMessage(f"message {kind!r} lacks field {field.name!r}")
    return cls(**values)


def serialize(message: Message) -> str:
    """Writes one control message as the JSON text of a WebSocket frame."""
    if not message.type:
        raise LocalProtocolError(f"{type(message).__name__} is not a wire message")
    body: dict[str, object] = {"type": message.type}
    body.update(dataclasses.asdict(message))
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
