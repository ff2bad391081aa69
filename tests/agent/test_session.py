"""The session's rules, without sockets or windows: fakes record what happens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coupdemain.agent.capture.base import Monitor
from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.connection import (
    AgentConnection,
    CodeRefused,
    ServerUnreachable,
    websocket_url,
)
from coupdemain.agent.inject.recording import RecordingInputSink
from coupdemain.agent.known import KnownOrganisations
from coupdemain.agent.pipeline import FramePipeline
from coupdemain.agent.session import AssistedSession
from coupdemain.agent.transfer import AgentFiles
from coupdemain.agent.ui import events as ev
from coupdemain.protocol import frames
from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import CloseReason
from tests.agent.fake_server import FakeServer


class RecordingConnection:
    def __init__(self) -> None:
        self.sent: list[m.Message] = []
        self.frames: list[frames.FrameUpdate] = []
        self.close_code: CloseReason | int | None = None
        self.closed = False

    async def send(self, message: m.Message) -> None:
        self.sent.append(message)

    async def send_frame(self, update: frames.FrameUpdate) -> None:
        self.frames.append(update)

    async def receive(self) -> m.Message | None:
        return None

    async def close(self) -> None:
        self.closed = True


WELCOME = m.Welcome("s1", "Alice Martin", "Entraide Numérique", technician_id=7)
ALICE_ASKS = m.ControlRequest(7, "Alice Martin", "Entraide Numérique")


@pytest.fixture
def parts() -> Iterator[tuple[AssistedSession, RecordingConnection, RecordingInputSink,
                              list[ev.UiEvent]]]:
    connection = RecordingConnection()
    sink = RecordingInputSink()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(128, 64))
    session = AssistedSession(connection, WELCOME, pipeline, sink, shown.append)
    yield session, connection, sink, shown
    pipeline.close()


Parts = tuple[AssistedSession, RecordingConnection, RecordingInputSink, list[ev.UiEvent]]


async def sharing(session: AssistedSession, state: str = "viewing", paused: bool = False) -> None:
    """Reaches ``state`` as it happens: with the person's own clicks on the way."""
    await session.receive_action(ev.ConsentAnswer(True))
    controller = 0
    if state in ("control_requested", "controlling"):
        await session.receive_message(ALICE_ASKS)
        controller = 7
        if state == "controlling":
            await session.receive_action(ev.ControlAnswer(True))
    await session.receive_message(m.Peer("viewer", True))
    await session.receive_message(m.State(state, paused=paused, controller_id=controller))


KEY_A = m.Key("KeyA", "a", True)


async def test_consent_is_asked_with_who_asks(parts: Parts) -> None:
    session, connection, _, shown = parts
    await session.start()
    assert shown == [ev.AskConsent("Alice Martin", "Entraide Numérique")]
    await session.receive_action(ev.ConsentAnswer(True))
    assert connection.sent == [m.Consent("allow_view")]
    await session.receive_action(ev.ConsentAnswer(False))
    assert connection.sent[-1] == m.Consent("decline")


def unattended_session() -> tuple[AssistedSession, RecordingConnection, list[ev.UiEvent],
                                  FramePipeline]:
    """A session on a device whose policy answers Allow (the demo's assumed consent)."""
    connection = RecordingConnection()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(connection, WELCOME, pipeline, RecordingInputSink(), shown.append,
                              assume_consent=True)
    return session, connection, shown, pipeline


async def test_assumed_consent_answers_by_itself() -> None:
    session, connection, shown, pipeline = unattended_session()
    try:
        await session.start()
        await session.receive_message(m.ControlRequest())
        await session.receive_message(m.Peer("viewer", True))
        await session.receive_message(m.State("viewing"))
    finally:
        pipeline.close()
    assert connection.sent == [m.Consent("allow_view"), m.ControlDecision("allow_control")]
    assert not any(isinstance(e, (ev.AskConsent, ev.AskControl)) for e in shown)
    assert isinstance(shown[-1], ev.SessionStatus) and shown[-1].consent_assumed


def asking_device(timeout: float) -> tuple[AssistedSession, RecordingConnection,
                                           list[ev.UiEvent], FramePipeline, list[float],
                                           asyncio.Event]:
    """A managed device whose policy asks the person, with a deadline the test lets pass."""
    connection = RecordingConnection()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(connection, WELCOME, pipeline, RecordingInputSink(), shown.append,
                              consent_timeout=timeout)
    waited: list[float] = []
    passed = asyncio.Event()

    async def wait(seconds: float) -> None:
        waited.append(seconds)
        await passed.wait()

    session.wait = wait
    return session, connection, shown, pipeline, waited, passed


async def test_nobody_answering_in_time_declines() -> None:
    session, connection, shown, pipeline, waited, passed = asking_device(30.0)
    try:
        await session.start()
        assert shown == [ev.AskConsent("Alice Martin", "Entraide Numérique")]
        await asyncio.sleep(0)
        assert waited == [30.0] and connection.sent == []
        passed.set()
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        pipeline.close()
    assert connection.sent == [m.Consent("decline")]


async def test_an_answer_in_time_stands() -> None:
    session, connection, _, pipeline, _, passed = asking_device(30.0)
    try:
        await session.start()
        await session.receive_action(ev.ConsentAnswer(True))
        passed.set()
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        pipeline.close()
    assert connection.sent == [m.Consent("allow_view")]


