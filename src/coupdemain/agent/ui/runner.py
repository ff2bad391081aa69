"""The Tk side of the agent: the hidden root, the event queue, which window shows when.

Tk must own the main thread. The connection runs in an asyncio thread and
posts ``UiEvent``s into a thread-safe queue; each post also writes a byte
to a pipe that Tk watches (``createfilehandler``), so the windows wake
when there is something to show and sleep otherwise. Where Tk cannot
watch a pipe (Windows), ``root.after`` polls the queue instead. The
person's clicks go back as ``UserAction``s through ``act``, which the
caller wires to ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import tkinter as tk
from collections.abc import Callable

from ...i18n import Translator
from ...protocol.enums import Author
from ..mandate import documents_folder
from . import events as ev
from .action import ActionQuestion
from .banner import Banner
from .brand import logo_image
from .chat import ChatWindow
from .clipboard import ClipboardBridge
from .code_prompt import CodePrompt
from .consent import ConsentDialog
from .control import ControlDialog
from .diagnostics import DiagnosticsDialog
from .ended import EndedNotice
from .mandate import MandateWindow
from .report import ReportWindow
from .trace import UiTrace
from .transfer import FileQuestion, FilesWindow, choose_file, describe_chooser
from .warning import ScamWarning
from .warning import warning_seconds as warning_seconds_default
from .window import AgentWindow

logger = logging.getLogger("coupdemain.agent.ui")

# Where Tk cannot watch the wake-up pipe: how often the queue is read.
POLL_MS = 50
# Events handled per wake-up, so that a flood of them cannot freeze the windows.
BATCH = 100
ENDED_NOTICE_MS = 6000


class AgentUi:
    """All of the person's windows, driven by events from the connection.

    Args:
        t: the translator of the ``agent`` domain, in the person's language.
        act: receives the person's actions (called in the Tk thread).
        server: the server address, for the "cannot reach" sentence.
        trace: the UI trace; from ``COUPDEMAIN_UI_TRACE`` by default.
        ended_notice_ms: how long the "session ended" notice stays.
        warning_seconds: how long the scam warning keeps Continue disabled;
            from ``COUPDEMAIN_WARNING_SECONDS`` by default.
    """

    def __init__(
        self,
        t: Translator,
        act: Callable[[ev.UserAction], None],
        *,
        server: str = "",
        trace: UiTrace | None = None,
        ended_notice_ms: int = ENDED_NOTICE_MS,
        warning_seconds: int | None = None,
    ) -> None:
        self.t = t
        self.act = act
        self.events: queue.Queue[ev.UiEvent] = queue.Queue()
        self.exit_code: int | None = None
        self.quit_problem = ""
        self.ended_notice_ms = ended_notice_ms
        self.trace = trace or UiTrace.from_environment()
        self.root = tk.Tk(className="coupdemain")
        self.root.withdraw()
        common = {"trace": self.trace}
        self.code_prompt = CodePrompt(
            self.root, t, on_code=lambda code: act(ev.SubmitCode(code)), server=server,
            on_close=self._give_up, **common,
        )
        self.consent = ConsentDialog(
            self.root, t,
            on_answer=lambda allow: act(ev.ConsentAnswer(allow, self.consent.record_answer())),
            **common,
        )
        self.warning = ScamWarning(
            self.root, t, on_continue=self._continue_after_warning,
            on_report=lambda: act(ev.ReportProblem()),
            on_decline=lambda: act(ev.ConsentAnswer(False)),
            seconds=warning_seconds_default() if warning_seconds is None else warning_seconds,
            trace=self.trace,
        )
        self._asked: ev.AskConsent | None = None  # the consent question the warning holds back
        self._logo: tk.PhotoImage | None = None
        self.control = ControlDialog(
            self.root, t, on_answer=lambda allow: act(ev.ControlAnswer(allow)), **common
        )
        self.banner = Banner(
            self.root, t, on_stop_control=lambda: act(ev.StopControl()),
            on_pause=lambda: act(ev.SetPaused(True)),
            on_resume=lambda: act(ev.SetPaused(False)), on_chat=self._open_chat,
            on_end=lambda: act(ev.EndSession()), on_send_file=self._send_file,
            on_save_mandate=self._save_mandate, **common,
        )
        self.mandate = MandateWindow(
            self.root, t, on_sign=lambda sha256, name, drawing: act(
                ev.SignMandate(sha256, name, drawing)),
            on_refuse=lambda sha256: act(ev.RefuseMandate(sha256)), **common,
        )
        self.file_question = FileQuestion(
            self.root, t, on_answer=lambda ident, accept, folder: act(
                ev.AnswerFile(ident, accept, folder)), **common,
        )
        self.files = FilesWindow(self.root, t, on_cancel=lambda ident: act(ev.CancelFile(ident)),
                                 **common)
        self.trace.register(lambda: describe_chooser(self.root, t))
        self.diagnostics = DiagnosticsDialog(
            self.root, t, on_answer=lambda allow: act(ev.DiagnosticsAnswer(allow)), **common
        )
        self.chat = ChatWindow(self.root, t, on_send=lambda text: act(ev.SendChat(text)), **common)
        self.clipboard = ClipboardBridge(self.root, lambda text: act(ev.ClipboardCopied(text)))
        self.action = ActionQuestion(
            self.root, t, on_answer=lambda ident, ok: act(ev.AnswerAction(ident, ok)), **common
        )
        self.ended = EndedNotice(self.root, t, on_done=self._finish, **common)
        self.report = ReportWindow(
            self.root, t, on_save=lambda path: act(ev.SaveReportPdf(path)),
            on_send=lambda text: act(ev.SendReportNote(text)), on_done=self._finish, **common,
        )
        self._ended_timer: str | None = None
        # The banner stays on top: the questions open under it, not behind it.
        for window in (self.warning, self.consent, self.control, self.file_question,
                       self.diagnostics, self.action, self.ended, self.mandate):
            window.below = self.banner
        self._ended_exit_code = 0
        # The lock keeps a post from writing to a pipe end that destroy() has
        # just closed, whose number the system may already have given out again.
        self._wake_lock = threading.Lock()
        self._wake_read: int | None
        self._wake_write: int | None
        self._wake_read, self._wake_write = self._watch_wake_pipe()

    def _watch_wake_pipe(self) -> tuple[int, int] | tuple[None, None]:
        """A pipe whose read end wakes Tk; (None, None) where Tk cannot watch one."""
        if not hasattr(self.root.tk, "createfilehandler"):
            return None, None
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        try:
            self.root.tk.createfilehandler(read, tk.READABLE, self._on_wake)
        except (tk.TclError, RuntimeError):  # e.g. a Tcl built without file events
            os.close(read)
            os.close(write)
            return None, None
        return read, write

    def post(self, event: ev.UiEvent) -> None:
        """Queues an event for the windows; safe from any thread."""
        self.events.put(event)
        with self._wake_lock:
            if self._wake_write is not None:
                # A full pipe already holds a wake-up.
                with contextlib.suppress(BlockingIOError):
                    os.write(self._wake_write, b"\0")

    def run(self) -> int:
        """Runs Tk until the agent should exit; returns the exit code."""
        if self._wake_read is None:
            self.root.after(POLL_MS, self._poll)
        else:
            self.root.after_idle(self._handle_queued)  # posted before Tk ran
        self.root.mainloop()
        return self.exit_code if self.exit_code is not None else 1

    def _on_wake(self, fd: int, mask: int) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(fd, 4096):
                pass
        self._handle_queued()

    def _poll(self) -> None:
        self._handle_queued()
        if self.exit_code is None:
            self.root.after(POLL_MS, self._poll)

    def _show_brand(self, brand: ev.Branded) -> None:
        """Every window gets the organisation's branding (the banner declines it)."""
        self._logo = logo_image(self.root, brand)  # kept: Tk forgets an image Python drops
        for window in vars(self).values():
            if isinstance(window, AgentWindow):
                window.show_brand(brand, self._logo)

    def _handle_queued(self) -> None:
        for _ in range(BATCH):
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return
            try:
                self.handle(event)
            except Exception:  # a window bug must not leave the person without windows
                logger.exception("the windows could not show %s", event)
        # More than a batch waits: the rest after Tk has redrawn.
        if self._wake_read is not None and self.exit_code is None:
            self.root.after(1, self._handle_queued)

    def handle(self, event: ev.UiEvent) -> None:
        """Shows what one event means."""
        match event:
            case ev.AskForCode(problem=problem):
                self.code_prompt.show_problem(problem)
                if not self.code_prompt.visible:
                    self.code_prompt.show()
            case ev.Connecting():
                self.code_prompt.show_connecting()
            case ev.Branded():
                self._show_brand(event)
            case ev.AskConsent(technician=technician, organisation=organisation):
                self.code_prompt.hide()
                if event.first_meeting:
                    # A stranger to this computer: the warning first, then the question.
                    self._asked = event
                    if not self.warning.visible:
                        self.warning.warn(organisation, event.server, event.verified)
                else:
                    self.consent.ask_recorded(technician, organisation, event.recording,
                                              event.recording_days)
            case ev.SessionStatus():
                self.code_prompt.hide()
                self.consent.hide()
                self.warning.hide()
                if event.state != "control_requested" and self.control.visible:
                    self.control.hide()  # withdrawn, or answered elsewhere
                self.banner.update(event)
                # The clipboard is shared only while the technician has control.
                if event.state == "controlling" and not event.paused:
                    self.clipboard.start()
                else:
                    self.clipboard.stop()
            case ev.AskMandate():
                self.code_prompt.hide()
                self.mandate.ask(event)
            case ev.MandateTime(warning=warning):
                self.banner.set_mandate_warning(warning)
            case ev.MandateCopySaved(path=path, problem=problem):
                self.banner.set_mandate_copy(
                    self.t(f"mandate.copy_failed.{problem}") if problem
                    else self.t("mandate.copy_saved", path=path))
            case ev.AskControl(technician=technician, organisation=organisation):
                self.control.ask(technician, organisation)
            case ev.AskDiagnostics(technician=technician, organisation=organisation):
                self.diagnostics.ask(technician, organisation)
            case ev.AskAction():
                self.action.ask(event)
            case ev.BannerNote(kind=kind, text=text, technician=technician):
                self.banner.set_note(kind, text, technician)
            case ev.DiagnosticsReading(reading=reading):
                self.banner.set_reading(reading)
            case ev.AskFile():
                self.file_question.ask(event)
            case ev.FileStarted():
                self.files.start(event)
            case ev.FileProgress():
                self.files.progress(event)
            case ev.FileUpdate():
                if event.state in ("cancelled", "refused", "failed"):
                    self.file_question.withdraw_offer(event.id)
                self.files.update_state(event)
            case ev.ClipboardReceived(text=text):
                if self.clipboard.active:
                    self.clipboard.write(text)
            case ev.ChatReceived():
                self.chat.add(event)
                if not self.chat.visible and event.author != Author.PERSON:
                    self.banner.set_unread(event.name)
            case ev.SessionEnded() | ev.ConnectionLost():
                self.clipboard.stop()
                self.action.forget()
                self.mandate.forget()
                windows = (self.code_prompt, self.warning, self.consent, self.control, self.banner,
                           self.chat, self.diagnostics, self.file_question, self.files)
                for window in windows:
                    if window.visible:
                        window.hide()
                self._ended_exit_code = 1 if isinstance(event, ev.ConnectionLost) else 0
                self.ended.tell(event)
                self._ended_timer = self.root.after(self.ended_notice_ms, self._finish)
            case ev.ReportAwaited(technician=technician):
                # The summary will show here: the window stays until the person closes it.
                if self._ended_timer is not None:
                    self.root.after_cancel(self._ended_timer)
                    self._ended_timer = None
                self.ended.await_report(technician)
            case ev.ReportTimedOut():
                self.ended.report_timed_out()
                self._ended_timer = self.root.after(self.ended_notice_ms, self._finish)
            case ev.ReportReady(report=report):
                if self._ended_timer is not None:
                    self.root.after_cancel(self._ended_timer)
                    self._ended_timer = None
                self.ended.hide()
                self.report.show_report(report)
            case ev.ReportSaved(path=path):
                self.report.saved_at(path)
            case ev.ReportFailed(key=key):
                self.report.problem(key)
            case ev.ReportNoteSent():
                self.report.note_sent()
            case ev.Reconnecting(attempt=attempt):
                # Nothing can be answered while the server is out of reach:
                # the questions come back, if still asked, once it is back.
                self.clipboard.stop()
                for window in (self.warning, self.consent, self.control, self.diagnostics,
                               self.file_question):
                    if window.visible:
                        window.hide()
                if self.mandate.visible:
                    self.mandate.hide()  # asked again once resumed, with what was typed and drawn
                self.action.forget()
                self.banner.set_reconnecting(attempt)
            case ev.Reconnected():
                self.banner.set_reconnecting(0)
            case ev.Quit(exit_code=code, problem=problem):
                self.exit_code = code
                self.quit_problem = problem
                self.root.quit()

    def _continue_after_warning(self) -> None:
        """Continue on the warning: remember the organisation, then ask the question."""
        asked, self._asked = self._asked, None
        self.act(ev.MetOrganisation())
        if asked is not None:
            self.consent.ask_recorded(asked.technician, asked.organisation, asked.recording,
                                      asked.recording_days)

    def _open_chat(self) -> None:
        status = self.banner.status
        if status is not None:
            self.banner.set_unread("")
            self.chat.open(status.technician, status.organisation)

    def _send_file(self) -> None:
        status = self.banner.status
        path = choose_file(self.root, self.t, self.trace, status.technician if status else "")
        if path:
            self.act(ev.SendFile(path))

    def _save_mandate(self) -> None:
        status = self.banner.status
        path = choose_file(self.root, self.t, self.trace, status.technician if status else "",
                           save_as=self.t("mandate.copy_file_name"),
                           folder=str(documents_folder()), title=self.t("mandate.copy_title"))
        if path:
            self.act(ev.SaveMandateCopy(path))

    def _give_up(self) -> None:
        self.act(ev.GiveUp())
        self.exit_code = 1
        self.root.quit()

    def _finish(self) -> None:
        if self.exit_code is None:
            self.exit_code = self._ended_exit_code
        self.root.quit()

    def destroy(self) -> None:
        """Closes every window, leaving the trace file as it last was."""
        self.trace.path = None
        with self._wake_lock:
            read, write = self._wake_read, self._wake_write
            self._wake_read = self._wake_write = None
        if read is not None and write is not None:
            with contextlib.suppress(tk.TclError):
                self.root.tk.deletefilehandler(read)
            os.close(read)
            os.close(write)
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
