"""Announced actions and steps: the technician says what they will do, the person answers."""

from __future__ import annotations

import pytest

from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import ActionKind, ActionReply, AgentKind
from coupdemain.protocol.errors import NotAllowed
from coupdemain.protocol.session import Person, Role, State, SupportSession


def sharing(kind: AgentKind = AgentKind.APP) -> SupportSession:
    session = SupportSession("s1", "Alice Martin", "Entraide", 1000.0, clock=lambda: 42.0)
    session.viewer_joined()
    session.agent_joined(Person("pc", "Linux", "marie"), kind=kind)
    session.receive_from_agent(m.Consent("allow_view"))
    session.data_to_send()
    session.audit_records()
    return session


def test_a_restart_asks_the_person_and_their_answer_reaches_the_technician() -> None:
    session = sharing()
    session.receive_from_viewer(m.Announce(ActionKind.RESTART, "  I will restart   the computer "))
    asked = m.Announcement(1, 42.0, ActionKind.RESTART, "I will restart the computer",
                           "Alice Martin", True)
    assert [(o.to, o.message) for o in session.data_to_send()] == [
        (Role.AGENT, asked), (Role.VIEWER, asked)]
    session.receive_from_agent(m.ActionAnswer(1, ActionReply.NOT_NOW))
    session.receive_from_agent(m.ActionAnswer(1, ActionReply.OK))  # a second click: dropped
    assert [(o.to, o.message) for o in session.data_to_send()] == [
        (Role.VIEWER, m.ActionAnswer(1, ActionReply.NOT_NOW))]
    records = session.audit_records()
    assert [(r.actor, r.action, r.detail) for r in records] == [
        ("technician", "action_announced",
         {"id": 1, "kind": "restart", "text": "I will restart the computer", "asks": True}),
        ("person", "action_answered", {"id": 1, "kind": "restart", "answer": "not_now"}),
    ]
    assert records[0].technician is not None and records[0].technician.name == "Alice Martin"


def test_other_kinds_and_steps_are_shown_without_a_question() -> None:
    session = sharing()
    session.receive_from_viewer(m.Announce(ActionKind.OTHER, "I will open the settings"))
    session.receive_from_viewer(m.Step("I am checking your network settings"))
    session.receive_from_agent(m.ActionAnswer(1, ActionReply.OK))  # nothing was asked: dropped
    shown = m.Announcement(1, 42.0, ActionKind.OTHER, "I will open the settings",
                           "Alice Martin", False)
    step = m.StepMessage(2, 42.0, "Alice Martin", "I am checking your network settings")
    out = session.data_to_send()
    assert [o.message for o in out if o.to is Role.AGENT] == [shown, step]
    assert [o.message for o in out if o.to is Role.VIEWER] == [shown, step]
    assert [(r.action, r.detail) for r in session.audit_records()] == [
        ("action_announced",
         {"id": 1, "kind": "other", "text": "I will open the settings", "asks": False}),
        ("step_written", {"id": 2, "text": "I am checking your network settings"}),
    ]


def test_a_viewer_that_rejoins_gets_the_timeline_with_the_answers() -> None:
    session = sharing()
    session.receive_from_viewer(m.Announce(ActionKind.ADMINISTRATOR, "I need admin rights"))
    session.receive_from_agent(m.ActionAnswer(1, ActionReply.OK))
    session.receive_from_viewer(m.Step("Installing the printer"))
    session.viewer_lost()
    session.data_to_send()
    session.viewer_joined()
    replayed = [o.message for o in session.data_to_send()
                if isinstance(o.message, (m.Announcement, m.StepMessage, m.ActionAnswer))]
    assert replayed == [
        m.Announcement(1, 42.0, ActionKind.ADMINISTRATOR, "I need admin rights",
                       "Alice Martin", True),
        m.ActionAnswer(1, ActionReply.OK),
        m.StepMessage(2, 42.0, "Alice Martin", "Installing the printer"),
    ]


def test_announcements_wait_for_consent_and_stay_short() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", 1000.0)
    session.agent_joined(Person("pc"))
    with pytest.raises(NotAllowed):
        session.receive_from_viewer(m.Step("too early"))
    session.receive_from_agent(m.Consent("allow_view"))
    with pytest.raises(NotAllowed) as caught:
        session.receive_from_viewer(m.Step("x" * (m.MAX_STEP_CHARACTERS + 1)))
    assert str(caught.value) == "a step has at most 300 characters, not 301"
    with pytest.raises(NotAllowed) as caught:
        session.receive_from_viewer(m.Announce(ActionKind.OTHER, "x" * 301))
    assert str(caught.value) == "an announcement has at most 300 characters, not 301"
    session.data_to_send()
    session.receive_from_viewer(m.Step("   "))
    assert session.data_to_send() == []


def test_an_unknown_kind_is_refused_with_a_sentence() -> None:
    with pytest.raises(m.MalformedMessage) as caught:
        m.parse('{"type":"announce","kind":"format_disk","text":"x"}', m.VIEWER_SENDS)
    assert str(caught.value) == (
        "field 'kind' may not be 'format_disk', only 'restart', 'close_application', "
        "'install_or_remove', 'administrator', 'other'")


def test_after_a_server_restart_the_timeline_goes_on_with_its_numbers() -> None:
    session = SupportSession.recovered("s1", "Alice Martin", "Entraide", state=State.VIEWING,
                                       paused=False, person=Person("pc"), chat=[],
                                       timeline_ids=4, clock=lambda: 42.0)
    session.agent_resumed()
    session.viewer_joined()
    session.data_to_send()
    session.receive_from_viewer(m.Step("after"))
    assert to(Role.VIEWER, session) == [m.StepMessage(5, 42.0, "Alice Martin", "after")]


def to(role: Role, session: SupportSession) -> list[m.Message]:
    return [o.message for o in session.data_to_send() if o.to is role]


def test_a_browser_share_shows_every_kind_and_asks_nothing() -> None:
    session = sharing(AgentKind.BROWSER)
    session.receive_from_viewer(m.Announce(ActionKind.RESTART, "Please restart"))
    shown = m.Announcement(1, 42.0, ActionKind.RESTART, "Please restart", "Alice Martin", False)
    assert to(Role.AGENT, session) == [shown]


def test_a_question_still_unanswered_is_asked_again_when_the_agent_resumes() -> None:
    session = sharing()
    session.receive_from_viewer(m.Announce(ActionKind.RESTART, "Restart"))
    session.receive_from_viewer(m.Announce(ActionKind.ADMINISTRATOR, "Admin"))
    session.receive_from_agent(m.ActionAnswer(1, ActionReply.OK))
    session.agent_lost()
    session.data_to_send()
    session.agent_resumed()
    again = [o.message for o in session.data_to_send()
             if o.to is Role.AGENT and isinstance(o.message, m.Announcement)]
    assert again == [m.Announcement(2, 42.0, ActionKind.ADMINISTRATOR, "Admin", "Alice Martin",
                                    True)]