async def test_an_unattended_device_says_so_on_the_banner() -> None:
    connection = RecordingConnection()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(connection, WELCOME, pipeline, RecordingInputSink(), shown.append,
                              unattended=True)
    try:
        await session.start()
        await session.receive_message(m.Peer("viewer", True))
        await session.receive_message(m.State("viewing"))
    finally:
        pipeline.close()
    assert connection.sent == [m.Consent("allow_view")]
    assert isinstance(shown[-1], ev.SessionStatus) and shown[-1].unattended


@pytest.mark.parametrize(
    ("state", "paused"),
    [("waiting_for_consent", False), ("viewing", False), ("control_requested", False),
     ("controlling", True)],
)
async def test_no_input_outside_control(parts: Parts, state: str, paused: bool) -> None:
    session, _, sink, _ = parts
    await sharing(session, state, paused)
    await session.receive_message(KEY_A)
    await session.receive_message(m.Pointer(1, 2, 1))
    await session.receive_message(m.Wheel(1, 2, 0, 1))
    assert [e for e in sink.events if e[0] != "release_all"] == []


async def test_input_while_controlling(parts: Parts) -> None:
    session, _, sink, _ = parts
    await sharing(session, "controlling")
    await session.receive_message(KEY_A)
    await session.receive_message(m.Pointer(1, 2, 1))
    await session.receive_message(m.Wheel(3, 4, 0, -2))
    assert sink.events == [("key_down", "KeyA"), ("pointer", 1, 2, 1), ("wheel", 3, 4, 0, -2)]


async def test_input_lands_on_the_monitor_shown() -> None:
    connection = RecordingConnection()
    sink = RecordingInputSink()
    monitors = [Monitor(0, 0, 64, 64, "LEFT"), Monitor(64, 0, 32, 48, "RIGHT")]
    pipeline = FramePipeline(FakeScreen(96, 64, monitors=monitors))
    session = AssistedSession(connection, WELCOME, pipeline, sink, lambda event: None)
    try:
        await sharing(session, "controlling")
        await session.receive_message(m.SelectMonitor(1))
        await asyncio.wait_for(pipeline.run(session, max_frames=1), 10)
        screens = [message for message in connection.sent if isinstance(message, m.Screen)]
        assert (screens[-1].width, screens[-1].height, screens[-1].monitor) == (32, 48, 1)
        await session.receive_message(m.Pointer(10, 20, 0))
        await session.receive_message(m.Wheel(10, 20, 0, 1))
        assert sink.events == [("pointer", 74, 20, 0), ("wheel", 74, 20, 0, 1)]
    finally:
        pipeline.close()


@pytest.mark.parametrize(
    "ending",
    [m.State("viewing"), m.State("controlling", paused=True), m.Peer("viewer", False),
     m.Ended("technician", int(CloseReason.ENDED_BY_TECHNICIAN))],
)
async def test_control_ends_releases_everything_and_stops_input(
    parts: Parts, ending: m.Message
) -> None:
    session, _, sink, _ = parts
    await sharing(session, "controlling")
    await session.receive_message(KEY_A)
    await session.receive_message(ending)
    assert sink.held_keys == [] and sink.events[-1] == ("release_all",)
    await session.receive_message(m.Key("KeyB", "b", True))
    assert ("key_down", "KeyB") not in sink.events


@pytest.mark.parametrize(
    ("action", "message"),
    [(ev.StopControl(), m.ControlRevoke()), (ev.SetPaused(True), m.Pause(True)),
     (ev.EndSession(), m.End())],
)
async def test_person_stops_input_before_the_server_confirms(
    parts: Parts, action: ev.UserAction, message: m.Message
) -> None:
    session, connection, sink, _ = parts
    await sharing(session, "controlling")
    await session.receive_message(KEY_A)
    await session.receive_action(action)
    assert connection.sent[-1] == message
    assert sink.held_keys == []
    await session.receive_message(m.Key("KeyB", "b", True))
    assert ("key_down", "KeyB") not in sink.events


async def test_frames_flow_only_while_sharing(parts: Parts) -> None:
    session, _, _, _ = parts
    pipeline = session.pipeline
    await session.receive_message(m.State("waiting_for_consent"))
    assert not pipeline.active
    await session.receive_action(ev.ConsentAnswer(True))
    await session.receive_message(m.State("viewing"))
    assert not pipeline.active  # no viewer yet: frames would be dropped by the relay
    await session.receive_message(m.Peer("viewer", True))
    assert pipeline.active
    await session.receive_message(m.State("viewing", paused=True))
    assert not pipeline.active
    await session.receive_message(m.State("viewing", paused=False))
    assert pipeline.active
    await session.receive_message(m.Peer("viewer", False))
    assert not pipeline.active


async def test_acks_and_keyframe_requests_reach_the_pipeline(parts: Parts) -> None:
    session, _, _, _ = parts
    await sharing(session)
    pipeline = session.pipeline
    first = await pipeline.next_output()
    assert first is not None
    await session.receive_message(m.FrameAck(first.update.frame_id))
    assert pipeline.unacked == []
    await session.receive_message(m.KeyframeRequest())
    output = await pipeline.next_output()
    assert output is not None and output.update.keyframe


async def test_control_request_asks_and_answers(parts: Parts) -> None:
    session, connection, _, shown = parts
    await sharing(session)
    await session.receive_message(m.ControlRequest())
    assert shown[-1] == ev.AskControl("Alice Martin", "Entraide Numérique")
    await session.receive_action(ev.ControlAnswer(False))
    assert connection.sent[-1] == m.ControlDecision("keep_view_only")


