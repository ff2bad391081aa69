from __future__ import annotations

import pytest

from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import (
    CloseReason,
    InvalidTransition,
    MalformedMessage,
    NotAllowed,
)
from coupdemain.protocol.session import (
    TRANSITIONS,
    Outgoing,
    Person,
    Role,
    State,
    SupportSession,
    Technician,
)
from coupdemain.protocol.transfer import FileLimits

ALICE = Technician(7, "Alice Martin", "Entraide")
BOB = Technician(9, "Bob Durand", "Entraide")


def new_session() -> SupportSession:
    session = SupportSession("s1", "Alice Martin", "Entraide", code_expires_at=1000.0,
                             technician_id=ALICE.id)
    session.viewer_joined()
    session.data_to_send()
    return session


def to(role: Role, session: SupportSession) -> list[m.Message]:
    return [o.message for o in session.data_to_send() if o.to is role]


def viewing() -> SupportSession:
    session = new_session()
    session.agent_joined(Person("pc", "Linux", "marie"))
    session.receive_from_agent(m.Consent("allow_view"))
    session.data_to_send()
    session.audit_records()
    return session


def test_every_state_can_end_but_ended() -> None:
    for state, targets in TRANSITIONS.items():
        assert (State.ENDED in targets) == (state is not State.ENDED)


def test_the_welcome_says_whether_the_person_may_send_files() -> None:
    session = new_session()
    session.files.limits = FileLimits.from_settings(1 << 30, "to_person")
    session.agent_joined(Person("pc", "Linux", "marie"))
    welcome = next(o.message for o in session.data_to_send() if o.to is Role.AGENT)
    assert welcome == m.Welcome("s1", "Alice Martin", "Entraide", files_to_technician=False,
                                technician_id=7)


def test_agent_joining_shows_who_asks() -> None:
    session = new_session()
    session.agent_joined(Person("pc", "Linux", "marie"))
    out = session.data_to_send()
    assert Outgoing(Role.AGENT, m.Welcome("s1", "Alice Martin", "Entraide", technician_id=7)) in out
    assert session.state is State.WAITING_FOR_CONSENT
    assert [r.action for r in session.audit_records()] == ["code_used"]


def test_decline_ends_and_tells_the_technician() -> None:
    session = new_session()
    session.agent_joined(Person("pc"))
    session.data_to_send()
    session.receive_from_agent(m.Consent("decline"))
    assert session.state is State.ENDED
    assert m.Ended("person", int(CloseReason.DECLINED)) in to(Role.VIEWER, session)
    assert [r.action for r in session.audit_records()] == [
        "code_used", "consent_declined", "session_ended"
    ]


def test_a_reported_problem_ends_at_once_and_is_recorded() -> None:
    session = new_session()
    session.agent_joined(Person("pc"))
    session.viewer_joined()
    session.data_to_send()
    session.receive_from_agent(m.Report())
    assert session.state is State.ENDED
    assert (session.ended_by, session.end_reason) == ("person", CloseReason.REPORTED_BY_PERSON)
    ended = m.Ended("person", int(CloseReason.REPORTED_BY_PERSON))
    sent = session.data_to_send()
    assert [o.message for o in sent if o.to is Role.VIEWER] == [ended]
    assert [o.message for o in sent if o.to is Role.AGENT] == [ended]
    records = session.audit_records()
    assert [(r.actor, r.action) for r in records][-2:] == [
        ("person", "problem_reported"), ("person", "session_ended")]
    assert records[-1].detail == {"reason": "reported_by_person"}


def test_input_reaches_the_agent_only_under_control() -> None:
    session = viewing()
    key = m.Key("KeyA", "a", True)
    session.receive_from_viewer(key)
    assert to(Role.AGENT, session) == []
    session.receive_from_viewer(m.RequestControl())
    assert m.ControlRequest(7, "Alice Martin", "Entraide") in to(Role.AGENT, session)
    session.receive_from_viewer(key)
    assert to(Role.AGENT, session) == []
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    session.receive_from_viewer(key)
    assert to(Role.AGENT, session) == [key]
    session.receive_from_agent(m.Pause(True))
    session.data_to_send()
    session.receive_from_viewer(key)
    assert to(Role.AGENT, session) == []


