"""The session's diagnostics rules, with fakes: ask first, say so on the banner, then send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from coupdemain.agent import session as session_module
from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.inject.recording import RecordingInputSink
from coupdemain.agent.pipeline import FramePipeline
from coupdemain.agent.session import AssistedSession
from coupdemain.agent.ui import events as ev
from coupdemain.protocol import messages as m
from tests.agent.test_session import WELCOME, RecordingConnection

REPORT = m.DiagnosticsReport(
    {"network": {"proxies": []}},
    [{"severity": "problem", "code": "no_dns_servers", "params": {}}],
)

Parts = tuple[AssistedSession, RecordingConnection, list[ev.UiEvent]]


def make(assume_consent: bool = False) -> tuple[Parts, FramePipeline]:
    connection = RecordingConnection()
    shown: list[ev.UiEvent] = []
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(connection, WELCOME, pipeline, RecordingInputSink(), shown.append,
                              assume_consent=assume_consent)
    reads: list[int] = []

    async def read() -> m.DiagnosticsReport:
        reads.append(1)
        return REPORT

    session.read_diagnostics = read
    return (session, connection, shown), pipeline


@pytest.fixture(autouse=True)
def quick_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "READING_NOTICE_SECONDS", 0.0)


@pytest.fixture
def parts() -> Iterator[Parts]:
    made, pipeline = make()
    yield made
    pipeline.close()


async def settle(session: AssistedSession) -> None:
    task = session._diagnostics_task
    assert task is not None
    await asyncio.wait_for(task, 5)


async def test_the_person_is_asked_then_the_banner_says_so_while_reading(parts: Parts) -> None:
    session, connection, shown = parts
    await session.receive_message(m.DiagnosticsRequest())
    await session.receive_message(m.DiagnosticsRequest())  # a second click while asking
    assert shown == [ev.AskDiagnostics("Alice Martin", "Entraide Numérique")]
    assert connection.sent == []

    await session.receive_action(ev.DiagnosticsAnswer(True))
    await settle(session)
    assert connection.sent == [REPORT]
    assert shown[1:] == [ev.DiagnosticsReading(True), ev.DiagnosticsReading(False)]


async def test_a_refusal_is_sent_and_nothing_is_read(parts: Parts) -> None:
    session, connection, shown = parts
    await session.receive_message(m.DiagnosticsRequest())
    await session.receive_action(ev.DiagnosticsAnswer(False))
    await session.receive_action(ev.DiagnosticsAnswer(True))  # a stale second answer
    assert connection.sent == [m.DiagnosticsDeclined()]
    assert session._diagnostics_task is None
    assert not any(isinstance(e, ev.DiagnosticsReading) for e in shown)


async def test_the_demo_allows_by_itself() -> None:
    (session, connection, shown), pipeline = make(assume_consent=True)
    try:
        await session.receive_message(m.DiagnosticsRequest())
        await settle(session)
        assert connection.sent == [REPORT]
        assert shown == [ev.DiagnosticsReading(True), ev.DiagnosticsReading(False)]
    finally:
        pipeline.close()


async def test_a_failed_reading_is_said_in_words(parts: Parts) -> None:
    session, connection, _ = parts

    async def broken() -> m.DiagnosticsReport:
        raise OSError("no /proc")

    session.read_diagnostics = broken
    await session.receive_message(m.DiagnosticsRequest())
    await session.receive_action(ev.DiagnosticsAnswer(True))
    await settle(session)
    assert connection.sent == [m.DiagnosticsReport(
        {}, [{"severity": "info", "code": "diagnostics_failed", "params": {}}])]
    assert not session.diagnostics_busy