async def test_the_banner_offers_files_only_where_the_server_allows_them() -> None:
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    connection = RecordingConnection()
    statuses = []
    for allowed in (True, False):
        welcome = m.Welcome("s1", "Alice Martin", "Entraide", files_to_technician=allowed)
        session = AssistedSession(connection, welcome, pipeline, RecordingInputSink(),
                                  shown.append)
        session.files = AgentFiles("http://127.0.0.1:9", "s1", connection.send, shown.append)
        await sharing(session)
        statuses.append([e for e in shown if isinstance(e, ev.SessionStatus)][-1])
    pipeline.close()
    assert [status.can_send_files for status in statuses] == [True, False]


async def test_banner_learns_of_a_dropped_technician(parts: Parts) -> None:
    session, _, _, shown = parts
    await sharing(session, "controlling")
    await session.receive_message(m.Peer("viewer", False))
    await session.receive_message(m.State("viewing"))
    status = shown[-1]
    assert isinstance(status, ev.SessionStatus)
    assert (status.state, status.viewer_connected) == ("viewing", False)


async def test_ended_is_shown_once_with_who(parts: Parts) -> None:
    session, _, _, shown = parts
    await sharing(session)
    await session.receive_message(m.Ended("server", int(CloseReason.PEER_LOST)))
    await session.receive_message(m.State("viewing"))
    assert shown[-1] == ev.SessionEnded("server", int(CloseReason.PEER_LOST), "Alice Martin")
    assert session.ended and session.exit_code == 0 and not session.pipeline.active


@pytest.mark.parametrize(
    ("close_code", "expected", "exit_code"),
    [(None, ev.ConnectionLost(), 1), (1006, ev.ConnectionLost(), 1),
     (int(CloseReason.ENDED_BY_TECHNICIAN),
      ev.SessionEnded("technician", 4000, "Alice Martin"), 0),
     (int(CloseReason.SERVER_SHUTDOWN), ev.SessionEnded("server", 4041, "Alice Martin"), 0)],
)
async def test_closed_without_ended(
    parts: Parts, close_code: int | None, expected: ev.UiEvent, exit_code: int
) -> None:
    session, _, _, shown = parts
    await sharing(session)
    session.receive_closed(close_code)
    assert shown[-1] == expected
    assert session.exit_code == exit_code


async def test_injected_input_nudges_the_capture(parts: Parts) -> None:
    session, _, _, _ = parts
    nudges: list[bool] = []
    captures: list[None] = []
    pipeline_nudge = session.pipeline.nudge

    def nudge(*, answer_first: bool = False) -> None:
        nudges.append(answer_first)
        pipeline_nudge(answer_first=answer_first)

    session.pipeline.nudge = nudge  # type: ignore[method-assign]
    session.pipeline.changes.nudge = lambda: captures.append(None)  # type: ignore[method-assign]
    await session.receive_message(KEY_A)  # not in control: nothing injected, no nudge
    assert nudges == []
    await sharing(session, "controlling")
    await session.receive_message(KEY_A)
    await session.receive_message(m.Pointer(3, 4, 0))  # a move: no answer to wait for
    await session.receive_message(m.Pointer(3, 4, 1))  # a press
    await session.receive_message(m.Pointer(5, 6, 1))  # a drag
    await session.receive_message(m.Pointer(5, 6, 0))  # the release
    await session.receive_message(m.Wheel(5, 6, 0, 1))
    assert len(captures) == 6, "each injection makes the capture come sooner"
    # Keys, clicks and wheel turns are answered before any video's next picture.
    assert nudges == [True, False, True, False, True, True]


# --- a dropped connection -------------------------------------------------------


class ScriptedConnection(RecordingConnection):
    """Gives the session ``script`` one message at a time, then drops (close code 1006)."""

    def __init__(self, *script: m.Message) -> None:
        super().__init__()
        self.script = list(script)
        self.close_code = 1006

    async def receive(self) -> m.Message | None:
        await asyncio.sleep(0)
        return self.script.pop(0) if self.script else None


class Resumes:
    """The worker's reconnect, scripted: each call takes the next outcome."""

    def __init__(self, session: AssistedSession, *outcomes: object) -> None:
        self.session = session
        self.outcomes = list(outcomes)
        self.seen: list[tuple[bool, list[tuple[object, ...]]]] = []
        self.held = asyncio.Event()

    async def __call__(self) -> tuple[ScriptedConnection, m.Welcome]:
        sink = self.session.sink
        assert isinstance(sink, RecordingInputSink)
        self.seen.append((self.session.pipeline.active, list(sink.events)))
        outcome = self.outcomes.pop(0)
        if outcome == "hang":
            self.held.set()
            await asyncio.Event().wait()
        if isinstance(outcome, BaseException):
            raise outcome
        assert isinstance(outcome, ScriptedConnection)
        return outcome, WELCOME


def dropping(session: AssistedSession, *script: m.Message) -> ScriptedConnection:
    connection = ScriptedConnection(*script)
    session.connection = connection
    return connection


async def run(session: AssistedSession, actions: asyncio.Queue[ev.UserAction] | None = None) -> int:
    return await asyncio.wait_for(session.run(actions or asyncio.Queue()), 10)