def test_person_takes_control_back() -> None:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    session.receive_from_agent(m.ControlRevoke())
    assert session.state is State.VIEWING
    assert [msg.state for msg in to(Role.VIEWER, session) if isinstance(msg, m.State)] == [
        "viewing"
    ]
    assert session.audit_records()[-1].action == "control_revoked"


def test_keep_view_only() -> None:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.receive_from_agent(m.ControlDecision("keep_view_only"))
    assert session.state is State.VIEWING
    assert [r.action for r in session.audit_records()] == ["control_requested", "control_refused"]


def test_technician_ends() -> None:
    session = viewing()
    session.receive_from_viewer(m.End())
    out = session.data_to_send()
    ended = m.Ended("technician", int(CloseReason.ENDED_BY_TECHNICIAN))
    assert Outgoing(Role.AGENT, ended) in out and Outgoing(Role.VIEWER, ended) in out


def controlling() -> SupportSession:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    session.audit_records()
    return session


def test_an_agent_that_closes_its_connection_ends_the_session_at_once() -> None:
    session = viewing()
    session.agent_lost(may_return=False)
    assert to(Role.VIEWER, session) == [m.Ended("server", int(CloseReason.PEER_LOST))]


def test_a_dropped_agent_leaves_the_session_waiting_without_control() -> None:
    session = controlling()
    session.agent_lost()
    assert session.state is State.VIEWING and not session.agent_connected
    assert to(Role.VIEWER, session) == [
        m.Peer("agent", False), m.State("viewing", person_hostname="pc", person_user="marie"),
    ]
    assert [(r.action, r.detail) for r in session.audit_records()] == [
        ("agent_lost", {}), ("control_released", {"why": "agent_lost"}),
    ]
    # Nobody to ask for control meanwhile; the request is dropped, not refused.
    session.receive_from_viewer(m.RequestControl())
    assert session.state is State.VIEWING and to(Role.AGENT, session) == []
    # The technician's keys go nowhere.
    session.receive_from_viewer(m.Key("KeyA", "a", True))
    assert to(Role.AGENT, session) == []


def test_a_dropped_agent_that_resumes_goes_on_in_viewing() -> None:
    session = controlling()
    session.agent_lost()
    session.data_to_send()
    session.audit_records()
    session.agent_resumed()
    out = session.data_to_send()
    assert [o.message for o in out if o.to is Role.AGENT] == [
        m.Welcome("s1", "Alice Martin", "Entraide", technician_id=7),
        m.State("viewing", person_hostname="pc", person_user="marie"),
        m.Peer("viewer", True),
        m.KeyframeRequest(),
    ]
    assert m.Peer("agent", True) in [o.message for o in out if o.to is Role.VIEWER]
    assert [r.action for r in session.audit_records()] == ["agent_reconnected"]
    # Control is asked for again, and the person answers again.
    session.receive_from_viewer(m.RequestControl())
    assert m.ControlRequest(7, "Alice Martin", "Entraide") in to(Role.AGENT, session)


def test_a_dropped_agent_that_does_not_come_back_ends_with_peer_lost() -> None:
    session = viewing()
    session.agent_lost()
    session.data_to_send()
    session.server_end(CloseReason.PEER_LOST)
    assert to(Role.VIEWER, session) == [m.Ended("server", int(CloseReason.PEER_LOST))]
    assert session.audit_records()[-1].detail == {"reason": "peer_lost"}


def test_an_agent_dropped_before_consent_is_asked_again() -> None:
    session = new_session()
    session.agent_joined(Person("pc"), resume="s3cret")
    assert m.Welcome("s1", "Alice Martin", "Entraide", technician_id=7,
                     resume="s3cret") in to(Role.AGENT, session)
    session.agent_lost()
    session.data_to_send()
    session.agent_resumed()
    assert session.state is State.WAITING_FOR_CONSENT
    assert to(Role.AGENT, session)[:2] == [
        m.Welcome("s1", "Alice Martin", "Entraide", technician_id=7),
        m.State("waiting_for_consent", person_hostname="pc"),
    ]


def test_a_second_connection_before_the_drop_is_seen_withdraws_control() -> None:
    session = controlling()
    session.agent_resumed()
    assert session.state is State.VIEWING
    assert [r.action for r in session.audit_records()] == ["control_released",
                                                           "agent_reconnected"]


