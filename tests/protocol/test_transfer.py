"""File transfer's sans-I/O core: names, limits, and each transfer's way through its states."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from coupdemain.protocol import messages as m
from coupdemain.protocol import transfer as tr
from coupdemain.protocol.session import Person, State, SupportSession
from coupdemain.protocol.transfer import UnsafeFileName, check_file_name

ID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
SHA = hashlib.sha256(b"hello").hexdigest()


@pytest.mark.parametrize("name", ["report.pdf", "Été 2026.ods", "a..b", ".bashrc", "x" * 255,
                                  "con.txt.bak"[4:], "CONSOLE.txt", "notes (1).txt"])
def test_ordinary_names_pass(name: str) -> None:
    assert check_file_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", tr.REASON_NAME_EMPTY), ("   ", tr.REASON_NAME_EMPTY),
        ("../evil.sh", tr.REASON_NAME_PATH), ("../../.bashrc", tr.REASON_NAME_PATH),
        ("/etc/passwd", tr.REASON_NAME_PATH), ("a/b.txt", tr.REASON_NAME_PATH),
        ("..\\win.ini", tr.REASON_NAME_PATH), ("C:\\Windows\\x", tr.REASON_NAME_PATH),
        ("C:evil", tr.REASON_NAME_PATH), ("\\\\server\\share", tr.REASON_NAME_PATH),
        (".", tr.REASON_NAME_RESERVED), ("..", tr.REASON_NAME_RESERVED),
        ("CON", tr.REASON_NAME_RESERVED), ("nul.txt", tr.REASON_NAME_RESERVED),
        ("Com1.log", tr.REASON_NAME_RESERVED), ("lpt9", tr.REASON_NAME_RESERVED),
        ("trailing.", tr.REASON_NAME_RESERVED), ("trailing ", tr.REASON_NAME_RESERVED),
        ("bell\x07.txt", tr.REASON_NAME_CHARACTERS), ("new\nline", tr.REASON_NAME_CHARACTERS),
        ("what?.txt", tr.REASON_NAME_CHARACTERS), ("note:1", tr.REASON_NAME_CHARACTERS),
        ("é" * 128, tr.REASON_NAME_LONG),
    ],
)
def test_unsafe_names_are_refused_with_their_reason(name: str, reason: str) -> None:
    with pytest.raises(UnsafeFileName) as refused:
        check_file_name(name)
    assert refused.value.reason == reason


def test_names_are_normalised_to_nfc() -> None:
    assert check_file_name("e\u0301te.txt") == "\u00e9te.txt"


def test_direction_settings() -> None:
    assert tr.FileLimits.from_settings(10, "none").directions == frozenset()
    assert tr.FileLimits.from_settings(10, "to_person").directions == {tr.TO_PERSON}
    with pytest.raises(ValueError, match="both"):
        tr.FileLimits.from_settings(10, "sideways")


class Recorder:
    def __init__(self, limits: tr.FileLimits | None = None) -> None:
        self.sent: list[tuple[str, m.Message]] = []
        self.records: list[tuple[str, str, dict[str, Any]]] = []
        self.files = tr.FileTransfers(
            lambda to, message: self.sent.append((to, message)),
            lambda actor, action, **detail: self.records.append((actor, action, detail)),
            limits or tr.FileLimits(max_bytes=1000), make_token=lambda: "token",
        )

    def take(self) -> list[tuple[str, m.Message]]:
        out, self.sent = self.sent, []
        return out

    def statuses(self, to: str) -> list[tuple[str, str]]:
        return [(s.state, s.reason) for who, s in self.sent
                if who == to and isinstance(s, m.FileStatus)]


def test_a_file_to_the_person_goes_once_accepted_and_uploaded() -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "notes.txt", 5), "Alice")
    sent = r.take()
    assert ("agent", m.FileOffer(ID, "notes.txt", 5, "", tr.TO_PERSON, "Alice")) in sent
    r.files.answer(m.FileAnswer(ID, True))
    assert not any(isinstance(msg, m.FileTicket) for _, msg in r.take())  # bytes not there yet
    r.files.uploaded(ID, SHA)
    assert ("agent", m.FileTicket(ID, "token", SHA)) in r.take()
    r.files.progress(m.FileProgress(ID, 3))
    assert r.take() == [("viewer", m.FileProgress(ID, 3))]
    r.files.result(m.FileResult(ID, True, "", SHA))
    assert r.statuses("viewer") == [("delivered", "")]
    assert r.files.take_discarded() == [ID]
    actions = [action for _, action, _ in r.records]
    assert actions == ["file_offered", "file_accepted", "file_uploaded", "file_delivered"]


def test_uploaded_before_the_answer_goes_at_the_answer() -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "a.txt", 5), "Alice")
    r.files.uploaded(ID, SHA)
    r.take()
    r.files.answer(m.FileAnswer(ID, True))
    assert ("agent", m.FileTicket(ID, "token", SHA)) in r.take()


def test_a_refusal_tells_the_technician_and_drops_the_bytes() -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "a.txt", 5), "Alice")
    r.take()
    r.files.answer(m.FileAnswer(ID, False))
    assert r.statuses("viewer") == [("refused", tr.REASON_DECLINED)]
    assert r.files.take_discarded() == [ID]
    assert r.records[-1][:2] == ("person", "file_refused")


@pytest.mark.parametrize(
    ("offer", "limits", "reason"),
    [
        (m.FileOffer(ID, "../x", 5), None, tr.REASON_NAME_PATH),
        (m.FileOffer(ID, "big.iso", 1001), None, tr.REASON_TOO_LARGE),
        (m.FileOffer(ID, "a.txt", -1), None, tr.REASON_TOO_LARGE),
        (m.FileOffer("../../etc", "a.txt", 5), None, tr.REASON_DUPLICATE),
        (m.FileOffer(ID, "a.txt", 5), tr.FileLimits(1000, frozenset({tr.TO_TECHNICIAN})),
         tr.REASON_DIRECTION),
    ],
)
def test_offers_outside_the_limits_are_refused_by_the_server(
    offer: m.FileOffer, limits: tr.FileLimits | None, reason: str
) -> None:
    r = Recorder(limits)
    r.files.offer_from_technician(offer, "Alice")
    sent = r.take()
    assert [to for to, _ in sent] == ["viewer"]
    assert isinstance(sent[0][1], m.FileStatus)
    assert (sent[0][1].state, sent[0][1].reason) == ("refused", reason)
    assert r.files.transfers == {}


def test_a_file_from_the_person_is_ready_once_its_hash_matches() -> None:
    r = Recorder()
    r.files.offer_from_person(m.FileOffer(ID, "photo.jpg", 5, SHA), "bob")
    sent = r.take()
    assert ("agent", m.FileTicket(ID, "token", SHA)) in sent
    assert ("viewer", m.FileOffer(ID, "photo.jpg", 5, SHA, tr.TO_TECHNICIAN, "bob")) in sent
    r.files.uploaded(ID, SHA)
    assert r.statuses("viewer") == [("ready", "")]
    assert r.files.take_discarded() == []  # kept for the technician to download


def test_a_file_from_the_person_that_does_not_match_its_hash_fails() -> None:
    r = Recorder()
    r.files.offer_from_person(m.FileOffer(OTHER, "photo.jpg", 5, SHA), "bob")
    r.take()
    r.files.uploaded(OTHER, hashlib.sha256(b"hellp").hexdigest())
    assert r.statuses("viewer") == [("failed", tr.REASON_CHECKSUM)]
    assert r.files.take_discarded() == [OTHER]


def test_either_side_cancels_once_and_late_messages_are_ignored() -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "a.txt", 5), "Alice")
    r.files.cancel(ID, "person")
    r.take()
    r.files.cancel(ID, "technician")
    r.files.answer(m.FileAnswer(ID, True))
    r.files.progress(m.FileProgress(ID, 4))
    r.files.cancel("nonsense", "technician")
    assert r.take() == []
    assert r.files.get(ID) is not None and r.files.get(ID).by == "person"  # type: ignore[union-attr]


def test_a_delivery_with_the_wrong_hash_is_a_failure() -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "a.txt", 5), "Alice")
    r.files.answer(m.FileAnswer(ID, True))
    r.files.uploaded(ID, SHA)
    r.take()
    r.files.result(m.FileResult(ID, True, "", "0" * 64))
    assert r.statuses("viewer") == [("failed", tr.REASON_CHECKSUM)]


def test_the_end_of_the_session_drops_every_file() -> None:
    r = Recorder()
    r.files.offer_from_person(m.FileOffer(ID, "a.txt", 5, SHA), "bob")
    r.files.offer_from_technician(m.FileOffer(OTHER, "b.txt", 5), "Alice")
    r.files.end_all()
    assert sorted(r.files.take_discarded()) == sorted([ID, OTHER])


def test_a_viewer_that_rejoins_gets_every_transfer_again() -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "a.txt", 5), "Alice")
    replay = r.files.replay()
    assert replay == [m.FileOffer(ID, "a.txt", 5, "", tr.TO_PERSON, "Alice"),
                      m.FileStatus(ID, "offered")]


def test_file_messages_round_trip_on_the_wire() -> None:
    for message in (m.FileOffer(ID, "a.txt", 5), m.FileCancel(ID), m.FileAnswer(ID, False, "x"),
                    m.FileProgress(ID, 3), m.FileResult(ID, True, "", SHA)):
        sends = m.AGENT_SENDS if not isinstance(message, m.FileOffer | m.FileCancel) else (
            m.VIEWER_SENDS)
        assert m.parse(m.serialize(message), sends) == message


def ready_from_the_person(r: Recorder) -> None:
    r.files.offer_from_person(m.FileOffer(ID, "photo.jpg", 5, SHA), "bob")
    r.files.uploaded(ID, SHA)
    r.take()
    r.records.clear()


@pytest.mark.parametrize("ok", [True, False])
def test_a_result_for_a_file_that_is_already_complete_is_refused_alone(ok: bool) -> None:
    r = Recorder()
    ready_from_the_person(r)
    r.files.result(m.FileResult(ID, ok, "" if ok else tr.REASON_WRITE, SHA))
    assert r.files.get(ID).state is tr.TransferState.READY  # type: ignore[union-attr]
    assert (r.take(), r.records, r.files.take_discarded()) == ([], [], [])


@pytest.mark.parametrize("stage", ["offered", "accepted", "delivered"])
def test_a_result_before_the_ticket_or_after_delivery_is_ignored(stage: str) -> None:
    r = Recorder()
    r.files.offer_from_technician(m.FileOffer(ID, "a.txt", 5), "Alice")
    if stage != "offered":
        r.files.answer(m.FileAnswer(ID, True))
    if stage == "delivered":
        r.files.uploaded(ID, SHA)
        r.files.result(m.FileResult(ID, True, "", SHA))
    state = r.files.get(ID).state  # type: ignore[union-attr]
    r.take()
    r.files.result(m.FileResult(ID, False, tr.REASON_DISK_FULL))
    assert r.files.get(ID).state is state  # type: ignore[union-attr]
    assert r.take() == []


def test_a_failed_upload_racing_a_complete_one_changes_nothing() -> None:
    r = Recorder()
    ready_from_the_person(r)
    r.files.upload_failed(ID, tr.REASON_DISK_FULL)
    assert r.files.get(ID).state is tr.TransferState.READY  # type: ignore[union-attr]


def test_the_session_goes_on_after_a_result_for_a_complete_file() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", code_expires_at=1e12)
    session.issue_code("••• ••• 705")
    session.agent_joined(Person(hostname="pc", user="bob"))
    session.viewer_joined()
    session.receive_from_agent(m.Consent("allow_view"))
    session.receive_from_agent(m.FileOffer(ID, "photo.jpg", 5, SHA))
    session.files.uploaded(ID, SHA)
    session.data_to_send()
    session.receive_from_agent(m.FileResult(ID, True, "", SHA))
    session.receive_from_agent(m.Chat("still here"))
    assert session.state is State.VIEWING
    assert [out.message.type for out in session.data_to_send()] == ["chat_message"] * 2


@pytest.mark.parametrize(
    "character",
    # The bidirectional embeddings, overrides and isolates, the three marks,
    # zero-width space, word joiner, BOM, soft hyphen, a C1 control, a line
    # separator, and a surrogate (an undecodable byte of a Linux file name).
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
     "\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff", "\u00ad", "\u0085", "\u2028",
     "\udcff"],
)
def test_invisible_and_reordering_characters_are_refused(character: str) -> None:
    with pytest.raises(UnsafeFileName) as refused:
        check_file_name(f"report{character}txt.exe")
    assert refused.value.reason == tr.REASON_NAME_CHARACTERS


def test_the_classic_right_to_left_override_is_refused_by_the_server() -> None:
    r = Recorder()
    r.files.offer_from_person(m.FileOffer(ID, "report\u202etxt.exe", 5, SHA), "bob")
    assert r.statuses("agent") == [("refused", tr.REASON_NAME_CHARACTERS)]
    assert r.files.transfers == {}


@pytest.mark.parametrize("name", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.pdf",
                                  "\U0001f469\u200d\U0001f4bb notes.txt",
                                  "\u05d3\u05d5\u05d7.txt", "\u062a\u0642\u0631\u064a\u0631.pdf"])
def test_joiners_and_right_to_left_scripts_still_pass(name: str) -> None:
    # Persian "I want" with its zero-width non-joiner, an emoji sequence with
    # its joiner, Hebrew and Arabic names.
    assert check_file_name(name) == name