async def test_a_drop_under_control_stops_input_and_the_session_resumes_without_it(
    parts: Parts,
) -> None:
    session, _, sink, shown = parts
    dropping(session, m.Peer("viewer", True), m.State("controlling"))
    back = ScriptedConnection(m.State("viewing"), m.Peer("viewer", True), KEY_A,
                              m.Ended("technician", int(CloseReason.ENDED_BY_TECHNICIAN)))
    session.reconnect = Resumes(session, back)
    assert await run(session) == 0
    # While it reconnected: nothing shared, every key released, no control.
    resumes = session.reconnect
    assert isinstance(resumes, Resumes)
    assert resumes.seen == [(False, [("release_all",)])]
    assert ev.Reconnected() in shown
    assert session.connection is back
    # The key of the resumed session is not injected: control is asked again.
    assert ("key_down", "KeyA") not in sink.events
    assert shown[-1] == ev.SessionEnded("technician", 4000, "Alice Martin")


async def test_a_session_dropped_before_consent_asks_again_once_resumed(parts: Parts) -> None:
    session, _, _, shown = parts
    dropping(session, m.State("waiting_for_consent"))
    back = ScriptedConnection(m.State("waiting_for_consent"),
                              m.Ended("person", int(CloseReason.DECLINED)))
    session.reconnect = Resumes(session, back)
    await run(session)
    assert [e for e in shown if isinstance(e, ev.AskConsent)] == [
        ev.AskConsent("Alice Martin", "Entraide Numérique")] * 2


async def test_the_person_ends_the_session_while_it_reconnects(parts: Parts) -> None:
    session, _, _, shown = parts
    dropping(session, m.Peer("viewer", True), m.State("viewing"))
    resumes = Resumes(session, "hang")
    session.reconnect = resumes
    actions: asyncio.Queue[ev.UserAction] = asyncio.Queue()
    running = asyncio.create_task(run(session, actions))
    await asyncio.wait_for(resumes.held.wait(), 10)
    await actions.put(ev.EndSession())
    assert await running == 0
    assert shown[-1] == ev.SessionEnded("person", int(CloseReason.ENDED_BY_PERSON),
                                        "Alice Martin")
    assert not session.pipeline.active


@pytest.mark.parametrize(("failure", "expected", "exit_code"), [
    (ServerUnreachable("gave up"), ev.ConnectionLost(), 1),
    (CodeRefused(CloseReason.SERVER_RESTARTED),
     ev.SessionEnded("server", int(CloseReason.SERVER_RESTARTED), "Alice Martin"), 0),
    (CodeRefused(CloseReason.PEER_LOST), ev.ConnectionLost(), 1),
])
async def test_a_session_that_cannot_resume_ends_in_words(
    parts: Parts, failure: BaseException, expected: ev.UiEvent, exit_code: int
) -> None:
    session, _, _, shown = parts
    dropping(session, m.Peer("viewer", True), m.State("viewing"))
    session.reconnect = Resumes(session, failure)
    assert await run(session) == exit_code
    assert shown[-1] == expected


async def test_a_close_from_the_server_is_not_resumed(parts: Parts) -> None:
    session, _, _, shown = parts
    connection = dropping(session, m.State("viewing"))
    connection.close_code = int(CloseReason.SERVER_SHUTDOWN)
    resumes = Resumes(session)
    session.reconnect = resumes
    await run(session)
    assert resumes.seen == []
    assert shown[-1] == ev.SessionEnded("server", 4041, "Alice Martin")
# --- the agent enforces consent itself, against a server that says otherwise ---


class Windows:
    """Records what the session shows, and wakes a test waiting for a chat line."""

    def __init__(self) -> None:
        self.shown: list[ev.UiEvent] = []
        self._changed = asyncio.Event()

    def post(self, event: ev.UiEvent) -> None:
        self.shown.append(event)
        self._changed.set()

    async def until(self, shown: Callable[[ev.UiEvent], bool]) -> None:
        while not any(shown(event) for event in self.shown):
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), 20)

    async def chat_line(self, ident: int) -> None:
        """Returns once chat line ``ident`` was shown: every message before it was handled."""
        await self.until(lambda e: isinstance(e, ev.ChatReceived) and e.id == ident)

    async def control_question(self, count: int) -> None:
        """Returns once the control question was shown ``count`` times, as the person sees it."""
        while sum(isinstance(e, ev.AskControl) for e in self.shown) < count:
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), 20)


def typed(sink: RecordingInputSink) -> list[tuple[object, ...]]:
    return [event for event in sink.events if event[0] != "release_all"]


