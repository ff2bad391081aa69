"""The support session's state machine, without any I/O.

The server owns one ``SupportSession`` per session. Its connection code
feeds it what the agent and the viewer say and what happens to their
sockets, then sends ``data_to_send()`` and stores ``audit_records()``.
docs/topics/session-states.md draws the table below.

One technician watches at a time: the last whose viewer opened the
session. When another technician opens it, the person is told who watches
now, and control (held or asked for by the one before) drops back to
viewing: control is granted by the person to one named technician. What a
viewer sends is recorded under the technician who watches.

The person's side is the agent, or the join page sharing from a browser
(``AgentKind.BROWSER``). A browser share is view only: the machine never
asks its person for control, and drops what a viewer sends for the agent's
frames and tools; files go both ways as with the agent, the page playing
the agent's part in ``FileTransfers``. Its picture goes by WebRTC between
the two browsers: the machine gives each side its ICE servers (``RtcConfig``) and passes the
offer, the answer and the candidates between them while the person shares,
never otherwise. A browser cannot resume after a drop: its connection
lost ends the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..i18n import normalize
from . import messages as m
from .enums import (
    DISRUPTIVE_ACTIONS,
    ActionKind,
    AgentKind,
    Author,
    By,
    ControlAnswer,
    IcePolicy,
    RecordingPolicy,
    Tool,
    TransferState,
    ViewAnswer,
)
from .enums import Role as Role
from .enums import State as State
from .errors import CloseReason, InvalidTransition, LocalProtocolError, NotAllowed
from .mandate import (
    MAX_MINUTES,
    MAX_SIGNER_CHARS,
    WARNING_SECONDS,
    Terms,
    digest,
    render,
    render_extension,
    signature_drawing,
)
from .transfer import REASON_DIRECTION, TO_TECHNICIAN, FileTransfers

# State and Role are the machine's own vocabulary, re-exported from here where
# readers look for them; they are defined in enums.py, below messages.py,
# so that the messages can type their fields with them.

TRANSITIONS: dict[State, set[State]] = {
    State.WAITING_FOR_PERSON: {State.WAITING_FOR_CONSENT, State.ENDED},
    State.WAITING_FOR_CONSENT: {State.VIEWING, State.ENDED},
    State.VIEWING: {State.CONTROL_REQUESTED, State.ENDED},
    State.CONTROL_REQUESTED: {State.CONTROLLING, State.VIEWING, State.ENDED},
    State.CONTROLLING: {State.VIEWING, State.ENDED},
    State.ENDED: set(),
}

SHARING_STATES = frozenset({State.VIEWING, State.CONTROL_REQUESTED, State.CONTROLLING})

# What a viewer may say in a browser share; the rest is for the agent alone.
# Files go both ways through the page, as with the agent (protocol/transfer.py).
# Announcements and steps are shown on its panel; none asks (the page has no question).
VIEWER_TO_BROWSER = (m.RtcAnswer, m.RtcCandidate, m.Chat, m.End, m.FileOffer, m.FileCancel,
                     m.Announce, m.Step, m.MandateExtend)

# What a refusal names, for the tools a mandate may leave out.
TOOL_WORDS = {
    Tool.CONTROL: "control of the person's computer",
    Tool.FILES_TO_PERSON: "sending files to the person",
    Tool.FILES_TO_TECHNICIAN: "receiving files from the person",
    Tool.CLIPBOARD: "sharing the clipboard",
    Tool.DIAGNOSTICS: "reading the computer's diagnostics",
    Tool.RECORDING: "recording the session",
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for one side."""

    to: Role
    message: m.Message


