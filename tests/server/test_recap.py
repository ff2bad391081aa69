"""The report's timeline, pre-filled from a session's audit events (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from coupdemain.server.recap import awaits_report, clean_follow_ups, prefill

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SHA = "ab" * 32


@dataclass
class Event:
    action: str
    actor: str = "person"
    detail: dict[str, Any] = field(default_factory=dict)
    actor_name: str = ""
    minute: int = 0

    @property
    def at(self) -> datetime:
        return START + timedelta(minutes=self.minute)


def at(minute: int) -> str:
    return (START + timedelta(minutes=minute)).isoformat()


EVENTS = [
    Event("code_issued", "technician", {"code": "••• ••• 123"}),
    Event("consent_given", minute=1, detail={"scope": "view"}),
    Event("chat_message", "technician", {"id": 1, "text": "Bonjour"}, "Alice Martin", 2),
    Event("step_written", "technician", {"id": 1, "text": "I check the network"}, minute=3),
    Event("action_announced", "technician",
          {"id": 2, "kind": "restart", "text": "Restart now", "asks": True}, minute=4),
    Event("action_announced", "technician",
          {"id": 3, "kind": "other", "text": "Cleaning up", "asks": False}, minute=4),
    Event("action_answered", detail={"id": 2, "kind": "restart", "answer": "not_now"}, minute=5),
    Event("control_granted", detail={"technician": "Alice Martin"}, minute=6),
    Event("file_offered", "technician",
          {"id": "f1", "name": "driver.deb", "size": 2048, "direction": "to_person"}, minute=7),
    Event("file_accepted", detail={"id": "f1", "name": "driver.deb"}, minute=7),
    Event("file_uploaded", "technician", {"id": "f1", "size": 2048, "sha256": SHA}, minute=7),
    Event("file_delivered", detail={"id": "f1", "name": "driver.deb", "sha256": SHA}, minute=8),
    Event("file_offered", detail={"id": "f2", "name": "photo.jpg", "size": 10,
                                  "direction": "to_technician", "sha256": "cd" * 32}, minute=8),
    Event("file_cancelled", "technician", {"id": "f2", "name": "photo.jpg"}, minute=8),
    Event("control_revoked", minute=9),
    Event("diagnostics_read", detail={"findings": [{"code": "disk_full", "severity": "warning",
                                                    "params": {}}]}, minute=10),
    Event("control_granted", minute=11),
    Event("chat_message", "person", {"id": 2, "text": "Merci"}, "marie@pc", 12),
    Event("session_ended", "technician", {"reason": "ended_by_technician"}, minute=13),
    Event("report_saved", "technician", {"outcome": "solved"}, minute=14),
]


def test_the_timeline_is_read_from_the_audit_events() -> None:
    timeline = prefill(EVENTS)
    assert (timeline["started_at"], timeline["ended_at"]) == (at(1), at(13))
    assert (timeline["end_reason"], timeline["ended_by"]) == ("ended_by_technician", "technician")
    assert [c["what"] for c in timeline["consents"]] == [
        "consent_given", "control_granted", "control_revoked", "diagnostics_read",
        "control_granted"]
    # A period of control ends when the person takes it back, or with the session.
    assert timeline["control"] == [
        {"start": at(6), "end": at(9), "technician": "Alice Martin"},
        {"start": at(11), "end": at(13), "technician": ""}]
    assert timeline["actions"] == [
        {"at": at(4), "kind": "restart", "text": "Restart now", "asks": True,
         "answer": "not_now"},
        {"at": at(4), "kind": "other", "text": "Cleaning up", "asks": False, "answer": ""}]
    assert timeline["steps"] == [{"at": at(3), "text": "I check the network"}]
    assert timeline["files"] == [
        {"name": "driver.deb", "size": 2048, "direction": "to_person", "sha256": SHA,
         "state": "delivered"},
        {"name": "photo.jpg", "size": 10, "direction": "to_technician", "sha256": "cd" * 32,
         "state": "cancelled"}]
    assert timeline["findings"] == [{"code": "disk_full", "severity": "warning", "params": {}}]
    assert timeline["chat"] == [
        {"at": at(2), "author": "technician", "name": "Alice Martin", "text": "Bonjour"},
        {"at": at(12), "author": "person", "name": "marie@pc", "text": "Merci"}]


def test_a_session_without_events_has_an_empty_timeline() -> None:
    timeline = prefill([])
    assert timeline["started_at"] == "" and timeline["files"] == [] and timeline["chat"] == []


def test_only_a_shared_screen_awaits_a_report() -> None:
    assert awaits_report(EVENTS)
    assert not awaits_report([Event("code_used"), Event("consent_declined")])
    assert not awaits_report([Event("consent_given"), Event("problem_reported")])


def test_follow_ups_keep_their_box_and_drop_empty_lines() -> None:
    kept = clean_follow_ups(["Buy ink", "  ", "New  printer "], {2})
    assert [(f.text, f.new_mandate) for f in kept] == [("Buy ink", False), ("New printer", True)]