async def test_a_server_saying_viewing_and_controlling_gets_nothing_without_the_persons_clicks(
) -> None:
    async with FakeServer() as server:
        hello = m.Hello(protocol=1, role="agent", code="482913705")
        connection, welcome = await AgentConnection.open(websocket_url(server.url), hello)
        sink = RecordingInputSink()
        windows = Windows()
        pipeline = FramePipeline(FakeScreen(64, 48))
        session = AssistedSession(connection, welcome, pipeline, sink, windows.post)
        actions: asyncio.Queue[ev.UserAction] = asyncio.Queue()
        running = asyncio.create_task(session.run(actions))
        try:
            # The server skips the person: viewing, a viewer, control, input.
            for message in (m.State("viewing"), m.Peer("viewer", True), m.KeyframeRequest(),
                            m.State("controlling", controller_id=7), KEY_A,
                            m.Pointer(5, 5, 1), m.ChatMessage(1, 0.0, "technician", "A", "1")):
                await server.send(message)
            await windows.chat_line(1)
            assert server.received.empty(), "nothing may leave before the person answers"
            assert not pipeline.active and typed(sink) == []
            assert windows.shown[0] == ev.AskConsent("Alice Martin", "Entraide Numérique")
            assert not any(isinstance(e, ev.SessionStatus) for e in windows.shown)

            # The person allows viewing: the screen is shared, and still no key goes in.
            await actions.put(ev.ConsentAnswer(True))
            assert await server.expect(m.Consent) == m.Consent("allow_view")
            assert (await server.expect(frames.FrameUpdate)).keyframe
            for message in (KEY_A, m.ChatMessage(2, 0.0, "technician", "A", "2")):
                await server.send(message)
            await windows.chat_line(2)
            assert typed(sink) == []
            status = [e for e in windows.shown if isinstance(e, ev.SessionStatus)][-1]
            assert status.state == "viewing", "the banner says what this computer allows"

            # The person allows control, for the technician who asked: keys go in.
            await server.send(ALICE_ASKS)
            await windows.control_question(1)
            await actions.put(ev.ControlAnswer(True))
            assert await server.expect(m.ControlDecision) == m.ControlDecision("allow_control")
            for message in (m.State("controlling", controller_id=7), KEY_A,
                            m.ChatMessage(3, 0.0, "technician", "A", "3")):
                await server.send(message)
            await windows.chat_line(3)
            assert typed(sink) == [("key_down", "KeyA")]

            # The person takes control back; a server still saying controlling
            # gets nothing in until the person allows control again.
            await actions.put(ev.StopControl())
            await server.expect(m.ControlRevoke)
            for message in (m.State("controlling", controller_id=7), m.Key("KeyB", "b", True),
                            m.ChatMessage(4, 0.0, "technician", "A", "4")):
                await server.send(message)
            await windows.chat_line(4)
            assert ("key_down", "KeyB") not in sink.events
            await server.send(ALICE_ASKS)
            await windows.control_question(2)
            await actions.put(ev.ControlAnswer(True))
            await server.expect(m.ControlDecision)
            for message in (m.Key("KeyC", "c", True),
                            m.ChatMessage(5, 0.0, "technician", "A", "5")):
                await server.send(message)
            await windows.chat_line(5)
            assert typed(sink)[-1] == ("key_down", "KeyC")
        finally:
            await server.end("technician", int(CloseReason.ENDED_BY_TECHNICIAN))
            await asyncio.wait_for(running, 20)
            pipeline.close()


async def test_control_allowed_for_one_technician_is_not_given_to_another(parts: Parts) -> None:
    session, _, sink, shown = parts
    await sharing(session, "controlling")
    await session.receive_message(m.State("controlling", controller_id=9))  # not who was allowed
    await session.receive_message(KEY_A)
    assert typed(sink) == []
    await session.receive_message(m.State("controlling", controller_id=7))
    await session.receive_message(KEY_A)
    assert typed(sink) == [], "the grant is gone: a new Allow control is needed"


async def test_another_technician_taking_over_is_named_and_must_ask_again(parts: Parts) -> None:
    session, _, sink, shown = parts
    await sharing(session, "controlling")
    bob = {"id": 9, "name": "Bob Durand", "organisation": "Entraide Numérique"}
    await session.receive_message(m.Watching([bob]))
    await session.receive_message(m.State("viewing"))
    status = shown[-1]
    assert isinstance(status, ev.SessionStatus)
    assert (status.technician, status.took_over_from, status.state) == (
        "Bob Durand", "Alice Martin", "viewing")
    await session.receive_message(m.ControlRequest(9, "Bob Durand", "Entraide Numérique"))
    assert shown[-1] == ev.AskControl("Bob Durand", "Entraide Numérique")
    await session.receive_message(m.State("controlling", controller_id=9))
    await session.receive_message(KEY_A)
    assert typed(sink) == [], "Bob asked, the person has not answered"
    await session.receive_action(ev.ControlAnswer(True))
    await session.receive_message(KEY_A)
    assert typed(sink) == [("key_down", "KeyA")]


async def test_a_takeover_before_consent_asks_again_with_the_new_name(parts: Parts) -> None:
    session, connection, _, shown = parts
    await session.start()
    await session.receive_message(
        m.Watching([{"id": 9, "name": "Bob Durand", "organisation": "Entraide Numérique"}]))
    assert shown[-1] == ev.AskConsent("Bob Durand", "Entraide Numérique")
    assert connection.sent == []


async def test_pause_holds_whatever_the_server_says(parts: Parts) -> None:
    session, _, sink, _ = parts
    await sharing(session, "controlling")
    await session.receive_action(ev.SetPaused(True))
    await session.receive_message(m.State("controlling", paused=False, controller_id=7))
    await session.receive_message(KEY_A)
    assert typed(sink) == [] and not session.pipeline.active
    await session.receive_action(ev.SetPaused(False))
    await session.receive_message(KEY_A)
    assert typed(sink) == [("key_down", "KeyA")] and session.pipeline.active


# --- the warning against scams ----------------------------------------------


def warned_session(known: KnownOrganisations) -> tuple[AssistedSession, RecordingConnection,
                                                       list[ev.UiEvent], FramePipeline]:
    connection = RecordingConnection()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(connection, WELCOME, pipeline, RecordingInputSink(), shown.append,
                              server="help.example.org", verified=True, known=known)
    return session, connection, shown, pipeline


