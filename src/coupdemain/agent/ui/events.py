"""What the connection side tells the windows, and what the person's clicks ask for.

``UiEvent``s go from the asyncio thread to Tk; ``UserAction``s come back.
They carry facts, not sentences: the windows choose the words, in the
person's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Why a code attempt failed, as the code prompt explains it.
PROBLEM_FORMAT = "format"            # not 9 digits; checked before connecting
PROBLEM_INVALID = "invalid"
PROBLEM_EXPIRED = "expired"
PROBLEM_USED = "used"
PROBLEM_RATE_LIMITED = "rate_limited"
PROBLEM_CODE_CHECKS_PAUSED = "code_checks_paused"   # the server's budget of wrong codes
PROBLEM_UNREACHABLE = "unreachable"
PROBLEM_UNTRUSTED = "untrusted"      # the server's certificate could not be verified
PROBLEM_VERSION = "version"
PROBLEM_REFUSED = "refused"          # any other refusal


# --- to the windows ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AskForCode:
    """Show the code prompt, with the reason the previous attempt failed, if any."""

    problem: str = ""


@dataclass(frozen=True, slots=True)
class Connecting:
    """A code is being checked with the server."""


@dataclass(frozen=True, slots=True)
class AskConsent:
    """The server welcomed the agent: ask whether the technician may view.

    ``first_meeting``: this computer has not met the organisation on this
    server: the warning against scams comes first.
    """

    technician: str
    organisation: str
    first_meeting: bool = False
    server: str = ""             # the server's host name
    verified: bool = False       # its identity verified by TLS
    recording: str = "never"     # the welcome's recording policy: never, ask, always
    recording_days: int = 0      # how long the organisation keeps a recording


@dataclass(frozen=True, slots=True)
class Branded:
    """The organisation's colour and logo, from the welcome, checked by the agent (ui/brand.py).

    Every window but the banner shows them under a stripe of the colour; the
    banner keeps one look whoever connects.
    """

    organisation: str
    colour: str = ""         # "#rrggbb", or "" for none
    logo_png: bytes = b""    # a PNG that fits in brand.LOGO_BOX, or b"" for none


@dataclass(frozen=True, slots=True)
class AskControl:
    """The technician asks for control."""

    technician: str
    organisation: str


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """Where the session stands, for the banner."""

    state: str                   # protocol.session.State values
    paused: bool
    viewer_connected: bool       # False once the technician's connection dropped
    technician: str
    organisation: str
    consent_assumed: bool = False
    unattended: bool = False     # a managed device's no-prompt policy gave consent
    can_send_files: bool = True  # the server's settings let files go to the technician
    took_over_from: str = ""     # the technician this one replaced, if another opened the session
    mandate_signed: bool = False  # a signed mandate binds the session: its copy can be saved
    recording: bool = False      # the server records the session now: the banner marks it


@dataclass(frozen=True, slots=True)
class ChatReceived:
    """One line of the chat, as the server numbered it (the person's own lines too)."""

    id: int
    at: float
    author: str                  # "technician" or "person"
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class AskDiagnostics:
    """The technician asks to read the computer's settings."""

    technician: str
    organisation: str


@dataclass(frozen=True, slots=True)
class DiagnosticsReading:
    """The settings are being read (True) or the reading is over (False), for the banner."""

    reading: bool


@dataclass(frozen=True, slots=True)
class AskAction:
    """The technician announces a disruptive action: ask OK / Not now."""

    id: int
    kind: str                    # an ActionKind value
    text: str                    # the technician's own words
    technician: str
    organisation: str


@dataclass(frozen=True, slots=True)
class BannerNote:
    """What the technician says they do, for the banner: a step, or an announcement that asks
    nothing."""

    kind: str                    # "step", or an ActionKind value
    text: str
    technician: str


@dataclass(frozen=True, slots=True)
class ClipboardReceived:
    """Text the technician copied, for this computer's clipboard."""

    text: str


@dataclass(frozen=True, slots=True)
class AskFile:
    """The technician sends a file: ask whether to accept it, and where it goes."""

    id: str
    name: str
    size: int
    sender: str
    folder: str                  # the default: the Downloads folder


@dataclass(frozen=True, slots=True)
class FileStarted:
    """A transfer the person takes part in begins: show it in the files window."""

    id: str
    name: str
    size: int
    direction: str               # "to_person" or "to_technician"
    folder: str = ""


@dataclass(frozen=True, slots=True)
class FileProgress:
    """Bytes moved so far, and the seconds since the transfer started."""

    id: str
    done: int
    elapsed: float


@dataclass(frozen=True, slots=True)
class FileUpdate:
    """A transfer moved on: "waiting", "delivered", "sent", "refused", "cancelled", "failed"."""

    id: str
    state: str
    by: str = ""
    reason: str = ""
    name: str = ""               # for a file refused before it was shown
    path: str = ""               # "delivered": where it was saved
    direction: str = "to_technician"  # for a file refused before it was shown


@dataclass(frozen=True, slots=True)
class AskMandate:
    """The mandate to read and sign (``kind`` "mandate"), or an extension ("extension")."""

    kind: str
    text: str                    # the exact text to sign; for an extension, what changes
    sha256: str
    technician: str
    organisation: str


@dataclass(frozen=True, slots=True)
class MandateTime:
    """The mandate's time ends soon (``warning``), or no longer does (an extension)."""

    warning: bool


@dataclass(frozen=True, slots=True)
class MandateCopySaved:
    """The copy of the mandate was saved at ``path``, or not (``problem``: agent.mandate.COPY_*)."""

    path: str
    problem: str = ""


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session is over: who ended it and why (a CloseReason value)."""

    by: str
    reason: int
    technician: str


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The connection to the server dropped during the session."""


@dataclass(frozen=True, slots=True)
class Reconnecting:
    """The connection to the server dropped: nothing is shared; attempt ``attempt`` (1, 2…) runs."""

    attempt: int


@dataclass(frozen=True, slots=True)
class Reconnected:
    """The session resumed on a new connection; its state follows."""


@dataclass(frozen=True, slots=True)
class Quit:
    """Close every window and exit with ``exit_code`` now, telling ``problem`` if any."""

    exit_code: int
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ReportAwaited:
    """The session is over and its technician is writing the report (agent/report.py)."""

    technician: str


@dataclass(frozen=True, slots=True)
class ReportReady:
    """The technician sent the report: show it (``server/recap.py``'s document)."""

    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReportTimedOut:
    """The report did not come while the agent waited."""


@dataclass(frozen=True, slots=True)
class ReportSaved:
    """The report's PDF is saved at ``path``."""

    path: str


@dataclass(frozen=True, slots=True)
class ReportNoteSent:
    """The person's note reached the technician."""


@dataclass(frozen=True, slots=True)
class ReportFailed:
    """Saving the report's PDF or sending the note failed: ``key`` is the sentence."""

    key: str


UiEvent = (
    AskForCode | Connecting | AskConsent | Branded | AskControl | SessionStatus | ChatReceived
    | ClipboardReceived | SessionEnded | ConnectionLost | Quit | AskDiagnostics
    | DiagnosticsReading | AskFile | FileStarted | FileProgress | FileUpdate | Reconnecting
    | Reconnected | AskAction | BannerNote | AskMandate | MandateTime | MandateCopySaved
    | ReportAwaited | ReportReady | ReportTimedOut | ReportSaved | ReportNoteSent | ReportFailed
)


# --- from the windows ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmitCode:
    """The person typed a code (already checked to have 9 digits)."""

    code: str


@dataclass(frozen=True, slots=True)
class ConsentAnswer:
    allow: bool
    record: bool = False  # the person accepts the recording (announced, or chosen)


@dataclass(frozen=True, slots=True)
class MetOrganisation:
    """The person read the warning about the organisation and clicked Continue."""


@dataclass(frozen=True, slots=True)
class ReportProblem:
    """The person clicked Report a problem on the warning: end at once, flag it."""


@dataclass(frozen=True, slots=True)
class ControlAnswer:
    allow: bool


@dataclass(frozen=True, slots=True)
class StopControl:
    """The person takes control back; the technician keeps viewing."""


@dataclass(frozen=True, slots=True)
class SetPaused:
    paused: bool


@dataclass(frozen=True, slots=True)
class EndSession:
    """The person ends the session."""


@dataclass(frozen=True, slots=True)
class SendChat:
    """The person sends a line of chat."""

    text: str


@dataclass(frozen=True, slots=True)
class ClipboardCopied:
    """The person copied text while the technician has control."""

    text: str


@dataclass(frozen=True, slots=True)
class DiagnosticsAnswer:
    """The person allowed (or refused) the reading of the computer's settings."""

    allow: bool


@dataclass(frozen=True, slots=True)
class AnswerAction:
    """The person said OK (or Not now) to announced action ``id``."""

    id: int
    ok: bool


@dataclass(frozen=True, slots=True)
class AnswerFile:
    """The person accepts a file into ``folder``, or refuses it."""

    id: str
    accept: bool
    folder: str = ""


@dataclass(frozen=True, slots=True)
class SendFile:
    """The person picked a file to send to the technician."""

    path: str


@dataclass(frozen=True, slots=True)
class CancelFile:
    """The person stops a transfer."""

    id: str


@dataclass(frozen=True, slots=True)
class SignMandate:
    """The person signs the text whose SHA-256 is ``sha256``: their name, and the PNG drawn."""

    sha256: str
    name: str
    drawing: bytes = b""         # a PNG, or nothing if they drew no signature


@dataclass(frozen=True, slots=True)
class RefuseMandate:
    """The person does not sign (the mandate), or not now (an extension)."""

    sha256: str


@dataclass(frozen=True, slots=True)
class SaveMandateCopy:
    """The person chose where to save a PDF copy of the mandate."""

    path: str


@dataclass(frozen=True, slots=True)
class GiveUp:
    """The person closed the code prompt: no session."""


@dataclass(frozen=True, slots=True)
class SaveReportPdf:
    """Save the report's PDF (from the server) at ``path``, which the person chose."""

    path: str


@dataclass(frozen=True, slots=True)
class SendReportNote:
    """The person's answer to "Is there anything else you need?"."""

    text: str


UserAction = (
    SubmitCode | ConsentAnswer | MetOrganisation | ReportProblem | ControlAnswer | StopControl
    | SetPaused | EndSession
    | SendChat | ClipboardCopied | GiveUp | DiagnosticsAnswer | AnswerFile | SendFile | CancelFile
    | AnswerAction | SignMandate | RefuseMandate | SaveMandateCopy | SaveReportPdf
    | SendReportNote
)
