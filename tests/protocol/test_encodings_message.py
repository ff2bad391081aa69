"""The ``encodings`` message: the viewer says which rect encodings it paints.

Parsed like every message, passed on by the server while the screen is
shared, and acted on by the agent's pipeline.
"""

from __future__ import annotations

import pytest

from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.pipeline import FramePipeline
from coupdemain.agent.session import AssistedSession
from coupdemain.protocol import messages as m
from coupdemain.protocol.encodings import BASELINE, Encoding
from coupdemain.protocol.errors import MalformedMessage, NotAllowed
from coupdemain.protocol.session import Person, Role, SupportSession
from tests.agent.test_session import WELCOME, RecordingConnection, RecordingInputSink


def test_round_trip_and_who_may_send_it() -> None:
    message = m.Encodings([0, 1, 2, 3])
    assert m.serialize(message) == '{"type":"encodings","encodings":[0,1,2,3]}'
    assert m.parse(m.serialize(message), m.VIEWER_SENDS) == message
    assert m.parse(m.serialize(message), m.SERVER_SENDS) == message
    with pytest.raises(NotAllowed):
        m.parse(m.serialize(message), m.AGENT_SENDS)


def test_a_list_is_required() -> None:
    with pytest.raises(MalformedMessage, match="field 'encodings' must be list, not str"):
        m.parse('{"type":"encodings","encodings":"h264"}', m.VIEWER_SENDS)


def test_the_server_passes_it_on_only_while_sharing() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", code_expires_at=1000.0)
    session.viewer_joined()
    session.receive_from_viewer(m.Encodings([3]))
    assert [o for o in session.data_to_send() if o.to is Role.AGENT] == []
    session.agent_joined(Person("pc", "Linux", "marie"))
    session.receive_from_agent(m.Consent("allow_view"))
    session.data_to_send()
    session.receive_from_viewer(m.Encodings([0, 1, 2, 3]))
    assert [o.message for o in session.data_to_send() if o.to is Role.AGENT] == [
        m.Encodings([0, 1, 2, 3])]


async def test_the_agent_uses_what_the_viewer_paints_until_it_leaves() -> None:
    pipeline = FramePipeline(FakeScreen(64, 64))
    session = AssistedSession(RecordingConnection(), WELCOME, pipeline, RecordingInputSink(),
                              lambda event: None)
    try:
        encoder = pipeline._encoder
        assert encoder.encodings == BASELINE
        await session.receive_message(m.Encodings([0, 1, 2, 3, 42, -1]))
        assert encoder.encodings == BASELINE | {Encoding.H264}
        await session.receive_message(m.Peer("viewer", False))
        assert encoder.encodings == BASELINE
    finally:
        pipeline.close()
