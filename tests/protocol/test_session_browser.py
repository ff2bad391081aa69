"""A browser share in the session machine: view only, and its WebRTC signalling relayed."""

from __future__ import annotations

import pytest

from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import AgentKind, IcePolicy
from coupdemain.protocol.errors import CloseReason, NotAllowed
from coupdemain.protocol.session import Person, Role, State, SupportSession

OFFER = m.RtcOffer(1, "v=0 offer")
ANSWER = m.RtcAnswer(1, "v=0 answer")
CANDIDATE = m.RtcCandidate(1, "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host", "0", 0)


def config(role: Role) -> m.RtcConfig:
    return m.RtcConfig([{"urls": ["turn:127.0.0.1:3478"], "username": f"1:{role}",
                         "credential": "x"}], IcePolicy.RELAY)


def session_with_viewer() -> SupportSession:
    session = SupportSession("s1", "Alice Martin", "Entraide", code_expires_at=1000.0,
                             technician_id=7)
    session.rtc_config = config
    session.viewer_joined()
    session.data_to_send()
    return session


def to(role: Role, session: SupportSession) -> list[m.Message]:
    return [o.message for o in session.data_to_send() if o.to is role]


def sharing() -> SupportSession:
    session = session_with_viewer()
    session.agent_joined(Person("Chromium on Linux"), kind=AgentKind.BROWSER)
    session.receive_from_agent(m.Consent("allow_view"))
    session.data_to_send()
    session.audit_records()
    return session


def test_a_browser_joining_gets_its_ice_servers_after_the_welcome_and_the_viewer_too() -> None:
    session = session_with_viewer()
    session.agent_joined(Person("Chromium on Linux"), kind=AgentKind.BROWSER)
    out = session.data_to_send()
    agent = [o.message for o in out if o.to is Role.AGENT]
    viewer = [o.message for o in out if o.to is Role.VIEWER]
    assert type(agent[0]) is m.Welcome and agent[1] == config(Role.AGENT)
    assert viewer[0] == config(Role.VIEWER)
    assert viewer[-1] == m.State("waiting_for_consent", person_hostname="Chromium on Linux",
                                 kind=AgentKind.BROWSER)
    record = session.audit_records()[0]
    assert (record.action, record.detail) == (
        "code_used", {"hostname": "Chromium on Linux", "user": "", "kind": "browser"})


def test_an_agent_gets_no_ice_servers() -> None:
    session = session_with_viewer()
    session.agent_joined(Person("pc"))
    assert not any(isinstance(o.message, m.RtcConfig) for o in session.data_to_send())
    assert session.state_message().kind is AgentKind.APP


def test_the_click_on_share_is_the_consent_and_the_browser_learns_of_the_viewer() -> None:
    session = session_with_viewer()
    session.agent_joined(Person("b"), kind=AgentKind.BROWSER)
    session.data_to_send()
    session.receive_from_agent(m.Consent("allow_view"))
    assert session.state is State.VIEWING
    assert to(Role.AGENT, session)[-1] == m.Peer("viewer", True)


def test_offer_answer_and_candidates_pass_between_the_two_sides() -> None:
    session = sharing()
    session.receive_from_agent(OFFER)
    session.receive_from_agent(CANDIDATE)
    assert to(Role.VIEWER, session) == [OFFER, CANDIDATE]
    session.receive_from_viewer(ANSWER)
    session.receive_from_viewer(CANDIDATE)
    assert to(Role.AGENT, session) == [ANSWER, CANDIDATE]
    assert session.audit_records() == []


def test_signalling_stops_while_sharing_is_stopped() -> None:
    session = sharing()
    session.receive_from_agent(m.Pause(True))
    session.data_to_send()
    session.receive_from_agent(OFFER)
    session.receive_from_viewer(ANSWER)
    assert session.data_to_send() == []
    session.receive_from_agent(m.Pause(False))
    session.data_to_send()
    session.receive_from_agent(OFFER)
    assert to(Role.VIEWER, session) == [OFFER]


def test_signalling_before_consent_goes_nowhere() -> None:
    session = session_with_viewer()
    session.agent_joined(Person("b"), kind=AgentKind.BROWSER)
    session.data_to_send()
    session.receive_from_agent(OFFER)
    session.receive_from_viewer(ANSWER)
    assert session.data_to_send() == []


def test_an_offer_without_a_viewer_is_dropped() -> None:
    session = sharing()
    session.viewer_lost()
    assert m.Peer("viewer", False) in to(Role.AGENT, session)
    session.receive_from_agent(OFFER)
    assert to(Role.VIEWER, session) == []


