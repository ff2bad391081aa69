"""The recording in the session's state machine: the welcome announces it, the person decides."""

from __future__ import annotations

from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import By, RecordingPolicy
from coupdemain.protocol.session import Person, Role, State, SupportSession

PERSON = Person("pc", "Linux", "marie")


def joined(policy: RecordingPolicy) -> SupportSession:
    session = SupportSession("s1", "Alice Martin", "Entraide", code_expires_at=1000.0,
                             technician_id=7)
    session.viewer_joined()
    session.recording_policy, session.recording_days = policy, 30
    session.agent_joined(PERSON)
    return session


def test_the_welcome_carries_the_policy_and_how_long_it_keeps() -> None:
    session = joined(RecordingPolicy.ASK)
    welcome = next(o.message for o in session.data_to_send()
                   if isinstance(o.message, m.Welcome))
    assert (welcome.recording, welcome.recording_days) == (RecordingPolicy.ASK, 30)


def test_the_person_saying_no_means_no_recording_and_it_is_audited() -> None:
    session = joined(RecordingPolicy.ASK)
    session.audit_records()
    session.receive_from_agent(m.Consent("allow_view", record=False))
    assert session.state is State.VIEWING
    assert not session.wants_recording
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        (By.PERSON, "consent_given", {"scope": "view"}),
        (By.PERSON, "recording_declined", {"policy": "ask"}),
    ]


def test_always_still_needs_the_agent_to_say_the_person_was_told() -> None:
    session = joined(RecordingPolicy.ALWAYS)
    session.receive_from_agent(m.Consent("allow_view"))   # a hand-written consent, no record
    assert not session.wants_recording


def test_never_records_whatever_the_agent_says() -> None:
    session = joined(RecordingPolicy.NEVER)
    session.audit_records()
    session.receive_from_agent(m.Consent("allow_view", record=True))
    assert not session.wants_recording
    assert [r.action for r in session.audit_records()] == ["consent_given"]


def test_a_recording_started_is_on_the_state_both_sides_get_and_a_stop_says_why() -> None:
    session = joined(RecordingPolicy.ASK)
    session.receive_from_agent(m.Consent("allow_view", record=True))
    assert session.wants_recording
    session.data_to_send()
    session.audit_records()
    session.recording_started()
    sent = session.data_to_send()
    assert {o.to for o in sent if isinstance(o.message, m.State) and o.message.recording} == {
        Role.AGENT, Role.VIEWER}
    session.recording_stopped("disk_full")
    assert not session.wants_recording   # not started again
    assert session.state is State.VIEWING
    assert [(r.action, r.detail) for r in session.audit_records()] == [
        ("recording_started", {}), ("recording_stopped", {"reason": "disk_full"})]
    last = [o.message for o in session.data_to_send() if isinstance(o.message, m.State)]
    assert last and not any(message.recording for message in last)
