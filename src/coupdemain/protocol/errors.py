"""Errors and close reasons of coupdemain: one tree.

Every error coupdemain raises derives from ``CoupdemainError``. Each has:

- ``close_reason``: its wire code, the ``CloseReason`` a connection closes
  with when the error crosses the wire; the errors under ``LocalError``
  never do (their ``close_reason`` is not used);
- ``sentence``: what people read, as ``"<catalog>:<key>"`` of
  ``src/coupdemain/i18n/locales/{en,fr}/<catalog>.json``, so the text lives
  in the catalogs in both languages and never here. The docstring says what
  the error means to the code.

The tree (``tests/protocol/test_errors.py`` walks the package to check it):

- CoupdemainError
  - ProtocolError
    - LocalProtocolError: we broke the protocol (a bug on our side)
      - InvalidTransition
    - RemoteProtocolError: the peer sent something we refuse
      - MalformedMessage
      - UnknownMessage
      - MessageTooLarge
      - UnsupportedVersion
      - NotAllowed
      - ProofRefused (protocol/device.py): a managed device's proof opens nothing
  - SupportCodeError
    - SupportCodeInvalid
    - SupportCodeExpired
    - SupportCodeUsed
    - TooManyAttempts
    - CodeChecksPaused
  - ResumeRefused
  - LocalError: never crosses the wire
    - UnsafeFileName (protocol/transfer.py)
    - AccountError (server/accounts.py): UnknownUser, AccountDisabled
    - ConnectionFailed (agent/connection.py): InsecureServer,
      ServerUnreachable, ServerNotTrusted, CodeRefused
    - CaptureError (agent/capture/x11.py), CursorUnavailable
      (agent/capture/cursor.py), DamageUnavailable (agent/capture/damage.py)
    - InjectError (agent/inject/x11.py)
    - VideoEncodeError (agent/encode/base.py)
    - TransferFailed, TransferCancelled (agent/transfer.py)
    - CopyFailed (agent/mandate.py): the mandate's PDF copy not saved
    - ReportUnavailable (agent/report.py): the session's report not fetched
    - FontMissing (server/documents/pdf.py): no font to make PDFs with
    - XvfbError (demo/xvfb.py)
    - RecordingError, RecordingWriteFailed (server/recording/sealed.py)

Those that also mean a built-in error (``AccountError`` a ``ValueError``,
``CaptureError`` a ``RuntimeError``...) derive from both, so that callers
catching the built-in one keep catching them.

On the wire a failure is a ``CloseReason``: a WebSocket close code in the
4000-4999 range that applications own. Each side turns it into a sentence
in the reader's language; internal details never cross the wire.
"""

from __future__ import annotations

import enum


class CloseReason(enum.IntEnum):
    """Why a connection or a session ended, as a WebSocket close code."""

    NORMAL = 1000                # a clean close with nothing more to say
    MESSAGE_TOO_LARGE = 1009     # RFC 6455's own code for an oversized message
    ENDED_BY_TECHNICIAN = 4000
    ENDED_BY_PERSON = 4001
    DECLINED = 4002              # the person declined to be viewed
    REPORTED_BY_PERSON = 4003    # the person reported a problem: they do not trust who asks
    MANDATE_REFUSED = 4004       # the person did not sign the mandate
    MANDATE_EXPIRED = 4005       # the mandate's time ran out and no extension was signed
    CODE_INVALID = 4010
    CODE_EXPIRED = 4011
    CODE_USED = 4012
    RATE_LIMITED = 4013
    CODE_CHECKS_PAUSED = 4014    # too many wrong codes on the whole server just now
    MALFORMED_MESSAGE = 4020
    UNKNOWN_MESSAGE = 4021
    UNSUPPORTED_VERSION = 4022
    NOT_ALLOWED = 4023           # a message the sender may not send in this state
    UNAUTHORIZED = 4030
    SESSION_NOT_FOUND = 4031
    REPLACED = 4032              # the same viewer opened the session elsewhere
    TAKEN_OVER = 4033            # another technician opened the session (Watching names them)
    PEER_LOST = 4040             # the other side's connection dropped
    SERVER_SHUTDOWN = 4041
    TIMED_OUT = 4042             # consent or code expired while waiting
    SERVER_RESTARTED = 4043      # the server restarted and the agent did not come back in time
    INTERNAL_ERROR = 4500


class CoupdemainError(Exception):
    """Base class for every error raised by coupdemain."""

    close_reason: CloseReason = CloseReason.INTERNAL_ERROR
    sentence: str = "console:reason.internal_error"


class LocalError(CoupdemainError):
    """An error that stays on the side that raised it: no close code carries it."""

    sentence = "console:error.generic"


class ProtocolError(CoupdemainError):
    """A message broke the protocol."""


class LocalProtocolError(ProtocolError):
    """We tried to send something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow."""

    close_reason = CloseReason.MALFORMED_MESSAGE
    sentence = "console:reason.malformed_message"


class MalformedMessage(RemoteProtocolError):
    """The message could not be read."""


class UnknownMessage(RemoteProtocolError):
    """The message type is not one this side knows."""

    close_reason = CloseReason.UNKNOWN_MESSAGE
    sentence = "console:reason.unknown_message"


class MessageTooLarge(RemoteProtocolError):
    """The message is larger than this side accepts."""

    close_reason = CloseReason.MESSAGE_TOO_LARGE
    sentence = "console:reason.message_too_large"


class UnsupportedVersion(RemoteProtocolError):
    """The peer speaks a protocol version this side does not."""

    close_reason = CloseReason.UNSUPPORTED_VERSION
    sentence = "agent:problem.version"


class NotAllowed(RemoteProtocolError):
    """The peer may not send this message now."""

    close_reason = CloseReason.NOT_ALLOWED
    sentence = "console:reason.not_allowed"


class SupportCodeError(CoupdemainError):
    """A support code was refused."""

    close_reason = CloseReason.CODE_INVALID
    sentence = "agent:problem.invalid"


class SupportCodeInvalid(SupportCodeError):
    """No session waits for this code."""

    close_reason = CloseReason.CODE_INVALID


class SupportCodeExpired(SupportCodeError):
    """The code has expired."""

    close_reason = CloseReason.CODE_EXPIRED
    sentence = "agent:problem.expired"


class SupportCodeUsed(SupportCodeError):
    """The code was already used."""

    close_reason = CloseReason.CODE_USED
    sentence = "agent:problem.used"


class TooManyAttempts(SupportCodeError):
    """Too many wrong codes from this address: wait before trying again."""

    close_reason = CloseReason.RATE_LIMITED
    sentence = "agent:problem.rate_limited"


class CodeChecksPaused(SupportCodeError):
    """Too many wrong codes on the whole server lately: no code is checked for a while."""

    close_reason = CloseReason.CODE_CHECKS_PAUSED
    sentence = "agent:problem.code_checks_paused"


class ResumeRefused(CoupdemainError):
    """An agent's resume secret opens no session that may resume.

    ``close_reason`` says why: how the session ended, or ``SESSION_NOT_FOUND``.
    """

    close_reason = CloseReason.SESSION_NOT_FOUND
    sentence = "agent:ended.by_server"

    def __init__(self, reason: CloseReason) -> None:
        super().__init__(f"the session cannot resume ({reason.name.lower()})")
        self.close_reason = reason


class InvalidTransition(LocalProtocolError):
    """A session was asked to move to a state it cannot reach from where it is."""