def test_a_session_recovered_after_a_restart_waits_for_both_sides() -> None:
    line = m.ChatMessage(1, 5.0, "person", "marie", "hello")
    session = SupportSession.recovered(
        "s1", "Alice Martin", "Entraide", state=State.CONTROLLING, paused=True,
        person=Person("pc", "Linux", "marie"), chat=[line],
    )
    assert (session.state, session.paused) == (State.VIEWING, True)
    assert not session.agent_connected and not session.viewer_connected
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        ("server", "server_restarted", {"state": "controlling"}),
        ("server", "control_released", {"why": "server_restarted"}),
    ]
    session.viewer_joined()
    viewer = to(Role.VIEWER, session)
    assert viewer[0] == m.State("viewing", paused=True, person_hostname="pc",
                                person_user="marie")
    assert line in viewer and viewer[-1] == m.Peer("agent", False)
    session.agent_resumed()
    session.receive_from_agent(m.Chat("again"))
    assert [msg.id for msg in to(Role.VIEWER, session) if isinstance(msg, m.ChatMessage)] == [2]


def test_a_session_recovered_before_consent_waits_for_consent() -> None:
    session = SupportSession.recovered(
        "s1", "Alice Martin", "Entraide", state=State.WAITING_FOR_CONSENT, paused=False,
        person=Person("pc"), chat=[],
    )
    assert session.state is State.WAITING_FOR_CONSENT
    session.agent_resumed()
    session.receive_from_agent(m.Consent("allow_view"))
    assert session.state is State.VIEWING


def test_nothing_resumes_an_ended_session() -> None:
    session = viewing()
    session.server_end(CloseReason.PEER_LOST)
    with pytest.raises(InvalidTransition):
        session.agent_resumed()


def test_viewer_lost_drops_control_and_tells_the_person() -> None:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    session.viewer_lost()
    assert session.state is State.VIEWING
    agent_messages = to(Role.AGENT, session)
    assert m.Peer("viewer", False) in agent_messages


def test_code_expiry() -> None:
    session = new_session()
    session.expire(999.0)
    assert session.state is State.WAITING_FOR_PERSON
    session.expire(1000.0)
    assert to(Role.VIEWER, session) == [m.Ended("server", int(CloseReason.CODE_EXPIRED))]


def test_out_of_turn_messages_are_refused() -> None:
    session = new_session()
    with pytest.raises(NotAllowed):
        session.receive_from_agent(m.ControlDecision("allow_control"))
    with pytest.raises(NotAllowed):
        session.receive_from_viewer(m.RequestControl())


def test_frames_flow_only_while_sharing() -> None:
    session = new_session()
    assert not session.frames_flow
    session.agent_joined(Person("pc"))
    assert not session.frames_flow
    session.receive_from_agent(m.Consent("allow_view"))
    assert session.frames_flow
    session.receive_from_agent(m.Pause(True))
    assert not session.frames_flow


def test_a_viewer_that_rejoins_learns_the_screen_size_and_asks_for_a_keyframe() -> None:
    session = viewing()
    session.receive_from_agent(m.Screen(1280, 800))
    session.viewer_lost()
    session.data_to_send()
    session.viewer_joined()
    out = session.data_to_send()
    assert Outgoing(Role.VIEWER, m.Screen(1280, 800)) in out
    assert Outgoing(Role.AGENT, m.KeyframeRequest()) in out
    assert Outgoing(Role.AGENT, m.Peer("viewer", True)) in out


def test_chat_reaches_both_sides_and_the_record() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", 1000.0, clock=lambda: 42.0)
    session.viewer_joined()
    session.agent_joined(Person("pc", "Linux", "marie"))
    session.receive_from_agent(m.Consent("allow_view"))
    session.data_to_send()
    session.audit_records()
    session.receive_from_viewer(m.Chat("  Bonjour, je regarde.  "))
    session.receive_from_agent(m.Chat("Merci"))
    first = m.ChatMessage(1, 42.0, "technician", "Alice Martin", "Bonjour, je regarde.")
    second = m.ChatMessage(2, 42.0, "person", "marie", "Merci")
    out = session.data_to_send()
    assert [o.message for o in out if o.to is Role.AGENT] == [first, second]
    assert [o.message for o in out if o.to is Role.VIEWER] == [first, second]
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        ("technician", "chat_message", {"id": 1, "text": "Bonjour, je regarde."}),
        ("person", "chat_message", {"id": 2, "text": "Merci"}),
    ]


