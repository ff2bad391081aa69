"""One support session as the assisted computer lives it: server messages in;
frames, injected input and window updates out.

The agent enforces consent itself and trusts the server for nothing the
person did not allow on this computer. The screen is shared only after the
person clicked Allow viewing here; keys and pointer events reach the
computer only after they clicked Allow control for the technician who asked
(``ControlRequest.technician_id``), while the latest ``State`` says
``controlling`` by that same technician and nothing is paused. Control that
ends — the person's Stop control, the server's move back to viewing,
another technician taking over — needs a new Allow control. Stop control,
Pause and End session act at once, before the server confirms. The demo's
``assume_consent`` stands for an unattended policy set on this device: it
answers Allow on the person's behalf, and the banner says so. On a managed
device (``agent/device/``) it is the device's *no prompt* policy
(``unattended``), and the banner says that instead; its *ask the person*
policy gives the question ``consent_timeout`` seconds, after which nobody
answering means no.

The first time this computer meets an organisation (on that server), a
warning against scams comes before the consent question: *Continue*
remembers the organisation (``known.py``) and asks; *Report a problem*
sends ``report``, and the server ends the session at once.

A session bound by a mandate (``Welcome.mandate``) shows the mandate
first, and asks the consent question only once the person signed it. From
then on the agent keeps the tools of the last ``MandateState`` and refuses
by itself every message that needs another one (``agent/mandate.py``):
the person is never asked about a tool they did not agree to. It warns on
the banner from ``WARNING_SECONDS`` before the mandate's end, and ends the
session itself a short grace after it, should the server not have. It
never signs on anyone's behalf: ``assume_consent`` does not sign a mandate.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

from ..protocol import frames
from ..protocol import messages as m
from ..protocol.enums import (
    ActionReply,
    By,
    ControlAnswer,
    RecordingPolicy,
    Role,
    State,
    Tool,
    ViewAnswer,
)
from ..protocol.errors import CloseReason
from ..protocol.mandate import WARNING_SECONDS
from ..protocol.session import SHARING_STATES
from .connection import CodeRefused, ConnectionFailed, dropped
from .diagnostics import read_report
from .diagnostics.findings import INFO, finding
from .inject.base import InputSink
from .known import KnownOrganisations
from .mandate import (
    COPY_NETWORK,
    EXPIRY_GRACE_SECONDS,
    Binding,
    CopyFailed,
    refusal,
    tool_needed,
    write_copy,
)
from .pipeline import FramePipeline
from .transfer import AgentFiles
from .ui import events as ev
from .ui.brand import branded

logger = logging.getLogger("coupdemain.agent.session")

# The banner's "reading your settings" line stays at least this long, to be read.
READING_NOTICE_SECONDS = 4.0
# How often the mandate's clock is looked at (the warning, the end).
MANDATE_CHECK_SECONDS = 1.0


class Connection(Protocol):
    """What the session needs of the connection (``connection.AgentConnection``)."""

    async def send(self, message: m.Message) -> None: ...
    async def send_frame(self, update: frames.FrameUpdate) -> None: ...
    async def send_cursor(self, update: frames.CursorShape | frames.CursorPosition) -> None: ...
    async def receive(self) -> m.Message | None: ...
    async def close(self) -> None: ...

    @property
    def close_code(self) -> CloseReason | int | None: ...


Resumed = tuple[Connection, m.Welcome]  # the new connection, and its welcome


class AssistedSession:
    """Drives the pipeline, the input sink and the windows from the server's messages.

    Args:
        connection: the open connection, after the welcome.
        welcome: who asks (technician, organisation).
        pipeline: the frame pipeline, inactive until the person shares.
        sink: where the technician's input goes once allowed.
        post: hands a ``UiEvent`` to the windows (thread-safe).
        assume_consent: the demo only: answer "allow" on the person's behalf.
        server: the server's host name, as the agent reached it (the warning names it).
        verified: the server's identity was verified (TLS).
        known: the organisations met; None shows no warning (the tests of other things).
        unattended: a managed device's no-prompt policy gave consent (with assume_consent).
        consent_timeout: seconds the person has to answer; then the answer is Decline.
        view_accepted: the person asked for help (their request allows viewing, not control).
    """

    def __init__(
        self,
        connection: Connection,
        welcome: m.Welcome,
        pipeline: FramePipeline,
        sink: InputSink,
        post: Callable[[ev.UiEvent], None],
        *,
        assume_consent: bool = False,
        server: str = "",
        verified: bool = False,
        known: KnownOrganisations | None = None,
        unattended: bool = False,
        consent_timeout: float | None = None,
        view_accepted: bool = False,
    ) -> None:
        self.connection = connection
        self.welcome = welcome
        self.pipeline = pipeline
        self.sink = sink
        self.post = post
        self.assume_consent = assume_consent or unattended
        self.unattended = unattended
        self.consent_timeout = consent_timeout
        self.view_accepted = view_accepted
        self._consent_deadline: asyncio.Task[None] | None = None
        self.wait: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests: no real waits
        self.server, self.verified, self.known = server, verified, known
        self.state = State.WAITING_FOR_CONSENT
        self.paused = False          # as the server last said
        self.person_paused = False   # as the person clicked: holds whatever the server says
        self.viewer_connected = False
        self.viewer_dropped = False
        # What the person allowed on this computer, whatever the server says.
        self.view_allowed = False
        self.record_allowed = False  # the person accepted that the session is recorded
        self.recording = False       # the server says it records now (State.recording)
        self.control_grant: int | None = None   # the technician (id) the person let control
        self._control_asked_by: int | None = None  # the technician whose request is on screen
        self.controller_id = 0       # who the server says holds control
        # Who sees the screen: first the technician who asked, then as the server says.
        self.watcher = (welcome.technician_id, welcome.technician_name, welcome.organisation)
        self.took_over_from = ""     # the technician the watcher replaced, if any
        self._buttons = 0  # the pointer's buttons held down, as last injected
        self.ended = False
        self.exit_code = 0
        # Diagnostics: asking or reading now; which reading is the latest; how to read.
        self.diagnostics_busy = False
        self.readings = 0
        self.read_diagnostics: Callable[[], Awaitable[m.DiagnosticsReport]] = read_report
        self._diagnostics_task: asyncio.Task[None] | None = None
        # Files to and from the technician (agent/transfer.py); set by the worker.
        self.files: AgentFiles | None = None
        # Resuming after a drop (connection.reconnect, set by the worker): tries
        # again with backoff and returns the new connection, or raises.
        self.reconnect: Callable[[], Coroutine[Any, Any, Resumed]] | None = None
        self._reconnecting: asyncio.Task[Resumed] | None = None
        self._ask_consent_again = False
        # The mandate that binds the session, as this computer holds it: None
        # where none binds it; nothing at all allowed until the person signs.
        self.mandate: Binding | None = Binding() if welcome.mandate else None
        self._offer: m.MandateOffer | None = None  # the offer on the person's screen
        self._consent_started = False
        self._server_warning = False   # the last MandateState's warning
        self.mandate_warning = False   # the banner's warning, as last posted
        self.clock: Callable[[], float] = time.time   # the tests: a clock of their own
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        # Fetches the PDF copy of the mandate from the server (set by the worker).
        self.fetch_mandate_copy: Callable[[], Awaitable[bytes]] | None = None
        self._copy_task: asyncio.Task[None] | None = None

    # --- what the server says ------------------------------------------------

    @property
    def control_allowed(self) -> bool:
        """Whether the technician's input may reach this computer now."""
        return (
            self.control_grant is not None
            and self.control_grant == self.controller_id
            and self.state == State.CONTROLLING
            and not self.paused
            and not self.person_paused
        )

    @property
    def technician_name(self) -> str:
        """The technician who sees the screen now."""
        return self.watcher[1]

    async def start(self) -> None:
        """Shows the organisation's branding, then asks for consent (or gives it, for the
        demo, or after the person's own request for help); under a mandate, once it is signed."""
        if (brand := branded(self.welcome)) is not None:
            self.post(brand)
        if self.mandate is not None and not self.mandate.signed:
            return  # the mandate's offer comes first
        await self._begin_consent()

    async def _begin_consent(self) -> None:
        self._consent_started = True
        if self.assume_consent or self.view_accepted:
            # view_accepted: the person clicked Ask for help; control still asks them.
            self.view_allowed = True
            # Nobody sits here to choose: only a recording announced as always is accepted.
            self.record_allowed = self.welcome.recording is RecordingPolicy.ALWAYS
            await self.connection.send(m.Consent(ViewAnswer.ALLOW_VIEW,
                                                 record=self.record_allowed))
        else:
            self._ask_consent()

    def _ask_consent(self) -> None:
        """Asks whether the technician may view; first warns, if the organisation is new here."""
        if self.mandate is not None and not self.mandate.signed:
            return  # asked once the mandate is signed
        _, technician, organisation = self.watcher
        first = self.known is not None and not self.known.knows(self.server, organisation)
        self.post(ev.AskConsent(technician, organisation, first_meeting=first,
                                server=self.server, verified=self.verified,
                                recording=self.welcome.recording.value,
                                recording_days=self.welcome.recording_days))
        if self.consent_timeout is not None and self._consent_deadline is None:
            self._consent_deadline = asyncio.create_task(
                self._decline_after(self.consent_timeout), name="consent-deadline")

    async def _decline_after(self, seconds: float) -> None:
        """Nobody answered in time: that means no (a managed device's ask-the-person policy)."""
        await self.wait(seconds)
        if not self.ended and not self.view_allowed and self.state == State.WAITING_FOR_CONSENT:
            logger.info("nobody answered within %g s: declined", seconds)
            await self.connection.send(m.Consent(ViewAnswer.DECLINE))

    async def receive_message(self, message: m.Message) -> None:
        """Acts on one message from the server."""
        if self.ended:
            return
        if self.mandate is not None and not self.mandate.allows(message):
            await self._refuse(message)
            return
        match message:
            case m.MandateOffer():
                self._offer = message
                self._ask_mandate(message)
            case m.MandateState():
                await self._receive_mandate_state(message)
            case m.State(state=state, paused=paused, controller_id=controller_id):
                # Shown as the server says it: the banner never hides a recording.
                self.recording = message.recording
                self._receive_state(state, paused, controller_id)
            case m.Watching(technicians=[first, *_]):
                self._receive_watching(first["id"], first["name"], first["organisation"])
            case m.Key(code=code, key=key, down=down):
                if self.control_allowed:
                    self._inject(self.sink.key, code, key, down, answer_first=True)
            case m.Pointer(x=x, y=y, buttons=buttons):
                if self.control_allowed:
                    # The viewer's picture may be one monitor: its 0, 0 is that monitor's corner.
                    ox, oy = self.pipeline.origin
                    clicked, self._buttons = buttons != self._buttons, buttons
                    self._inject(self.sink.pointer, x + ox, y + oy, buttons, answer_first=clicked)
            case m.Wheel(x=x, y=y, dx=dx, dy=dy):
                if self.control_allowed:
                    ox, oy = self.pipeline.origin
                    self._inject(self.sink.wheel, x + ox, y + oy, dx, dy, answer_first=True)
            case m.SelectMonitor(monitor=monitor):
                self.pipeline.select_monitor(monitor)
            case m.FrameAck(frame_id=frame_id):
                self.pipeline.receive_ack(frame_id)
            case m.Encodings(encodings=encodings):
                self.pipeline.set_encodings(encodings)
            case m.KeyframeRequest():
                # Sent when a viewer (re)joins: acks for earlier frames are lost.
                self._viewer_is_back()
                self.pipeline.reset()
            case m.ControlRequest(technician_id=asker, technician_name=name,
                                  organisation=organisation):
                self._control_asked_by = asker
                if self.assume_consent:
                    self.control_grant = asker
                    await self.connection.send(m.ControlDecision(ControlAnswer.ALLOW_CONTROL))
                else:
                    self.post(ev.AskControl(name or self.watcher[1],
                                            organisation or self.watcher[2]))
            case m.Peer(role=Role.VIEWER, connected=True):
                self._viewer_is_back()
            case m.Peer(role=Role.VIEWER, connected=False):
                # The next viewer may paint other encodings; it will say so.
                self.pipeline.set_encodings([])
                self.viewer_connected = False
                self.viewer_dropped = True
                self._revoke_control()
                self._update_sharing()
                self._post_status()
            case m.Clipboard(text=text):
                if self.control_allowed:
                    self.post(ev.ClipboardReceived(text))
            case m.ChatMessage(id=ident, at=at, author=author, name=name, text=text):
                self.post(ev.ChatReceived(ident, at, author, name, text))
            case m.DiagnosticsRequest():
                await self._receive_diagnostics_request()
            case m.Announcement(id=ident, kind=kind, text=text, name=name, asks=True):
                if self.assume_consent:
                    # Nobody sits at this screen to be asked (the demo's policy).
                    self.post(ev.BannerNote(kind, text, name))
                    await self.connection.send(m.ActionAnswer(ident, ActionReply.OK))
                else:
                    self.post(ev.AskAction(ident, kind, text, name, self.watcher[2]))
            case m.Announcement(kind=kind, text=text, name=name):
                self.post(ev.BannerNote(kind, text, name))
            case m.StepMessage(text=text, name=name):
                self.post(ev.BannerNote("step", text, name))
            case m.FileOffer() | m.FileTicket() | m.FileStatus():
                if self.files is not None:
                    await self.files.receive(message)
            case m.Ended(by=by, reason=reason):
                self._end(ev.SessionEnded(by, reason, self.technician_name))
            case _:
                logger.debug("message %s ignored", message.type)

    def _viewer_is_back(self) -> None:
        if self.viewer_connected and not self.viewer_dropped:
            return
        self.viewer_connected, self.viewer_dropped = True, False
        self._update_sharing()
        self._post_status()

    def _receive_state(self, state: State, paused: bool, controller_id: int) -> None:
        had_control = self.control_allowed
        self.state, self.paused, self.controller_id = state, paused, controller_id
        if state == State.WAITING_FOR_CONSENT and self._ask_consent_again:
            # Resumed before the person answered: the question comes back.
            self._ask_consent_again = False
            self._ask_consent()
        over = state not in (State.CONTROL_REQUESTED, State.CONTROLLING)
        if over or (self.control_grant is not None and controller_id != self.control_grant):
            # Control ended, or the server names someone the person did not
            # allow: the next control takes a new Allow control.
            self.control_grant = None
        if over:
            self._control_asked_by = None
        if had_control and not self.control_allowed:
            self._release_input()
        if state == State.ENDED:
            return  # the Ended message follows with who and why
        self._update_sharing()
        self._post_status()

    def _receive_watching(self, ident: int, name: str, organisation: str) -> None:
        """The server says which technician sees the screen now."""
        if ident == self.watcher[0]:
            return
        self.took_over_from = self.watcher[1]
        self.watcher = (ident, name, organisation)
        # Control was given to someone else; the newcomer must ask the person.
        self._revoke_control()
        if self.state == State.WAITING_FOR_CONSENT and not self.view_allowed:
            if not self.assume_consent:
                self._ask_consent()  # the question names who will see
            return
        self._post_status()

    def receive_closed(self, close_code: CloseReason | int | None) -> None:
        """The server closed the connection (or it dropped) without an ``Ended``."""
        if self.ended:
            return
        if close_code is not None and 4000 <= int(close_code) < 5000:
            by = {
                CloseReason.ENDED_BY_PERSON: By.PERSON,
                CloseReason.DECLINED: By.PERSON,
                CloseReason.REPORTED_BY_PERSON: By.PERSON,
                CloseReason.MANDATE_REFUSED: By.PERSON,
                CloseReason.ENDED_BY_TECHNICIAN: By.TECHNICIAN,
            }.get(close_code, By.SERVER)  # type: ignore[call-overload]
            self._end(ev.SessionEnded(by, int(close_code), self.technician_name))
        else:
            self._end(ev.ConnectionLost(), exit_code=1)

    # --- what the person does ------------------------------------------------

    async def receive_action(self, action: ev.UserAction) -> None:
        """Acts on one click of the person."""
        if self.ended:
            return
        if self.mandate is not None and not self.mandate.allows(action):
            logger.warning("%s refused: %s is outside the mandate", type(action).__name__,
                           tool_needed(action))
            return
        match action:
            case ev.SignMandate(sha256=sha256, name=name, drawing=drawing) if (
                self._offer is not None and self._offer.sha256 == sha256 and name.strip()
            ):
                self._offer = None
                await self.connection.send(m.MandateSign(
                    sha256, name.strip(), base64.b64encode(drawing).decode("ascii")))
            case ev.RefuseMandate(sha256=sha256) if (
                self._offer is not None and self._offer.sha256 == sha256
            ):
                self._offer = None
                await self.connection.send(m.MandateRefuse(sha256))
            case ev.SaveMandateCopy(path=path):
                if self._copy_task is None or self._copy_task.done():
                    self._copy_task = asyncio.create_task(self._save_copy(path),
                                                          name="mandate copy")
            case ev.ConsentAnswer(allow=allow, record=record):
                # The person's word on recording, as they were told it: with
                # "never" announced, a yes from anywhere else does not count.
                self.record_allowed = (allow and record
                                       and self.welcome.recording is not RecordingPolicy.NEVER)
                if allow:
                    self.view_allowed = True
                    self._update_sharing()
                    self._post_status()
                answer = ViewAnswer.ALLOW_VIEW if allow else ViewAnswer.DECLINE
                await self.connection.send(m.Consent(answer, record=self.record_allowed))
            case ev.MetOrganisation():
                # The person read the warning and continues: not shown again for them.
                if self.known is not None:
                    self.known.remember(self.server, self.watcher[2])
            case ev.ReportProblem():
                # Nothing was shared (the consent question was not even asked);
                # the server ends the session and flags it for the admins.
                self.view_allowed = False
                self._revoke_control()
                self.pipeline.set_active(False)
                await self.connection.send(m.Report())
            case ev.ControlAnswer(allow=allow):
                decision = ControlAnswer.ALLOW_CONTROL if allow else ControlAnswer.KEEP_VIEW_ONLY
                if allow and self._control_asked_by is not None:
                    self.control_grant = self._control_asked_by
                self._control_asked_by = None
                await self.connection.send(m.ControlDecision(decision))
            case ev.StopControl():
                self._revoke_control()
                await self.connection.send(m.ControlRevoke())
            case ev.SetPaused(paused=paused):
                # Stop at once; the server's State confirms a moment later.
                # Resuming gives back what the person allowed, nothing more.
                had_control = self.control_allowed
                self.person_paused = paused
                if had_control and not self.control_allowed:
                    self._release_input()
                self._update_sharing()
                await self.connection.send(m.Pause(paused))
            case ev.SendChat(text=text):
                await self.connection.send(m.Chat(text))
            case ev.ClipboardCopied(text=text):
                if self.control_allowed:
                    await self.connection.send(m.Clipboard(text))
            case ev.DiagnosticsAnswer(allow=allow):
                await self._answer_diagnostics(allow)
            case ev.AnswerAction(id=ident, ok=ok) if self.state in SHARING_STATES:
                await self.connection.send(
                    m.ActionAnswer(ident, ActionReply.OK if ok else ActionReply.NOT_NOW))
            case ev.AnswerFile(id=ident, accept=accept, folder=folder) if self.files:
                await self.files.answer(ident, accept, folder)
            case ev.SendFile(path=path) if self.files and self.state in SHARING_STATES:
                await self.files.offer(path)
            case ev.CancelFile(id=ident) if self.files:
                await self.files.cancel(ident)
            case ev.EndSession() | ev.GiveUp():
                self._revoke_control()
                self.pipeline.set_active(False)
                if self._reconnecting is not None:
                    # Nobody to tell: the session ends here; the server's ends
                    # when its grace period is over.
                    self._end(ev.SessionEnded(
                        By.PERSON, int(CloseReason.ENDED_BY_PERSON), self.technician_name))
                    self._reconnecting.cancel()
                    return
                await self.connection.send(m.End())
            case _:
                logger.debug("action %s ignored", action)

    # --- the mandate ------------------------------------------------------------

    def _ask_mandate(self, offer: m.MandateOffer) -> None:
        _, technician, organisation = self.watcher
        self.post(ev.AskMandate(offer.kind, offer.text, offer.sha256, technician, organisation))

    async def _refuse(self, message: m.Message) -> None:
        """A message needs a tool outside the mandate: the person is not asked; nobody waits."""
        answer = refusal(message)
        if answer is None:
            logger.debug("%s refused: outside the mandate", message.type)
            return
        logger.warning("%s refused: %s is outside the mandate", message.type,
                       tool_needed(message))
        await self.connection.send(answer)

    async def _receive_mandate_state(self, state: m.MandateState) -> None:
        """The mandate that binds the session now: its tools, its end; consent once signed."""
        was_signed = self.mandate is not None and self.mandate.signed
        self.mandate = Binding.from_state(state, self.clock())
        self._server_warning = state.warning
        if not self.mandate.allows(Tool.CONTROL):
            self._revoke_control()
        self._update_sharing()
        self.check_mandate_time()
        if self.ended:
            await self._close_expired()
            return
        if self.mandate.signed and not was_signed and not self._consent_started:
            await self._begin_consent()
        self._post_status()

    def check_mandate_time(self) -> None:
        """Warns from ``WARNING_SECONDS`` before the mandate's end; ends the session a grace
        period after it, if the server has not."""
        binding = self.mandate
        if self.ended or binding is None or not binding.signed or not binding.ends_at:
            return
        now = self.clock()
        if now >= binding.ends_at + EXPIRY_GRACE_SECONDS:
            logger.warning("the mandate's time ran out and the server did not end the session")
            self._end(ev.SessionEnded(By.SERVER, int(CloseReason.MANDATE_EXPIRED),
                                      self.technician_name))
            return
        warning = self._server_warning or now >= binding.ends_at - WARNING_SECONDS
        if warning != self.mandate_warning:
            self.mandate_warning = warning
            self.post(ev.MandateTime(warning))

    async def _watch_mandate(self) -> None:
        """Looks at the mandate's clock until the session ends; closes it once the time is out."""
        while not self.ended:
            self.check_mandate_time()
            if self.ended:
                await self._close_expired()
                return
            await self.sleep(MANDATE_CHECK_SECONDS)

    async def _close_expired(self) -> None:
        """The mandate's time ran out here: the server hears it too, and the connection closes."""
        try:
            await self.connection.send(m.End())
        except Exception:  # noqa: BLE001 - the connection may be gone already
            logger.debug("the end could not be sent", exc_info=True)
        await self.connection.close()

    async def _save_copy(self, path: str) -> None:
        """Fetches the mandate's PDF from the server and writes it where the person chose."""
        try:
            if self.fetch_mandate_copy is None:
                raise CopyFailed(COPY_NETWORK, "no server to fetch the copy from")
            data = await self.fetch_mandate_copy()
            await asyncio.to_thread(write_copy, Path(path), data)
        except CopyFailed as exc:
            logger.warning("the mandate's copy was not saved: %s", exc)
            self.post(ev.MandateCopySaved(path, exc.reason))
            return
        logger.info("the mandate's copy was saved (%d bytes)", len(data))
        self.post(ev.MandateCopySaved(path))

    # --- diagnostics ----------------------------------------------------------

    async def _receive_diagnostics_request(self) -> None:
        if self.diagnostics_busy:
            return  # already asking or reading: the one answer serves both requests
        self.diagnostics_busy = True
        if self.assume_consent:
            self._start_reading()
        else:
            self.post(ev.AskDiagnostics(self.watcher[1], self.watcher[2]))

    async def _answer_diagnostics(self, allow: bool) -> None:
        if not self.diagnostics_busy:
            return  # nothing was asked
        if allow:
            self._start_reading()
        else:
            self.diagnostics_busy = False
            await self.connection.send(m.DiagnosticsDeclined())

    def _start_reading(self) -> None:
        self._diagnostics_task = asyncio.create_task(self._read_and_send(), name="diagnostics")

    async def _read_and_send(self) -> None:
        """Reads the settings off the loop, sends the report, then clears the banner's line."""
        self.readings += 1
        reading = self.readings
        self.post(ev.DiagnosticsReading(True))
        started = time.monotonic()
        try:
            report = await self.read_diagnostics()
        except Exception:  # the technician is told, in words, and the session goes on
            logger.warning("reading the computer's settings failed", exc_info=True)
            report = m.DiagnosticsReport({}, [finding(INFO, "diagnostics_failed")])
        try:
            if not self.ended:
                await self.connection.send(report)
                logger.info("diagnostics sent: %d findings", len(report.findings))
        except Exception:  # the connection's own end is handled by run()
            logger.warning("the diagnostics could not be sent", exc_info=True)
        finally:
            self.diagnostics_busy = False
        await asyncio.sleep(max(0.0, READING_NOTICE_SECONDS - (time.monotonic() - started)))
        if not self.ended and reading == self.readings:
            self.post(ev.DiagnosticsReading(False))

    # --- frames (FrameSink) -------------------------------------------------

    async def send_screen(self, screen: m.Screen) -> None:
        await self.connection.send(screen)

    async def send_frame(self, update: frames.FrameUpdate) -> None:
        await self.connection.send_frame(update)

    async def send_cursor(self, update: frames.CursorShape | frames.CursorPosition) -> None:
        await self.connection.send_cursor(update)

    # --- running --------------------------------------------------------------

    async def run(self, actions: asyncio.Queue[ev.UserAction]) -> int:
        """Runs the session until it ends; returns the exit code.

        Args:
            actions: the person's clicks, in order.
        """
        pipeline_task = asyncio.create_task(self.pipeline.run(self), name="pipeline")
        actions_task = asyncio.create_task(self._take_actions(actions), name="actions")
        mandate_task = asyncio.create_task(self._watch_mandate(), name="mandate")
        try:
            await self.start()
            while not self.ended:
                message = await self.connection.receive()
                if message is None:
                    if self.ended:
                        break  # ended here (the mandate's time), and the connection closed
                    if not await self._resume_after(self.connection.close_code):
                        self.receive_closed(self.connection.close_code)
                    continue
                await self.receive_message(message)
        finally:
            for task in (pipeline_task, actions_task, mandate_task):
                task.cancel()
            await asyncio.gather(pipeline_task, actions_task, mandate_task,
                                 return_exceptions=True)
            self._revoke_control()
            await self.connection.close()
        return self.exit_code

    # --- a dropped connection -------------------------------------------------

    def suspend(self) -> None:
        """The connection dropped: nothing is shared or injected until the session resumes.

        What the person allowed on this computer stays as it was; control is
        asked again after the resume, as the server withdraws it.
        """
        self._revoke_control()
        self.viewer_connected = False
        self.pipeline.set_active(False)
        self.diagnostics_busy = False  # the question's window closes; it may be asked again
        self._ask_consent_again = self.state == State.WAITING_FOR_CONSENT

    async def _resume_after(self, close_code: CloseReason | int | None) -> bool:
        """Tries to resume after a drop; False when the connection did not drop, or cannot resume.

        True means the session goes on on a new connection, or has ended
        here (the server answered that it is over, the attempts ran out, or
        the person ended it meanwhile).
        """
        if self.reconnect is None or not dropped(close_code):
            return False
        logger.info("the connection dropped (close code %s); trying to resume", close_code)
        self.suspend()
        self._reconnecting = asyncio.create_task(self.reconnect(), name="reconnect")
        try:
            connection, welcome = await self._reconnecting
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.ended and not (task is not None and task.cancelling()):
                return True  # the person ended the session meanwhile
            raise
        except CodeRefused as exc:
            logger.info("the session cannot resume: %s", exc)
            if exc.reason in (CloseReason.PEER_LOST, CloseReason.SESSION_NOT_FOUND):
                # This computer was away too long (the server's PEER_LOST is
                # about the agent's own connection here).
                self._end(ev.ConnectionLost(), exit_code=1)
            else:
                self.receive_closed(exc.reason)
            return True
        except ConnectionFailed as exc:
            logger.info("%s", exc)
            self._end(ev.ConnectionLost(), exit_code=1)
            return True
        finally:
            self._reconnecting = None
        old, self.connection = self.connection, connection
        await old.close()
        logger.info("session %s resumed", welcome.session_id)
        self.post(ev.Reconnected())
        if self._offer is not None:
            self._ask_mandate(self._offer)  # still unanswered: shown again, as it was
        return True

    async def _take_actions(self, actions: asyncio.Queue[ev.UserAction]) -> None:
        while True:
            await self.receive_action(await actions.get())

    # --- internals -----------------------------------------------------------

    def _inject(self, method: Callable[..., None], *args: object, answer_first: bool) -> None:
        try:
            method(*args)
        except Exception:  # an injection failure must not end the person's session
            logger.warning("input injection failed", exc_info=True)
            return
        # The screen is about to answer: capture soon rather than at the next
        # tick, and (for a key, a click, a wheel turn) send the answer first.
        self.pipeline.nudge(answer_first=answer_first)

    def _revoke_control(self) -> None:
        """Control is over: nothing more is injected until the person allows it again."""
        self.control_grant = None
        self._release_input()

    def _release_input(self) -> None:
        was = self.control_allowed
        self._buttons = 0
        try:
            self.sink.release_all()
        except Exception:  # noqa: BLE001 - releasing is best effort
            logger.warning("releasing keys and buttons failed", exc_info=True)
        if was:
            logger.info("control ended; every key and button released")

    def _update_sharing(self) -> None:
        self.pipeline.set_active(
            self.view_allowed and self.state in SHARING_STATES and not self.paused
            and not self.person_paused and self.viewer_connected
            and (self.mandate is None or self.mandate.allows(Tool.VIEW))
        )

    def _post_status(self) -> None:
        if self.state not in SHARING_STATES or not self.view_allowed:
            return
        # The banner says what this computer allows, not what the server claims.
        state = self.state
        if state == State.CONTROLLING and self.control_grant != self.controller_id:
            state = State.VIEWING
        self.post(ev.SessionStatus(
            state=state, paused=self.paused or self.person_paused,
            viewer_connected=not self.viewer_dropped,
            technician=self.watcher[1], organisation=self.watcher[2],
            consent_assumed=self.assume_consent, unattended=self.unattended,
            can_send_files=self.files is not None and self.welcome.files_to_technician
            and (self.mandate is None or self.mandate.allows(Tool.FILES_TO_TECHNICIAN)),
            took_over_from=self.took_over_from,
            mandate_signed=self.mandate is not None and self.mandate.signed,
            recording=self.recording,
        ))

    def _end(self, event: ev.UiEvent, exit_code: int = 0) -> None:
        self.ended = True
        if self._consent_deadline is not None:
            self._consent_deadline.cancel()
        if self.files is not None:
            self.files.close()
        self.exit_code = exit_code
        self.pipeline.set_active(False)
        self._revoke_control()
        self.post(event)
