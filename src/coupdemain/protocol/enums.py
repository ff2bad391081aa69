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