def test_a_viewer_that_rejoins_gets_the_transcript() -> None:
    session = viewing()
    session.receive_from_viewer(m.Chat("one"))
    session.viewer_lost()
    session.data_to_send()
    session.viewer_joined()
    lines = [o.message for o in session.data_to_send()
             if o.to is Role.VIEWER and isinstance(o.message, m.ChatMessage)]
    assert [line.text for line in lines] == ["one"]


def test_chat_waits_for_consent_and_refuses_floods() -> None:
    session = new_session()
    session.agent_joined(Person("pc"))
    with pytest.raises(NotAllowed):
        session.receive_from_viewer(m.Chat("too early"))
    session.receive_from_agent(m.Consent("allow_view"))
    with pytest.raises(NotAllowed) as caught:
        session.receive_from_viewer(m.Chat("x" * (m.MAX_CHAT_CHARACTERS + 1)))
    assert str(caught.value) == "a chat message has at most 2000 characters, not 2001"


def test_clipboard_crosses_only_under_control_and_is_recorded_without_its_text() -> None:
    session = viewing()
    session.receive_from_viewer(m.Clipboard("secret"))
    assert to(Role.AGENT, session) == []
    session.receive_from_viewer(m.RequestControl())
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    session.audit_records()
    session.receive_from_viewer(m.Clipboard("to the person"))
    session.receive_from_agent(m.Clipboard("to the technician"))
    out = session.data_to_send()
    assert Outgoing(Role.AGENT, m.Clipboard("to the person")) in out
    assert Outgoing(Role.VIEWER, m.Clipboard("to the technician")) in out
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        ("technician", "clipboard_sent", {"characters": 13}),
        ("person", "clipboard_sent", {"characters": 17}),
    ]


def test_diagnostics_ask_the_agent_and_record_the_findings() -> None:
    session = viewing()
    session.receive_from_viewer(m.DiagnosticsRequest())
    assert to(Role.AGENT, session) == [m.DiagnosticsRequest()]
    finding = {"severity": "problem", "code": "proxy_unreachable",
               "params": {"proxy": "127.0.0.1:9"}}
    report = m.DiagnosticsReport({"network": {"proxies": []}}, [finding])
    session.receive_from_agent(report)
    assert to(Role.VIEWER, session) == [report]
    assert [(r.action, r.detail) for r in session.audit_records()] == [
        ("diagnostics_requested", {}), ("diagnostics_read", {"findings": [finding]}),
    ]


def test_monitor_choice_reaches_the_agent_and_the_record() -> None:
    session = viewing()
    session.receive_from_viewer(m.SelectMonitor(1))
    assert to(Role.AGENT, session) == [m.SelectMonitor(1)]
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        ("technician", "monitor_selected", {"monitor": 1}),
    ]


def test_containers_are_type_checked() -> None:
    text = '{"type": "diagnostics_report", "sections": [], "findings": []}'
    with pytest.raises(MalformedMessage) as caught:
        m.parse(text, m.AGENT_SENDS)
    assert str(caught.value) == "field 'sections' must be dict, not list"


# --- one technician watches at a time; nobody inherits control -----------------


def controlled_by_alice() -> SupportSession:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    session.audit_records()
    return session


def test_control_is_asked_and_granted_for_one_named_technician() -> None:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    out = to(Role.AGENT, session)
    assert out[0] == m.ControlRequest(7, "Alice Martin", "Entraide")
    assert isinstance(out[1], m.State) and out[1].controller_id == 7
    session.receive_from_agent(m.ControlDecision("allow_control"))
    [state] = to(Role.AGENT, session)
    assert isinstance(state, m.State) and (state.state, state.controller_id) == ("controlling", 7)
    granted = session.audit_records()[-1]
    assert (granted.actor, granted.action, granted.detail) == (
        "person", "control_granted", {"technician_id": 7, "technician": "Alice Martin"})