async def test_a_new_organisation_is_warned_about_and_remembered_after_continue(
    tmp_path: Path,
) -> None:
    known = KnownOrganisations(tmp_path / "organisations.json")
    session, connection, shown, pipeline = warned_session(known)
    try:
        await session.start()
        assert shown == [ev.AskConsent("Alice Martin", "Entraide Numérique", first_meeting=True,
                                       server="help.example.org", verified=True)]
        assert not known.path.exists()  # written only once the person continues
        await session.receive_action(ev.MetOrganisation())
        assert known.knows("help.example.org", "Entraide Numérique")
        assert connection.sent == []  # nothing answered, nothing shared
    finally:
        pipeline.close()
    # The next time, the question comes straight away.
    session, _, shown, pipeline = warned_session(known)
    try:
        await session.start()
        assert shown == [ev.AskConsent("Alice Martin", "Entraide Numérique", first_meeting=False,
                                       server="help.example.org", verified=True)]
    finally:
        pipeline.close()


async def test_report_a_problem_sends_the_report_and_shares_nothing(tmp_path: Path) -> None:
    known = KnownOrganisations(tmp_path / "organisations.json")
    session, connection, shown, pipeline = warned_session(known)
    try:
        await session.start()
        await session.receive_action(ev.ReportProblem())
        assert connection.sent == [m.Report()]
        assert not session.view_allowed and not pipeline.active
        assert not known.path.exists()
        await session.receive_message(m.Ended("person", int(CloseReason.REPORTED_BY_PERSON)))
        assert shown[-1] == ev.SessionEnded("person", int(CloseReason.REPORTED_BY_PERSON),
                                            "Alice Martin")
    finally:
        pipeline.close()


async def test_the_demo_is_not_warned(tmp_path: Path) -> None:
    connection = RecordingConnection()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(connection, WELCOME, pipeline, RecordingInputSink(), shown.append,
                              assume_consent=True,
                              known=KnownOrganisations(tmp_path / "organisations.json"))
    try:
        await session.start()
        assert shown == []
        assert connection.sent == [m.Consent("allow_view")]
    finally:
        pipeline.close()


# --- announced actions and steps ------------------------------------------------


async def test_a_disruptive_announcement_asks_the_person_and_sends_their_answer(
        parts: Parts) -> None:
    session, connection, _, shown = parts
    await sharing(session)
    await session.receive_message(
        m.Announcement(3, 42.0, "restart", "I will restart the computer", "Alice Martin", True))
    assert shown[-1] == ev.AskAction(3, "restart", "I will restart the computer",
                                     "Alice Martin", "Entraide Numérique")
    await session.receive_action(ev.AnswerAction(3, False))
    assert connection.sent[-1] == m.ActionAnswer(3, "not_now")
    await session.receive_action(ev.AnswerAction(3, True))
    assert connection.sent[-1] == m.ActionAnswer(3, "ok")


async def test_steps_and_other_announcements_go_to_the_banner_without_a_question(
        parts: Parts) -> None:
    session, connection, _, shown = parts
    await sharing(session)
    sent = len(connection.sent)
    await session.receive_message(
        m.Announcement(1, 42.0, "other", "I will open the settings", "Alice Martin", False))
    await session.receive_message(m.StepMessage(2, 42.0, "Alice Martin", "Checking the network"))
    assert shown[-2:] == [ev.BannerNote("other", "I will open the settings", "Alice Martin"),
                          ev.BannerNote("step", "Checking the network", "Alice Martin")]
    assert connection.sent[sent:] == []


async def test_an_unattended_device_answers_ok_and_shows_the_announcement() -> None:
    session, connection, shown, pipeline = unattended_session()
    try:
        await session.start()
        await session.receive_message(m.Peer("viewer", True))
        await session.receive_message(m.State("viewing"))
        await session.receive_message(
            m.Announcement(1, 42.0, "restart", "Restarting", "Alice Martin", True))
    finally:
        pipeline.close()
    assert connection.sent[-1] == m.ActionAnswer(1, "ok")
    assert shown[-1] == ev.BannerNote("restart", "Restarting", "Alice Martin")
    assert not any(isinstance(e, ev.AskAction) for e in shown)


async def test_no_answer_leaves_once_the_session_ended(parts: Parts) -> None:
    session, connection, _, _ = parts
    await sharing(session)
    await session.receive_message(m.Ended("technician", int(CloseReason.ENDED_BY_TECHNICIAN)))
    sent = len(connection.sent)
    await session.receive_action(ev.AnswerAction(1, True))
    assert connection.sent[sent:] == []


# --- the mandate -------------------------------------------------------------------

MANDATE_TEXT = "Remote help mandate\n\nWhat will be done: the printer"
MANDATE_SHA = "a" * 64
OFFER = m.MandateOffer("mandate", MANDATE_TEXT, MANDATE_SHA, ["view"], 30)
WELCOME_MANDATE = m.Welcome("s1", "Alice Martin", "Entraide Numérique", technician_id=7,
                            mandate=True, resume="secret")
END_AT = 10_000.0


class Clock:
    def __init__(self, now: float = END_AT - 1800) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signed(*tools: str, ends_at: float = END_AT, warning: bool = False) -> m.MandateState:
    return m.MandateState(MANDATE_SHA, ["view", *tools], ends_at, signed_by="Marie Dupont",
                          warning=warning)


@pytest.fixture
def bound() -> Iterator[tuple[AssistedSession, RecordingConnection, RecordingInputSink,
                              list[ev.UiEvent], Clock]]:
    """A session bound by a mandate, before the person signed it."""
    connection = RecordingConnection()
    sink = RecordingInputSink()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(128, 64))
    session = AssistedSession(connection, WELCOME_MANDATE, pipeline, sink, shown.append)
    session.clock = clock = Clock()
    yield session, connection, sink, shown, clock
    pipeline.close()


