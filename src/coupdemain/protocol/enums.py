"""The closed sets of values the control messages carry.

Each is a ``StrEnum``: a member is the very text the wire carries
(``By.PERSON == "person"``), so that JSON writes it unchanged, and code
compares members rather than bare strings. ``messages.parse`` refuses a
value outside its set with ``MALFORMED_MESSAGE`` and a sentence naming it.

They live here, below ``messages.py``, so that the messages can type their
fields with them; ``session.py`` and ``transfer.py`` give them their meaning.
The viewer gets the same tables from ``web/viewer/wire.js``, generated from
``schema.py``.
"""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """Where a support session stands (docs/topics/session-states.md)."""

    WAITING_FOR_PERSON = "waiting_for_person"    # code issued; nobody has typed it yet
    WAITING_FOR_CONSENT = "waiting_for_consent"  # the agent shows "Allow viewing / Decline"
    VIEWING = "viewing"                          # the technician sees the screen
    CONTROL_REQUESTED = "control_requested"      # the agent shows "Allow control / Keep view only"
    CONTROLLING = "controlling"                  # the technician's input reaches the computer
    ENDED = "ended"                              # final; nothing leaves this state


class Role(enum.StrEnum):
    """Which side a connection speaks for: ``Hello.role``, ``Peer.role``."""

    AGENT = "agent"
    VIEWER = "viewer"


class AgentKind(enum.StrEnum):
    """What runs on the person's side (``Hello.kind``, ``State.kind``).

    The agent gives view and, when the person allows it, control; the join
    page's browser share gives view only: its picture goes by WebRTC between
    the two browsers, signalled through the server (``rtc_*`` messages).
    """

    APP = "app"          # coupdemain get-help / the agent
    BROWSER = "browser"  # the join page, sharing with getDisplayMedia


class RecordingPolicy(enum.StrEnum):
    """Whether a session is recorded (``Welcome.recording``): its organisation's policy.

    The person is told before viewing starts. With ``ask`` they choose in
    the consent window; with ``always`` the window says the session will be
    recorded. Either way the agent says what the person accepted
    (``Consent.record``), and the server records only then.
    """

    NEVER = "never"
    ASK = "ask"
    ALWAYS = "always"


class IcePolicy(enum.StrEnum):
    """Which ICE candidates a browser share may use (``RtcConfig.ice_transport_policy``).

    As ``RTCConfiguration.iceTransportPolicy``: ``relay`` sends the picture
    through the TURN server alone, so that neither browser learns the other's
    address.
    """

    ALL = "all"
    RELAY = "relay"


class By(enum.StrEnum):
    """Who did something: who ended a session (``Ended.by``), who stopped a
    transfer (``FileStatus.by``), the actor of an audit record."""

    TECHNICIAN = "technician"
    PERSON = "person"
    SERVER = "server"


class Author(enum.StrEnum):
    """Who wrote a line of chat (``ChatMessage.author``)."""

    TECHNICIAN = "technician"
    PERSON = "person"


class ViewAnswer(enum.StrEnum):
    """The person's answer to the request to view (``Consent.decision``)."""

    ALLOW_VIEW = "allow_view"
    DECLINE = "decline"


class ControlAnswer(enum.StrEnum):
    """The person's answer to a control request (``ControlDecision.decision``)."""

    ALLOW_CONTROL = "allow_control"
    KEEP_VIEW_ONLY = "keep_view_only"


class ActionKind(enum.StrEnum):
    """What the technician announces they will do (``Announce.kind``).

    The disruptive kinds (``DISRUPTIVE_ACTIONS``) ask the person first, *OK* or
    *Not now*; ``other`` is shown on the person's banner.
    """

    RESTART = "restart"
    CLOSE_APPLICATION = "close_application"
    INSTALL_OR_REMOVE = "install_or_remove"
    ADMINISTRATOR = "administrator"
    OTHER = "other"


DISRUPTIVE_ACTIONS = frozenset({ActionKind.RESTART, ActionKind.CLOSE_APPLICATION,
                                ActionKind.INSTALL_OR_REMOVE, ActionKind.ADMINISTRATOR})


class ActionReply(enum.StrEnum):
    """The person's answer to an announced disruptive action (``ActionAnswer.answer``)."""

    OK = "ok"
    NOT_NOW = "not_now"


class Direction(enum.StrEnum):
    """Which way a file goes (``FileOffer.direction``)."""

    TO_PERSON = "to_person"
    TO_TECHNICIAN = "to_technician"


class TransferState(enum.StrEnum):
    """Where a file transfer stands (``FileStatus.state``; protocol/transfer.py)."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    SENDING = "sending"
    READY = "ready"          # to the technician: on the server, to download
    DELIVERED = "delivered"  # to the person: verified and saved
    REFUSED = "refused"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Severity(enum.StrEnum):
    """How much a diagnostics finding matters (``DiagnosticsReport.findings[].severity``).

    Nested in a finding, it is not checked by the parser: a viewer shows an
    unknown severity as ``info``.
    """

    PROBLEM = "problem"
    WARNING = "warning"
    INFO = "info"


class Tool(enum.StrEnum):
    """What a mandate may allow (``MandateOffer.tools``); the session offers nothing else."""

    VIEW = "view"
    CONTROL = "control"
    FILES_TO_PERSON = "files_to_person"
    FILES_TO_TECHNICIAN = "files_to_technician"
    CLIPBOARD = "clipboard"
    DIAGNOSTICS = "diagnostics"
    RECORDING = "recording"


class PersonRole(enum.StrEnum):
    """What the technician expects of the person during the session."""

    WATCH = "watch"                  # watch, to learn
    FOLLOW_ALONG = "follow_along"    # follow along and answer questions
    DO_STEPS = "do_steps"            # do some steps themselves, guided
    LET_TECHNICIAN_WORK = "let_technician_work"