def test_another_technician_opening_the_session_is_announced_and_gets_no_control() -> None:
    session = controlled_by_alice()
    session.viewer_joined(BOB)
    assert session.state is State.VIEWING
    agent = to(Role.AGENT, session)
    assert agent[:2] == [m.State("viewing", person_hostname="pc", person_user="marie"),
                         m.Watching([{"id": 9, "name": "Bob Durand", "organisation": "Entraide"}])]
    assert agent[2:] == [m.Peer("viewer", True), m.KeyframeRequest()]
    assert [(r.actor, r.action, r.detail, r.technician) for r in session.audit_records()] == [
        ("server", "control_released", {"why": "technician_changed"}, None),
        ("technician", "viewer_connected", {"replaces": "Alice Martin"}, BOB),
    ]
    # Bob's keys go nowhere until the person allows *him*.
    session.receive_from_viewer(m.Key("KeyA", "a", True))
    assert to(Role.AGENT, session) == []
    session.receive_from_viewer(m.RequestControl())
    assert to(Role.AGENT, session)[0] == m.ControlRequest(9, "Bob Durand", "Entraide")
    session.receive_from_agent(m.ControlDecision("allow_control"))
    session.data_to_send()
    assert session.audit_records()[-1].detail == {"technician_id": 9, "technician": "Bob Durand"}
    session.receive_from_viewer(m.Key("KeyA", "a", True))
    assert to(Role.AGENT, session) == [m.Key("KeyA", "a", True)]


def test_a_pending_control_request_is_withdrawn_when_another_technician_takes_over() -> None:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.data_to_send()
    session.viewer_joined(BOB)
    assert session.state is State.VIEWING
    with pytest.raises(NotAllowed):
        session.receive_from_agent(m.ControlDecision("allow_control"))  # Alice's question, gone


def test_the_same_technician_coming_back_is_not_announced() -> None:
    session = viewing()
    session.receive_from_viewer(m.RequestControl())
    session.viewer_lost()
    session.data_to_send()
    session.audit_records()
    session.viewer_joined(ALICE)
    assert session.state is State.CONTROL_REQUESTED
    assert not any(isinstance(msg, m.Watching) for msg in to(Role.AGENT, session))
    assert [(r.action, r.detail, r.technician) for r in session.audit_records()] == [
        ("viewer_connected", {}, ALICE)]


def test_everything_a_viewer_does_is_recorded_under_who_watches() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", 1000.0, technician_id=7,
                             clock=lambda: 42.0)
    session.viewer_joined(ALICE)
    session.agent_joined(Person("pc", "Linux", "marie"))
    session.receive_from_agent(m.Consent("allow_view"))
    session.receive_from_viewer(m.Chat("Je regarde."))
    session.viewer_joined(BOB)
    session.data_to_send()
    session.audit_records()
    session.receive_from_viewer(m.Chat("Je prends le relais."))
    session.receive_from_viewer(m.SelectMonitor(0))
    session.receive_from_viewer(m.DiagnosticsRequest())
    session.receive_from_viewer(m.FileOffer("a" * 32, "notes.txt", 5))
    agent = to(Role.AGENT, session)
    assert agent[0] == m.ChatMessage(2, 42.0, "technician", "Bob Durand", "Je prends le relais.")
    offers = [msg for msg in agent if isinstance(msg, m.FileOffer)]
    assert [offer.sender for offer in offers] == ["Bob Durand"]
    records = session.audit_records()
    assert {r.action for r in records} >= {"chat_message", "monitor_selected",
                                           "diagnostics_requested", "file_offered"}
    assert all(r.technician == BOB for r in records)
    # The transcript keeps who wrote what.
    assert [(line.name, line.text) for line in session.chat] == [
        ("Alice Martin", "Je regarde."), ("Bob Durand", "Je prends le relais.")]


def test_the_person_is_asked_about_whoever_watches_when_they_come() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", 1000.0, technician_id=7)
    session.viewer_joined(BOB)
    session.agent_joined(Person("pc"))
    assert to(Role.AGENT, session)[0] == m.Welcome("s1", "Bob Durand", "Entraide",
                                                   technician_id=9)
    # Alice opens it while the person reads the question: the agent is told.
    session.viewer_joined(ALICE)
    assert m.Watching([ALICE.as_wire()]) in to(Role.AGENT, session)