Bound = tuple[AssistedSession, RecordingConnection, RecordingInputSink, list[ev.UiEvent], Clock]


async def signed_and_sharing(session: AssistedSession, *tools: str) -> None:
    """The person signed a mandate allowing ``tools`` (besides viewing), then allowed viewing."""
    await session.start()
    await session.receive_message(OFFER)
    await session.receive_action(ev.SignMandate(MANDATE_SHA, "Marie Dupont"))
    await session.receive_message(signed(*tools))
    await session.receive_action(ev.ConsentAnswer(True))
    await session.receive_message(m.Peer("viewer", True))
    await session.receive_message(m.State("viewing"))


async def test_the_mandate_is_signed_before_the_consent_question(bound: Bound) -> None:
    session, connection, _, shown, _ = bound
    await session.start()
    assert shown == [] and connection.sent == []
    await session.receive_message(OFFER)
    assert shown == [ev.AskMandate("mandate", MANDATE_TEXT, MANDATE_SHA, "Alice Martin",
                                   "Entraide Numérique")]
    # Whatever the server says, nothing is shared before the signature.
    await session.receive_action(ev.ConsentAnswer(True))
    await session.receive_message(m.Peer("viewer", True))
    await session.receive_message(m.State("viewing"))
    assert not session.pipeline.active
    connection.sent.clear()
    # Another text's signature, or no name: nothing is signed.
    await session.receive_action(ev.SignMandate("b" * 64, "Marie Dupont"))
    await session.receive_action(ev.SignMandate(MANDATE_SHA, "   "))
    assert connection.sent == []
    await session.receive_action(ev.SignMandate(MANDATE_SHA, " Marie Dupont ", b"\x89PNG"))
    assert connection.sent == [m.MandateSign(MANDATE_SHA, "Marie Dupont", "iVBORw==")]
    await session.receive_action(ev.SignMandate(MANDATE_SHA, "Marie Dupont"))  # a double click
    assert len(connection.sent) == 1
    assert not any(isinstance(e, ev.AskConsent) for e in shown)
    await session.receive_message(signed())
    assert ev.AskConsent("Alice Martin", "Entraide Numérique") in shown
    assert session.pipeline.active  # the person's Allow viewing, now under a signed mandate
    status = [e for e in shown if isinstance(e, ev.SessionStatus)][-1]
    assert status.mandate_signed


async def test_do_not_sign_refuses_and_the_end_says_so(bound: Bound) -> None:
    session, connection, _, shown, _ = bound
    await session.start()
    await session.receive_message(OFFER)
    await session.receive_action(ev.RefuseMandate(MANDATE_SHA))
    assert connection.sent == [m.MandateRefuse(MANDATE_SHA)]
    session.receive_closed(CloseReason.MANDATE_REFUSED)
    assert shown[-1] == ev.SessionEnded("person", 4004, "Alice Martin")


REFUSED_REQUESTS: list[tuple[m.Message, m.Message | None, type]] = [
    (ALICE_ASKS, m.ControlDecision("keep_view_only"), ev.AskControl),
    (m.FileOffer("f" * 32, "facture.pdf", 10, direction="to_person", sender="Alice Martin"),
     m.FileAnswer("f" * 32, False, "declined"), ev.AskFile),
    (m.DiagnosticsRequest(), m.DiagnosticsDeclined(), ev.AskDiagnostics),
    (m.Clipboard("mot de passe"), None, ev.ClipboardReceived),
]


@pytest.mark.parametrize(("request_", "answer", "question"), REFUSED_REQUESTS,
                         ids=["control", "files_to_person", "diagnostics", "clipboard"])
async def test_a_tool_outside_the_mandate_is_refused_without_asking(
    bound: Bound, request_: m.Message, answer: m.Message | None, question: type
) -> None:
    session, connection, _, shown, _ = bound
    await signed_and_sharing(session)   # viewing alone
    session.files = AgentFiles("http://127.0.0.1:1", "s1", connection.send, shown.append)
    connection.sent.clear()
    shown.clear()
    await session.receive_message(request_)
    assert connection.sent == ([answer] if answer else [])
    assert not any(isinstance(e, question) for e in shown)


async def test_input_is_refused_without_control_in_the_mandate_whatever_the_server_says(
    bound: Bound,
) -> None:
    session, connection, sink, shown, _ = bound
    await signed_and_sharing(session, "clipboard")
    await session.receive_message(ALICE_ASKS)
    await session.receive_action(ev.ControlAnswer(True))  # a click the window never asked
    await session.receive_message(m.State("controlling", controller_id=7))
    for message in (KEY_A, m.Pointer(1, 2, 1), m.Wheel(1, 2, 0, 1), m.Clipboard("x")):
        await session.receive_message(message)
    await session.receive_action(ev.ClipboardCopied("y"))
    assert [e for e in sink.events if e[0] != "release_all"] == []
    assert m.ControlDecision("allow_control") not in connection.sent
    assert not any(isinstance(e, (ev.AskControl, ev.ClipboardReceived)) for e in shown)
    assert m.Clipboard("y") not in connection.sent


async def test_a_tool_in_the_mandate_is_asked_as_before(bound: Bound) -> None:
    session, connection, sink, shown, _ = bound
    await signed_and_sharing(session, "control", "diagnostics")
    await session.receive_message(ALICE_ASKS)
    assert shown[-1] == ev.AskControl("Alice Martin", "Entraide Numérique")
    await session.receive_action(ev.ControlAnswer(True))
    await session.receive_message(m.State("controlling", controller_id=7))
    await session.receive_message(KEY_A)
    assert ("key_down", "KeyA") in sink.events
    await session.receive_message(m.DiagnosticsRequest())
    assert shown[-1] == ev.AskDiagnostics("Alice Martin", "Entraide Numérique")