@dataclass(frozen=True, slots=True)
class Technician:
    """A technician, as the session names them: user id, display name, organisation."""

    id: int
    name: str
    organisation: str

    def as_wire(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "organisation": self.organisation}


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One step of the session, to be stored with who did it."""

    actor: By
    action: str       # e.g. "consent_given"
    detail: dict[str, Any] = field(default_factory=dict)
    technician: Technician | None = None  # which one, when the actor is "technician"


@dataclass(frozen=True, slots=True)
class Person:
    """What the agent says of the assisted computer."""

    hostname: str = ""
    os: str = ""
    user: str = ""


@dataclass(frozen=True, slots=True)
class Signature:
    """A signature the I/O layer stores (``MandateSignature``): the exact text, its hash, who."""

    kind: Literal["mandate", "extension"]
    text: str
    sha256: str
    language: str
    signer_name: str
    drawing_png: bytes | None
    signed_at: float


@dataclass(slots=True)
class BoundMandate:
    """The mandate that binds a session, as the machine keeps it.

    ``tools`` and ``ends_at`` are the terms' once signed, as extensions moved
    them; ``sha256`` is the text signed last's (the offer's until signed),
    ``signed_by`` "" until the person signs.
    """

    terms: Terms
    tools: frozenset[Tool]
    technician: str = ""      # who wrote it, and their organisation: named in its text
    organisation: str = ""
    sha256: str = ""
    signed_by: str = ""
    ends_at: float = 0.0
    warned: bool = False

    @property
    def signed(self) -> bool:
        return bool(self.signed_by)


@dataclass(frozen=True, slots=True)
class PendingOffer:
    """A text offered to the person and not yet answered."""

    offer: m.MandateOffer
    added_minutes: int = 0
    added_tools: frozenset[Tool] = frozenset()


class SupportSession:
    """Protocol state of one support session, between one agent and one viewer.

    Args:
        technician_name, organisation, technician_id: who issued the code.
    """

    def __init__(
        self,
        session_id: str,
        technician_name: str,
        organisation: str,
        code_expires_at: float,
        *,
        technician_id: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session_id = session_id
        self._clock = clock  # stamps chat messages; the only time the machine reads
        self.technician_name = technician_name
        self.organisation = organisation
        self.owner = Technician(technician_id, technician_name, organisation)
        # Whose viewer is connected (or in its grace period); None before any.
        self.watcher: Technician | None = None
        # Who asked for control, then holds it; None outside those two states.
        self.controller: Technician | None = None
        self._agent_knows: Technician | None = None  # who the agent was last told watches
        self.code_expires_at = code_expires_at
        self.kind = AgentKind.APP   # what the person shares from; known once they join
        # The ICE servers a browser share's side gets, minted when it is sent
        # (the rendezvous sets it: server/turn.py); none by default.
        self.rtc_config: Callable[[Role], m.RtcConfig] = lambda _role: m.RtcConfig(
            [], IcePolicy.ALL)
        # The organisation's colour and logo (base64 PNG) for the welcome; the
        # rendezvous sets them from the store (server/branding.py).
        self.brand: tuple[str, str] = ("", "")
        self.state = State.WAITING_FOR_PERSON
        self.paused = False
        self.person = Person()
        self.viewer_connected = False
        self.agent_connected = False
        self.screen: m.Screen | None = None  # the last geometry, for a viewer that (re)joins
        self.chat: list[m.ChatMessage] = []   # the transcript, replayed to a viewer that rejoins
        # Announced actions, steps and the person's answers, in order: the
        # timeline, replayed to a viewer that rejoins.
        self.timeline: list[m.Announcement | m.StepMessage | m.ActionAnswer] = []
        self._timeline_ids = 0  # the last number given to an announcement or a step
        self._asking: dict[int, m.Announcement] = {}  # announcements the person has not answered
        self.files = FileTransfers(
            self._send,
            lambda actor, action, **detail: self._record(actor, action, **detail),
        )
        # Recording (server/recording/): the policy the welcome announces (the
        # rendezvous sets it from the organisation's, and the mandate), whether
        # the person accepted it (``Consent.record``), whether one runs now,
        # and why it stopped early, if it did (it does not start again).
        self.recording_policy = RecordingPolicy.NEVER
        self.recording_days = 0
        self.record_consented = False
        self.recording = False
        self.recording_stopped_for = ""
        self.ended_by: By | Literal[""] = ""
        self.end_reason: CloseReason | None = None
        # The mandate (None: a session without one), the text offered and not
        # yet answered, the person's language to render it in, and how many
        # seconds a mandate minute lasts (shorter in tests and demos).
        self.mandate: BoundMandate | None = None
        self._offer: PendingOffer | None = None
        self.language = ""
        self.mandate_minute = 60.0
        self._signatures: list[Signature] = []
        self._outbox: list[Outgoing] = []
        self._audit: list[AuditRecord] = []

    # --- queries ---------------------------------------------------------

    @property
    def frames_flow(self) -> bool:
        """Whether the relay may pass the agent's frames to the viewer."""
        return self.state in SHARING_STATES and not self.paused

    @property
    def browser_share(self) -> bool:
        """Whether the person shares from the join page's browser: view only, over WebRTC."""
        return self.kind is AgentKind.BROWSER

    @property
    def rtc_flows(self) -> bool:
        """Whether a browser share's signalling may pass between the two sides."""
        return self.browser_share and self.frames_flow

    @property
    def input_flows(self) -> bool:
        """Whether the technician's keyboard and mouse may reach the agent."""
        return self.state is State.CONTROLLING and not self.paused

    @property
    def wants_recording(self) -> bool:
        """Whether a recording of the agent's frames should start now.

        Only with a policy other than ``never``, the person's yes on this
        computer (``Consent.record``), while sharing, once: a recording that
        stopped (a full disk) does not start again. A browser share is
        recorded by the technician's console instead (it has no frames here).
        """
        return (
            self.recording_policy is not RecordingPolicy.NEVER
            and self.record_consented
            and not self.recording
            and not self.recording_stopped_for
            and not self.browser_share
            and self.state in SHARING_STATES
        )

    @property
    def browser_recording_allowed(self) -> bool:
        """Whether the console may record a browser share's picture (the person accepted on
        the join page); the recording is then on (``recording``) until it stops or ends."""
        return (
            self.browser_share
            and self.recording_policy is not RecordingPolicy.NEVER
            and self.record_consented
            and not self.recording_stopped_for
            and self.state in SHARING_STATES
        )

    def state_message(self) -> m.State:
        return m.State(
            state=self.state,
            paused=self.paused,
            person_hostname=self.person.hostname,
            person_user=self.person.user,
            code_expires_at=self.code_expires_at
            if self.state is State.WAITING_FOR_PERSON
            else 0.0,
            controller_id=self.controller.id if self.controller is not None else 0,
            kind=self.kind,
            recording=self.recording,
        )

    @property
    def technician(self) -> Technician:
        """The technician whose viewer speaks now: the watcher, or the code's owner."""
        return self.watcher or self.owner

    # --- outputs ---------------------------------------------------------

    def data_to_send(self) -> list[Outgoing]:
        out, self._outbox = self._outbox, []
        return out

    def audit_records(self) -> list[AuditRecord]:
        out, self._audit = self._audit, []
        return out

    def signatures(self) -> list[Signature]:
        """The signatures given since the last call, for the I/O layer to store."""
        out, self._signatures = self._signatures, []
        return out

    # --- inputs ----------------------------------------------------------

    def issue_code(self, masked_code: str) -> None:
        """Records that the technician asked for a code."""
        self._record(By.TECHNICIAN, "code_issued", code=masked_code)

    @classmethod
    def recovered(
        cls,
        session_id: str,
        technician_name: str,
        organisation: str,
        *,
        state: State,
        paused: bool,
        person: Person,
        chat: list[m.ChatMessage],
        technician_id: int = 0,
        timeline_ids: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> SupportSession:
        """A session that was live when the server stopped, rebuilt from the database.

        Both sides are away. The agent may resume it (``agent_resumed``);
        control is not restored, and a request for it is forgotten: the
        person confirms control again after an interruption.

        Args:
            state: the state the database holds, past ``waiting_for_person``.
            paused: whether the person had paused sharing.
            chat: the transcript so far, so that new lines keep their numbers.
            timeline_ids: the last number given to an announcement or a step, so
                that new ones are not taken for old ones by a viewer.
        """
        session = cls(session_id, technician_name, organisation, 0.0,
                      technician_id=technician_id, clock=clock)
        session.person = person
        session.chat = list(chat)
        session._timeline_ids = timeline_ids
        session._record(By.SERVER, "server_restarted", state=state.value)
        session.state = State.VIEWING if state in SHARING_STATES else State.WAITING_FOR_CONSENT
        session.paused = paused and session.state is State.VIEWING
        session._withdraw_control(state, "server_restarted")
        return session

    def agent_joined(
        self, person: Person, resume: str = "", kind: AgentKind = AgentKind.APP,
        language: str = "",
    ) -> None:
        """The person typed the right code: show them who asks.

        With a mandate (``bind_mandate``), it is offered first, in the person's
        language; a standing mandate signed before starts its time now.

        Args:
            resume: the secret the agent presents to resume after a drop.
            kind: the agent, or the join page's browser share.
            language: the person's (``Hello.language``), for the mandate's text.
        """
        self._move(State.WAITING_FOR_CONSENT)
        self.person = person
        self.kind = kind
        self.language = language
        self.agent_connected = True
        self._record(By.PERSON, "code_used", hostname=person.hostname, user=person.user,
                     **({"kind": kind.value} if self.browser_share else {}))
        self._welcome(resume)
        if self.mandate is not None:
            if self.mandate.signed:
                self._start_standing()
            else:
                self._offer_mandate()
        if self.browser_share:
            self._send(Role.AGENT, self.rtc_config(Role.AGENT))
            if self.viewer_connected:
                self._send(Role.VIEWER, self.rtc_config(Role.VIEWER))
        self._broadcast_state()

    def agent_resumed(self) -> None:
        """The agent came back with its resume secret: the session goes on where it was.

        It goes on in ``viewing`` (or ``waiting_for_consent`` if the person
        had not answered yet): ``agent_lost`` and ``recovered`` have withdrawn
        control already.
        """
        if self.state in (State.ENDED, State.WAITING_FOR_PERSON):
            raise InvalidTransition(f"{self.state.value}: nothing to resume")
        if self.agent_connected:
            # A new connection before the server saw the old one drop.
            self._withdraw_control(self.state, "agent_reconnected")
        self.agent_connected = True
        self._record(By.PERSON, "agent_reconnected")
        self._welcome("")
        if self.mandate is not None:
            # The drop closed the mandate's window: the text waiting is offered
            # again (a new one after a restart), the mandate signed is repeated.
            if self.mandate.signed:
                self._send(Role.AGENT, self._mandate_state())
            if self._offer is None and not self.mandate.signed:
                self._offer_mandate()
            elif self._offer is not None:
                self._send(Role.AGENT, self._offer.offer)
        self._broadcast_state()
        self._send(Role.VIEWER, m.Peer(Role.AGENT, True))
        if self.state in SHARING_STATES:
            self._send(Role.AGENT, m.Peer(Role.VIEWER, self.viewer_connected))
            if self.viewer_connected:
                self._send(Role.AGENT, m.KeyframeRequest())
            # The questions still unanswered are asked again: the drop closed their window.
            for asked in self._asking.values():
                self._send(Role.AGENT, asked)

    def viewer_joined(self, technician: Technician | None = None) -> None:
        """A technician's viewer connected (or came back).

        Args:
            technician: whose viewer; the code's owner if not given. Another
                technician than the one watching takes over: the person is
                told, and control goes back to the person.
        """
        if self.state is State.ENDED:
            return
        technician = technician or self.owner
        previous, self.watcher = self.watcher, technician
        taken_over = previous is not None and previous.id != technician.id
        was_connected, self.viewer_connected = self.viewer_connected, True
        if taken_over and self.state in (State.CONTROL_REQUESTED, State.CONTROLLING):
            # Control was granted (or asked) for someone else.
            self._move(State.VIEWING)
            self.controller = None
            self._record(By.SERVER, "control_released", why="technician_changed")
            self._broadcast_state()
        else:
            self._send(Role.VIEWER, self.state_message())
        if self.mandate is not None and self.state is not State.WAITING_FOR_PERSON:
            self._send(Role.VIEWER, self._mandate_state())
        if self.state is not State.WAITING_FOR_PERSON and self._agent_knows != technician:
            self._agent_knows = technician
            self._send(Role.AGENT, m.Watching([technician.as_wire()]))
        if self.browser_share and self.state is not State.WAITING_FOR_PERSON:
            # Before the person's browser hears of this viewer and offers.
            self._send(Role.VIEWER, self.rtc_config(Role.VIEWER))
        if self.state in SHARING_STATES:
            if self.screen is not None:
                self._send(Role.VIEWER, self.screen)
            for line in self.chat:
                self._send(Role.VIEWER, line)
            for entry in self.timeline:
                self._send(Role.VIEWER, entry)
            for message in self.files.replay():
                self._send(Role.VIEWER, message)
            if taken_over:
                assert previous is not None
                self._record(By.TECHNICIAN, "viewer_connected", replaces=previous.name)
            elif not was_connected:
                self._record(By.TECHNICIAN, "viewer_connected")
            self._send(Role.AGENT, m.Peer(Role.VIEWER, True))
            self._send(Role.AGENT, m.KeyframeRequest())
        if self.state is not State.WAITING_FOR_PERSON:
            # Whether the person's computer is there, or reconnecting.
            self._send(Role.VIEWER, m.Peer(Role.AGENT, self.agent_connected))

    def viewer_lost(self) -> None:
        """The technician's connection dropped; the session waits for it to come back."""
        if self.state is State.ENDED or not self.viewer_connected:
            return
        self.viewer_connected = False
        if self.state is State.CONTROLLING:
            # Nobody may hold control through a connection that is gone.
            self._move(State.VIEWING)
            self.controller = None
            self._record(By.SERVER, "control_released", why="viewer_lost")
        if self.state is not State.WAITING_FOR_PERSON:
            self._record(By.SERVER, "viewer_lost")
            self._send(Role.AGENT, m.Peer(Role.VIEWER, False))
            self._broadcast_state()

    def agent_lost(self, *, may_return: bool = True) -> None:
        """The assisted computer's connection dropped.

        A drop (the network, a restarting server) leaves the session waiting
        for the agent to resume; control is withdrawn at once. The I/O layer
        ends the session (``server_end(PEER_LOST)``) once the grace period
        is over.

        Args:
            may_return: False when the agent closed the connection itself,
                or broke the protocol: the session ends at once.
        """
        if self.state in (State.ENDED, State.WAITING_FOR_PERSON) or not self.agent_connected:
            return
        if not may_return:
            self.agent_connected = False
            self._end(By.SERVER, CloseReason.PEER_LOST, notify_agent=False)
            return
        self.agent_connected = False
        self._record(By.SERVER, "agent_lost")
        self._withdraw_control(self.state, "agent_lost")
        self._send(Role.VIEWER, m.Peer(Role.AGENT, False))
        self._broadcast_state()

    def expire(self, now: float) -> None:
        """Ends a session whose code was never used in time."""
        if self.state is State.WAITING_FOR_PERSON and now >= self.code_expires_at:
            self._end(By.SERVER, CloseReason.CODE_EXPIRED)

    def server_end(self, reason: CloseReason) -> None:
        """The server ends the session (shutdown, timeout)."""
        if self.state is not State.ENDED:
            self._end(By.SERVER, reason)

    def receive_from_agent(self, message: m.Message) -> None:
        """Handles one message from the agent.

        Raises:
            NotAllowed: the message makes no sense in this state.
        """
        match message:
            case m.Consent(decision=ViewAnswer.ALLOW_VIEW) if (
                self.state is State.WAITING_FOR_CONSENT
                and self.mandate is not None and not self.mandate.signed
            ):
                raise NotAllowed(
                    "the person is asked to share their screen once they have signed the mandate")
            case m.MandateSign() if self.state is not State.ENDED:
                self._sign(message)
            case m.MandateRefuse(sha256=sha256) if self.state is not State.ENDED:
                self._refuse_offer(sha256)
            case m.Consent(decision=ViewAnswer.ALLOW_VIEW, record=record) if (
                self.state is State.WAITING_FOR_CONSENT
            ):
                self._move(State.VIEWING)
                self._record(By.PERSON, "consent_given", scope="view")
                if self.recording_policy is not RecordingPolicy.NEVER:
                    # What the person answered about the recording, as they were told it.
                    self.record_consented = record
                    self._record(By.PERSON,
                                 "recording_accepted" if record else "recording_declined",
                                 policy=self.recording_policy.value)
                self._broadcast_state()
                if self.viewer_connected:
                    self._send(Role.AGENT, m.Peer(Role.VIEWER, True))
            case m.Consent(decision=ViewAnswer.DECLINE) if self.state is State.WAITING_FOR_CONSENT:
                self._record(By.PERSON, "consent_declined")
                self._end(By.PERSON, CloseReason.DECLINED)
            case m.Report() if self.state is not State.ENDED:
                # The person does not trust who asks: the session ends at once,
                # and the organisation's admins see the report in the console.
                self._record(By.PERSON, "problem_reported")
                self._end(By.PERSON, CloseReason.REPORTED_BY_PERSON)
            case m.ControlDecision(decision=ControlAnswer.ALLOW_CONTROL) if (
                self.state is State.CONTROL_REQUESTED
            ):
                self._move(State.CONTROLLING)
                self._record(By.PERSON, "control_granted", **self._controller_detail())
                self._broadcast_state()
            case m.ControlDecision(decision=ControlAnswer.KEEP_VIEW_ONLY) if (
                self.state is State.CONTROL_REQUESTED
            ):
                self._move(State.VIEWING)
                self._record(By.PERSON, "control_refused", **self._controller_detail())
                self.controller = None
                self._broadcast_state()
            case m.ControlRevoke() if self.state in (State.CONTROLLING, State.CONTROL_REQUESTED):
                self._move(State.VIEWING)
                self._record(By.PERSON, "control_revoked", **self._controller_detail())
                self.controller = None
                self._broadcast_state()
            case m.ControlRevoke() if self.state is State.VIEWING:
                pass  # a click that crossed the technician's own release
            case m.Pause(paused=paused) if self.state in SHARING_STATES:
                if paused != self.paused:
                    self.paused = paused
                    self._record(By.PERSON, "paused" if paused else "resumed")
                    self._broadcast_state()
            case m.Screen() if self.state in SHARING_STATES:
                self.screen = message
                self._send(Role.VIEWER, message)
            case m.Chat(text=text) if self.state in SHARING_STATES:
                person = self.person.user or self.person.hostname
                self._chat(Author.PERSON, person, text)
            case m.Clipboard() if not self._allows(Tool.CLIPBOARD):
                pass  # the agent keeps it to itself; one that sends it anyway is not heard
            case m.Clipboard(text=text):
                # Only under control; a copy made as control ends is dropped.
                if self.input_flows:
                    self._record(By.PERSON, "clipboard_sent", characters=len(text))
                    self._send(Role.VIEWER, message)
            case m.DiagnosticsReport(findings=findings) if self.state in SHARING_STATES:
                self._record(By.PERSON, "diagnostics_read", findings=findings)
                self._send(Role.VIEWER, message)
            case m.DiagnosticsDeclined() if self.state in SHARING_STATES:
                self._record(By.PERSON, "diagnostics_declined")
                self._send(Role.VIEWER, message)
            case m.ActionAnswer(id=ident, answer=answer) if self.state in SHARING_STATES:
                asked = self._asking.pop(ident, None)
                if asked is not None:  # else a second click, or an id never asked: dropped
                    self._record(By.PERSON, "action_answered", id=ident, kind=asked.kind.value,
                                 answer=answer.value)
                    self.timeline.append(message)
                    self._send(Role.VIEWER, message)
            case m.FileOffer() if (
                self.state in SHARING_STATES and not self._allows(Tool.FILES_TO_TECHNICIAN)
            ):
                # Refused as a way the server does not allow: the session goes on.
                self._record(By.PERSON, "tool_refused", tool=Tool.FILES_TO_TECHNICIAN.value)
                self._send(Role.AGENT, m.FileStatus(message.id[:64], TransferState.REFUSED,
                                                    By.SERVER, REASON_DIRECTION))
            case m.FileOffer() if self.state in SHARING_STATES:
                self.files.offer_from_person(message, self.person.user or self.person.hostname)
            case m.FileAnswer() if self.state in SHARING_STATES:
                self.files.answer(message)
            case m.FileProgress():
                self.files.progress(message)
            case m.FileResult():
                self.files.result(message)
            case m.FileCancel():
                self.files.cancel(message.id, By.PERSON)
            case m.RtcOffer() | m.RtcCandidate() if self.browser_share:
                # Signalling of a sharing that stopped meanwhile is dropped.
                if self.rtc_flows and self.viewer_connected:
                    self._send(Role.VIEWER, message)
            case m.End():
                self._end(By.PERSON, CloseReason.ENDED_BY_PERSON, notify_agent=True)
            case _:
                raise NotAllowed(f"{message.type!r} is not expected in state {self.state.value}")

    def receive_from_viewer(self, message: m.Message) -> None:
        """Handles one message from the viewer of the technician who watches.

        Input is dropped, not refused, outside control: keys can still be in
        flight when the person takes control back. Whatever the viewer does
        is recorded under ``self.watcher``.

        Raises:
            NotAllowed: the message makes no sense in this state.
        """
        if self.browser_share and not isinstance(message, VIEWER_TO_BROWSER):
            # View only: no control, no frames to acknowledge, no diagnostics,
            # no monitors; a viewer that asks anyway is not answered.
            return
        match message:
            case m.RtcAnswer() | m.RtcCandidate() if self.browser_share:
                if self.rtc_flows:
                    self._send(Role.AGENT, message)
            case m.Key() | m.Pointer() | m.Wheel():
                if self.input_flows:
                    self._send(Role.AGENT, message)
            case m.FrameAck() | m.KeyframeRequest() | m.Encodings():
                if self.state in SHARING_STATES:
                    self._send(Role.AGENT, message)
            case m.RequestControl() if (
                self.state in SHARING_STATES and not self._allows(Tool.CONTROL)
            ):
                self._refuse_tool(Tool.CONTROL)
            case m.Clipboard() if self.input_flows and not self._allows(Tool.CLIPBOARD):
                self._refuse_tool(Tool.CLIPBOARD)
            case m.DiagnosticsRequest() if (
                self.state in SHARING_STATES and not self._allows(Tool.DIAGNOSTICS)
            ):
                self._refuse_tool(Tool.DIAGNOSTICS)
            case m.FileOffer() if (
                self.state in SHARING_STATES and not self._allows(Tool.FILES_TO_PERSON)
            ):
                self._refuse_tool(Tool.FILES_TO_PERSON)
            case m.MandateExtend() if self.state is not State.ENDED:
                self._offer_extension(message)
            case m.RequestControl() if self.state is State.VIEWING and not self.agent_connected:
                pass  # nobody to ask while the person's computer reconnects
            case m.RequestControl() if self.state is State.VIEWING:
                self._move(State.CONTROL_REQUESTED)
                asker = self.controller = self.technician
                self._record(By.TECHNICIAN, "control_requested")
                self._send(Role.AGENT, m.ControlRequest(asker.id, asker.name, asker.organisation))
                self._broadcast_state()
            case m.RequestControl() if self.state in (State.CONTROL_REQUESTED, State.CONTROLLING):
                pass  # a double click on the button
            case m.ReleaseControl() if self.state is State.CONTROLLING:
                self._move(State.VIEWING)
                self.controller = None
                self._record(By.TECHNICIAN, "control_released")
                self._broadcast_state()
            case m.ReleaseControl():
                pass
            case m.Chat(text=text) if self.state in SHARING_STATES:
                self._chat(Author.TECHNICIAN, self.technician.name, text)
            case m.Announce(kind=kind, text=text) if self.state in SHARING_STATES:
                self._announce(kind, text)
            case m.Step(text=text) if self.state in SHARING_STATES:
                self._step(text)
            case m.Clipboard(text=text):
                if self.input_flows:
                    self._record(By.TECHNICIAN, "clipboard_sent", characters=len(text))
                    self._send(Role.AGENT, message)
            case m.DiagnosticsRequest() if self.state in SHARING_STATES:
                self._record(By.TECHNICIAN, "diagnostics_requested")
                self._send(Role.AGENT, message)
            case m.SelectMonitor(monitor=monitor) if self.state in SHARING_STATES:
                self._record(By.TECHNICIAN, "monitor_selected", monitor=monitor)
                self._send(Role.AGENT, message)
            case m.FileOffer() if self.state in SHARING_STATES:
                self.files.offer_from_technician(message, self.technician.name)
            case m.FileCancel():
                self.files.cancel(message.id, By.TECHNICIAN)
            case m.End():
                self._end(By.TECHNICIAN, CloseReason.ENDED_BY_TECHNICIAN)
            case _:
                raise NotAllowed(f"{message.type!r} is not expected in state {self.state.value}")

    # --- the mandate ---------------------------------------------------------

    def bind_mandate(
        self, terms: Terms, *, technician: Technician | None = None, signed_by: str = "",
        sha256: str = "", tools: frozenset[Tool] | None = None, ends_at: float = 0.0,
    ) -> None:
        """The session is bound by these terms: call before the person's side arrives.

        Args:
            technician: who wrote the mandate (named in its text); the code's owner if not given.
            signed_by, sha256: a standing mandate the person signed before
                (no offer: its time starts when they join), or, after a restart,
                the mandate signed in this session.
            tools, ends_at: after a restart, the mandate as extensions left it.
        """
        author = technician or self.owner
        self.mandate = BoundMandate(
            terms, terms.tools if tools is None else tools, author.name, author.organisation,
            sha256=sha256, signed_by=signed_by, ends_at=ends_at)

    def tick(self, now: float) -> None:
        """The mandate's time: the warning from ``WARNING_SECONDS`` before its end, then the end.

        The I/O layer calls it every second or so; ``now`` is Unix time.
        """
        mandate = self.mandate
        if (mandate is None or not mandate.signed or not mandate.ends_at
                or self.state in (State.ENDED, State.WAITING_FOR_PERSON)):
            return
        if now >= mandate.ends_at:
            self._record(By.SERVER, "mandate_expired", sha256=mandate.sha256)
            self._end(By.SERVER, CloseReason.MANDATE_EXPIRED)
        elif not mandate.warned and now >= mandate.ends_at - self._warning_seconds:
            mandate.warned = True
            self._record(By.SERVER, "mandate_warning", ends_at=mandate.ends_at)
            self._send_mandate_state()

    @property
    def _warning_seconds(self) -> float:
        # A mandate minute may be made shorter (tests, demos): the warning keeps its share.
        return WARNING_SECONDS * self.mandate_minute / 60

    def _end_after(self, start: float, minutes: int) -> float:
        # To the millisecond: the database keeps microseconds, and the end read
        # back after a restart is the one both sides were told.
        return round(start + minutes * self.mandate_minute, 3)

    def _allows(self, tool: Tool) -> bool:
        return self.mandate is None or tool in self.mandate.tools

    def _refuse_tool(self, tool: Tool) -> None:
        """A technician asked for a tool outside the mandate: recorded, then refused."""
        self._record(By.TECHNICIAN, "tool_refused", tool=tool.value)
        raise NotAllowed(f"the mandate the person signed does not allow {TOOL_WORDS[tool]}: "
                         "ask them to sign an extension first")

    def _mandate_state(self, *, extension_refused: bool = False) -> m.MandateState:
        mandate = self.mandate
        assert mandate is not None
        return m.MandateState(
            sha256=mandate.sha256, tools=_tool_values(mandate.tools), ends_at=mandate.ends_at,
            signed_by=mandate.signed_by, warning=mandate.warned,
            extension_refused=extension_refused, now=self._clock())

    def _send_mandate_state(self, *, extension_refused: bool = False) -> None:
        message = self._mandate_state(extension_refused=extension_refused)
        self._send(Role.VIEWER, message)
        self._send(Role.AGENT, message)

    def _offer_mandate(self) -> None:
        """The terms, rendered in the person's language, offered to sign; the viewer waits."""
        mandate = self.mandate
        assert mandate is not None
        language = normalize(self.language)
        text = render(mandate.terms, technician=mandate.technician,
                      organisation=mandate.organisation, language=language)
        offer = m.MandateOffer("mandate", text, digest(text), _tool_values(mandate.terms.tools),
                               mandate.terms.minutes)
        self._offer = PendingOffer(offer)
        mandate.sha256 = offer.sha256
        self._record(By.SERVER, "mandate_offered", sha256=offer.sha256, language=language,
                     minutes=offer.minutes, tools=offer.tools)
        self._send(Role.AGENT, offer)
        self._send(Role.VIEWER, self._mandate_state())

    def _start_standing(self) -> None:
        """A standing mandate signed before binds this session: its time starts now."""
        mandate = self.mandate
        assert mandate is not None
        mandate.ends_at = self._end_after(self._clock(), mandate.terms.minutes)
        self._record(By.SERVER, "mandate_standing", sha256=mandate.sha256,
                     signer=mandate.signed_by, ends_at=mandate.ends_at)
        self._send_mandate_state()

    def _sign(self, message: m.MandateSign) -> None:
        """The person signs the text offered: stored, then the new mandate to both sides."""
        pending, mandate = self._offer, self.mandate
        if pending is None or mandate is None:
            if mandate is not None and mandate.signed and message.sha256 == mandate.sha256:
                return  # a second click on Sign
            raise NotAllowed("no mandate waits for the person's signature")
        offer = pending.offer
        if message.sha256 != offer.sha256:
            raise NotAllowed("the signature is for another text than the one offered")
        name = " ".join(message.name.split())
        if not name:
            raise NotAllowed("a mandate is signed with the person's name, and it is empty")
        if len(name) > MAX_SIGNER_CHARS:
            raise NotAllowed(f"a signer's name has at most {MAX_SIGNER_CHARS} characters")
        drawing = signature_drawing(message.drawing)
        now = self._clock()
        self._offer = None
        if offer.kind == "mandate":
            mandate.ends_at = self._end_after(now, mandate.terms.minutes)
            mandate.tools = mandate.terms.tools
        else:
            mandate.ends_at = offer.ends_at
            mandate.tools = frozenset(Tool(tool) for tool in offer.tools)
        mandate.sha256, mandate.signed_by = offer.sha256, name
        mandate.warned = False  # the next tick warns, if the new end is that close
        language = normalize(self.language)
        self._signatures.append(
            Signature(offer.kind, offer.text, offer.sha256, language, name, drawing, now))
        detail: dict[str, Any] = {"sha256": offer.sha256, "signer": name,
                                  "drawing": drawing is not None, "ends_at": mandate.ends_at}
        if offer.kind == "mandate":
            self._record(By.PERSON, "mandate_signed", **detail)
        else:
            self._record(By.PERSON, "mandate_extended", **detail, minutes=pending.added_minutes,
                         tools=_tool_values(pending.added_tools))
        self._send_mandate_state()

    def _refuse_offer(self, sha256: str) -> None:
        """The person does not sign: the mandate ends the session, an extension does not."""
        pending = self._offer
        if pending is None or sha256 != pending.offer.sha256:
            raise NotAllowed("no text with this SHA-256 waits for the person's answer")
        self._offer = None
        if pending.offer.kind == "mandate":
            self._record(By.PERSON, "mandate_refused", sha256=sha256)
            self._end(By.PERSON, CloseReason.MANDATE_REFUSED)
        else:
            self._record(By.PERSON, "mandate_extension_refused", sha256=sha256,
                         minutes=pending.added_minutes, tools=_tool_values(pending.added_tools))
            self._send_mandate_state(extension_refused=True)

    def _offer_extension(self, message: m.MandateExtend) -> None:
        """The technician asks for more time or another tool: the person is offered what changes."""
        mandate = self.mandate
        if mandate is None:
            raise NotAllowed("this session has no mandate to extend")
        if not mandate.signed:
            raise NotAllowed("the person has not signed the mandate yet: nothing to extend")
        if self._offer is not None:
            raise NotAllowed("an extension already waits for the person's answer")
        if not self.agent_connected:
            raise NotAllowed("the person's computer is reconnecting: ask again once it is back")
        if not 0 <= message.minutes <= MAX_MINUTES:
            raise NotAllowed(
                f"an extension adds from 0 to {MAX_MINUTES} minutes, not {message.minutes}")
        known = {tool.value for tool in Tool}
        for tool in message.tools:
            if not isinstance(tool, str) or tool not in known:
                raise NotAllowed(f"an extension adds tools among {', '.join(sorted(known))}, "
                                 f"not {str(tool)[:40]!r}")
        added = frozenset(Tool(tool) for tool in message.tools) - mandate.tools
        if not message.minutes and not added:
            raise NotAllowed("an extension adds time or a tool the mandate does not allow yet")
        technician = self.technician
        text = render_extension(added_minutes=message.minutes, added_tools=added,
                                technician=technician.name, organisation=technician.organisation,
                                language=normalize(self.language))
        offer = m.MandateOffer("extension", text, digest(text), _tool_values(mandate.tools | added),
                               message.minutes,
                               self._end_after(mandate.ends_at, message.minutes))
        self._offer = PendingOffer(offer, message.minutes, added)
        self._record(By.TECHNICIAN, "mandate_extension_offered", sha256=offer.sha256,
                     minutes=message.minutes, tools=_tool_values(added))
        self._send(Role.AGENT, offer)

    # --- the recording -------------------------------------------------------

    def recording_started(self) -> None:
        """The server began to record the frames: both sides are told (``State.recording``)."""
        if self.state is State.ENDED or self.recording:
            return
        self.recording = True
        self._record(By.SERVER, "recording_started")
        self._broadcast_state()

    def request_keyframe(self) -> None:
        """Asks the agent for the whole screen (a recording begins)."""
        if self.state in SHARING_STATES and self.agent_connected:
            self._send(Role.AGENT, m.KeyframeRequest())

    def recording_stopped(self, reason: str) -> None:
        """The recording stopped before the end (``reason``: e.g. ``disk_full``); the
        session goes on, unrecorded."""
        if not self.recording and self.recording_stopped_for:
            return
        self.recording = False
        self.recording_stopped_for = reason
        self._record(By.SERVER, "recording_stopped", reason=reason)
        if self.state is not State.ENDED:
            self._broadcast_state()

    # --- internals -------------------------------------------------------

    def _move(self, new: State) -> None:
        if new not in TRANSITIONS[self.state]:
            raise InvalidTransition(f"{self.state.value} -> {new.value}")
        self.state = new

    def _welcome(self, resume: str) -> None:
        # The person is asked about whoever watches: the code's owner, or
        # another technician who opened the session before the person came.
        asker = self._agent_knows = self.technician
        self._send(
            Role.AGENT,
            m.Welcome(self.session_id, asker.name, asker.organisation,
                      files_to_technician=TO_TECHNICIAN in self.files.limits.directions,
                      technician_id=asker.id, mandate=self.mandate is not None,
                      resume=resume, brand_colour=self.brand[0], brand_logo=self.brand[1],
                      recording=self.recording_policy, recording_days=self.recording_days),
        )

    def _withdraw_control(self, was: State, why: str) -> None:
        """After an interruption, control (granted or asked) goes: the person confirms it again."""
        if self.state in (State.CONTROLLING, State.CONTROL_REQUESTED):
            self._move(State.VIEWING)
        self.controller = None
        if was is State.CONTROLLING:
            self._record(By.SERVER, "control_released", why=why)
        elif was is State.CONTROL_REQUESTED:
            self._record(By.SERVER, "control_request_dropped", why=why)

    def _send(self, to: Role, message: m.Message) -> None:
        # A side that is not connected misses the message; the I/O layer
        # drops it, and a side that connects later first gets the state.
        if type(message) not in (m.TO_VIEWER if to is Role.VIEWER else m.SERVER_SENDS):
            # The declared sets are what the viewer's tables are generated from.
            raise LocalProtocolError(f"{message.type!r} is not a message the server sends a {to}")
        self._outbox.append(Outgoing(to, message))

    def _broadcast_state(self) -> None:
        # The agent learns of every change through the same State message the
        # viewer gets, so that its banner never lags the server's view.
        message = self.state_message()
        self._send(Role.VIEWER, message)
        if self.state is not State.WAITING_FOR_PERSON:
            self._send(Role.AGENT, message)

    def _record(self, actor: By, action: str, **detail: Any) -> None:
        # A technician's step is theirs: whoever watches when the viewer sent it.
        technician = self.technician if actor is By.TECHNICIAN else None
        self._audit.append(AuditRecord(actor, action, detail, technician))

    def _controller_detail(self) -> dict[str, Any]:
        """Whom the person's control decision concerns, for the record."""
        if self.controller is None:
            return {}
        return {"technician_id": self.controller.id, "technician": self.controller.name}

    def _chat(self, author: Author, name: str, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if len(text) > m.MAX_CHAT_CHARACTERS:
            raise NotAllowed(
                f"a chat message has at most {m.MAX_CHAT_CHARACTERS} characters, not {len(text)}"
            )
        line = m.ChatMessage(len(self.chat) + 1, self._clock(), author, name, text)
        self.chat.append(line)
        self._record(By(author), "chat_message", id=line.id, text=text)
        self._send(Role.AGENT, line)
        self._send(Role.VIEWER, line)

    def _short_text(self, text: str, what: str) -> str:
        text = " ".join(text.split())
        if len(text) > m.MAX_STEP_CHARACTERS:
            raise NotAllowed(
                f"{what} has at most {m.MAX_STEP_CHARACTERS} characters, not {len(text)}")
        return text

    def _announce(self, kind: ActionKind, text: str) -> None:
        """Tells the person what the technician will do; a disruptive kind asks them first.

        A browser share's page cannot answer: there, every kind is shown on its panel only.
        """
        text = self._short_text(text, "an announcement")
        if not text:
            return
        asks = kind in DISRUPTIVE_ACTIONS and not self.browser_share
        self._timeline_ids += 1
        entry = m.Announcement(self._timeline_ids, self._clock(), kind, text,
                               self.technician.name, asks)
        self.timeline.append(entry)
        if asks:
            self._asking[entry.id] = entry
        self._record(By.TECHNICIAN, "action_announced", id=entry.id, kind=kind.value,
                     text=text, asks=asks)
        self._send(Role.AGENT, entry)
        self._send(Role.VIEWER, entry)

    def _step(self, text: str) -> None:
        """One step the technician writes: on the person's banner, and in the timeline."""
        text = self._short_text(text, "a step")
        if not text:
            return
        self._timeline_ids += 1
        entry = m.StepMessage(self._timeline_ids, self._clock(), self.technician.name, text)
        self.timeline.append(entry)
        self._record(By.TECHNICIAN, "step_written", id=entry.id, text=text)
        self._send(Role.AGENT, entry)
        self._send(Role.VIEWER, entry)

    def _end(self, by: By, reason: CloseReason, *, notify_agent: bool = True) -> None:
        was_waiting = self.state is State.WAITING_FOR_PERSON
        self._move(State.ENDED)
        self.controller = None
        self.ended_by, self.end_reason = by, reason
        self.files.end_all()
        self._record(by, "session_ended", reason=reason.name.lower())
        ended = m.Ended(by, int(reason))
        self._send(Role.VIEWER, ended)
        if notify_agent and not was_waiting:
            self._send(Role.AGENT, ended)


def _tool_values(tools: frozenset[Tool]) -> list[str]:
    """The tools in their declared order, as the wire carries them."""
    return [tool.value for tool in Tool if tool in tools]