def test_a_viewer_that_comes_back_gets_fresh_ice_servers_before_the_browser_offers() -> None:
    session = sharing()
    session.viewer_lost()
    session.data_to_send()
    session.viewer_joined()
    out = session.data_to_send()
    viewer = [o.message for o in out if o.to is Role.VIEWER]
    assert config(Role.VIEWER) in viewer
    assert m.Peer("viewer", True) in [o.message for o in out if o.to is Role.AGENT]
    # The configuration leaves before the browser is told to offer.
    kinds = [type(o.message) for o in out]
    assert kinds.index(m.RtcConfig) < kinds.index(m.Peer)


def test_a_browser_share_is_view_only() -> None:
    session = sharing()
    for message in (m.RequestControl(), m.DiagnosticsRequest(), m.SelectMonitor(0),
                    m.KeyframeRequest(), m.FrameAck(3), m.Encodings([1]),
                    m.Key("KeyA", "a", True), m.Pointer(1, 2, 1)):
        session.receive_from_viewer(message)
    assert session.state is State.VIEWING
    assert session.data_to_send() == []
    assert session.audit_records() == []


def test_the_chat_and_the_end_work_as_with_the_agent() -> None:
    session = sharing()
    session.receive_from_agent(m.Chat("bonjour"))
    lines = to(Role.VIEWER, session)
    assert [type(x) for x in lines] == [m.ChatMessage]
    session.receive_from_viewer(m.End())
    assert to(Role.AGENT, session) == [m.Ended("technician", int(CloseReason.ENDED_BY_TECHNICIAN))]


def test_a_browser_that_leaves_ends_the_session() -> None:
    session = sharing()
    session.agent_lost(may_return=False)
    assert session.state is State.ENDED
    assert to(Role.VIEWER, session)[-1] == m.Ended("server", int(CloseReason.PEER_LOST))


def test_signalling_from_an_agent_is_refused() -> None:
    session = session_with_viewer()
    session.agent_joined(Person("pc"))
    session.receive_from_agent(m.Consent("allow_view"))
    with pytest.raises(NotAllowed, match="'rtc_offer' is not expected in state viewing"):
        session.receive_from_agent(OFFER)
    with pytest.raises(NotAllowed, match="'rtc_answer' is not expected in state viewing"):
        session.receive_from_viewer(ANSWER)


def test_the_signalling_messages_parse_and_refuse_a_side_that_may_not_send_them() -> None:
    text = m.serialize(CANDIDATE)
    assert m.parse(text, m.AGENT_SENDS) == CANDIDATE
    assert m.parse(text, m.VIEWER_SENDS) == CANDIDATE
    with pytest.raises(NotAllowed, match="message 'rtc_offer' may not be sent by this side"):
        m.parse(m.serialize(OFFER), m.VIEWER_SENDS)
    with pytest.raises(NotAllowed, match="message 'rtc_config' may not be sent by this side"):
        m.parse(m.serialize(config(Role.AGENT)), m.AGENT_SENDS)
    hello = m.parse('{"type":"hello","protocol":1,"role":"agent","kind":"browser","code":"1"}',
                    m.AGENT_SENDS)
    assert isinstance(hello, m.Hello) and hello.kind is AgentKind.BROWSER


def test_files_go_both_ways_through_the_page_as_with_the_agent() -> None:
    session = sharing()
    session.files.make_token = lambda: "t0ken"
    # The technician offers a file: the page is asked, as the agent would be.
    session.receive_from_viewer(m.FileOffer("a" * 32, "notes.txt", 5))
    offer = to(Role.AGENT, session)
    assert [(type(x), x.name, x.size) for x in offer] == [(m.FileOffer, "notes.txt", 5)]
    session.receive_from_agent(m.FileAnswer("a" * 32, True))
    session.files.uploaded("a" * 32, "f" * 64)
    assert m.FileTicket("a" * 32, "t0ken", "f" * 64) in to(Role.AGENT, session)
    session.receive_from_agent(m.FileResult("a" * 32, True, sha256="f" * 64))
    assert session.files.transfers["a" * 32].state.value == "delivered"
    session.data_to_send()
    # The person sends one from the page: the technician is offered it.
    session.receive_from_agent(m.FileOffer("b" * 32, "photo.png", 9, "e" * 64))
    assert [type(x) for x in to(Role.VIEWER, session)] == [m.FileOffer, m.FileStatus]
    actions = [r.action for r in session.audit_records()]
    assert actions == ["file_offered", "file_accepted", "file_uploaded", "file_delivered",
                       "file_offered"]


def test_the_technician_may_cancel_a_file_offered_to_the_page() -> None:
    session = sharing()
    session.receive_from_viewer(m.FileOffer("c" * 32, "notes.txt", 5))
    session.data_to_send()
    session.receive_from_viewer(m.FileCancel("c" * 32))
    assert to(Role.AGENT, session) == [m.FileStatus("c" * 32, m.TransferState.CANCELLED,
                                                    "technician")]