async def test_sending_a_file_needs_the_tool(bound: Bound, tmp_path: Path) -> None:
    session, connection, _, shown, _ = bound
    session.files = AgentFiles("http://127.0.0.1:1", "s1", connection.send, shown.append)
    await signed_and_sharing(session)
    status = [e for e in shown if isinstance(e, ev.SessionStatus)][-1]
    assert not status.can_send_files
    (tmp_path / "a.txt").write_text("a")
    await session.receive_action(ev.SendFile(str(tmp_path / "a.txt")))
    assert not any(isinstance(sent, m.FileOffer) for sent in connection.sent)


async def test_the_warning_comes_five_minutes_before_and_the_agent_ends_it_after(
    bound: Bound,
) -> None:
    session, connection, _, shown, clock = bound
    await signed_and_sharing(session, "control")
    shown.clear()
    clock.now = END_AT - 301
    session.check_mandate_time()
    assert shown == []
    clock.now = END_AT - 300
    session.check_mandate_time()
    session.check_mandate_time()
    assert shown == [ev.MandateTime(True)]
    # An extension signed: no more warning; the server's own warning is shown at once.
    await session.receive_message(signed("control", ends_at=END_AT + 1800))
    await session.receive_message(signed("control", ends_at=END_AT + 1800, warning=True))
    assert [e for e in shown if isinstance(e, ev.MandateTime)] == [
        ev.MandateTime(True), ev.MandateTime(False), ev.MandateTime(True)]
    # The end passes, and the server says nothing: the agent ends the session itself.
    clock.now = END_AT + 1800 + 9
    session.check_mandate_time()
    assert not session.ended
    clock.now = END_AT + 1800 + 10
    session.sleep = lambda _seconds: asyncio.sleep(0)
    await asyncio.wait_for(session._watch_mandate(), 5)
    assert session.ended and not session.pipeline.active
    assert shown[-1] == ev.SessionEnded("server", 4005, "Alice Martin")
    assert connection.sent[-1] == m.End() and connection.closed


async def test_an_extension_shows_what_changes_and_not_now_keeps_the_session(
    bound: Bound,
) -> None:
    session, connection, _, shown, _ = bound
    await signed_and_sharing(session)
    extension = m.MandateOffer("extension", "15 more minutes", "c" * 64, ["view", "control"],
                               15, ends_at=END_AT + 900)
    await session.receive_message(extension)
    assert shown[-1] == ev.AskMandate("extension", "15 more minutes", "c" * 64, "Alice Martin",
                                      "Entraide Numérique")
    await session.receive_action(ev.RefuseMandate("c" * 64))
    assert connection.sent[-1] == m.MandateRefuse("c" * 64)
    assert not session.ended and session.pipeline.active
    await session.receive_message(extension)
    await session.receive_action(ev.SignMandate("c" * 64, "Marie Dupont", b""))
    assert connection.sent[-1] == m.MandateSign("c" * 64, "Marie Dupont", "")


async def test_a_copy_is_saved_or_the_person_is_told_why(bound: Bound, tmp_path: Path) -> None:
    session, _, _, shown, _ = bound
    await signed_and_sharing(session)
    pdf = b"%PDF-1.4 mandate"

    async def fetch() -> bytes:
        return pdf

    session.fetch_mandate_copy = fetch
    target = tmp_path / "mandate.pdf"
    await session.receive_action(ev.SaveMandateCopy(str(target)))
    assert session._copy_task is not None
    await session._copy_task
    assert target.read_bytes() == pdf
    assert shown[-1] == ev.MandateCopySaved(str(target))

    await session.receive_action(ev.SaveMandateCopy(str(tmp_path / "nowhere" / "m.pdf")))
    await session._copy_task
    assert shown[-1] == ev.MandateCopySaved(str(tmp_path / "nowhere" / "m.pdf"), "write")
    assert not (tmp_path / "nowhere").exists()


async def test_the_clipboard_needs_its_tool_even_under_control(bound: Bound) -> None:
    session, connection, sink, shown, _ = bound
    await signed_and_sharing(session, "control")
    await session.receive_message(ALICE_ASKS)
    await session.receive_action(ev.ControlAnswer(True))
    await session.receive_message(m.State("controlling", controller_id=7))
    assert session.control_allowed
    await session.receive_message(m.Clipboard("mot de passe"))
    await session.receive_action(ev.ClipboardCopied("y"))
    assert not any(isinstance(e, ev.ClipboardReceived) for e in shown)
    assert not any(isinstance(sent, m.Clipboard) for sent in connection.sent)


async def test_an_offer_unanswered_when_the_connection_drops_is_shown_again(
    bound: Bound,
) -> None:
    session, _, _, shown, _ = bound
    dropping(session, OFFER)
    back = ScriptedConnection(m.Ended("person", int(CloseReason.MANDATE_REFUSED)))
    session.reconnect = Resumes(session, back)
    await run(session)
    asked = ev.AskMandate("mandate", MANDATE_TEXT, MANDATE_SHA, "Alice Martin",
                          "Entraide Numérique")
    assert [e for e in shown if isinstance(e, ev.AskMandate)] == [asked, asked]
    assert not any(isinstance(e, ev.AskConsent) for e in shown)
