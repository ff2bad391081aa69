from __future__ import annotations

import json

import pytest

from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import By, TransferState, ViewAnswer
from coupdemain.protocol.errors import (
    CloseReason,
    MalformedMessage,
    MessageTooLarge,
    NotAllowed,
    UnknownMessage,
)


@pytest.mark.parametrize(
    "message",
    [
        m.Hello(protocol=1, role="agent", code="482913705", hostname="pc", os="Linux", user="ma"),
        m.Key(code="KeyA", key="A", down=True),
        m.Pointer(x=10, y=20, buttons=1),
        m.Wheel(x=1, y=2, dx=0, dy=-3),
        m.State(state="viewing", paused=True, person_hostname="pc", code_expires_at=12.5),
        m.Ended(by="person", reason=int(CloseReason.ENDED_BY_PERSON)),
        m.Welcome(session_id="abc", technician_name="Alice", organisation="Entraide"),
        m.Screen(1024, 768, monitors=[
            {"x": 0, "y": 0, "width": 1280, "height": 800, "name": "DP-1", "primary": True},
            {"x": 1280, "y": 0, "width": 1024, "height": 768, "name": "HDMI-1", "primary": False},
        ], monitor=1),
        m.SelectMonitor(m.ALL_MONITORS),
        m.Watching([{"id": 9, "name": "Bob Durand", "organisation": "Entraide"}]),
        m.ControlRequest(9, "Bob Durand", "Entraide"),
        m.State(state="controlling", controller_id=9),
    ],
)
def test_round_trip(message: m.Message) -> None:
    assert m.parse(m.serialize(message), frozenset(m.MESSAGE_TYPES.values())) == message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"type": "consent", "decision": "maybe"}',
         "field 'decision' may not be 'maybe', only 'allow_view', 'decline'"),
        ('{"type": "control_decision", "decision": "allow_view"}',
         "field 'decision' may not be 'allow_view', only 'allow_control', 'keep_view_only'"),
        ('{"type": "hello", "protocol": 1, "role": "admin"}',
         "field 'role' may not be 'admin', only 'agent', 'viewer'"),
        ('{"type": "consent", "decision": 1}', "field 'decision' must be str, not int"),
        ('{"type": "file_offer", "id": "a", "name": "n", "size": 1, "direction": "up"}',
         "field 'direction' may not be 'up', only 'to_person', 'to_technician', ''"),
    ],
)
def test_a_value_outside_its_closed_set_is_refused_naming_it(text: str, words: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        m.parse(text, m.AGENT_SENDS)
    assert str(caught.value) == words
    assert caught.value.close_reason is CloseReason.MALFORMED_MESSAGE


def test_closed_sets_are_read_as_their_enum_members() -> None:
    consent = m.parse('{"type": "consent", "decision": "decline"}', m.AGENT_SENDS)
    assert isinstance(consent, m.Consent) and consent.decision is ViewAnswer.DECLINE
    status = m.parse('{"type": "file_status", "id": "a", "state": "failed", "by": "server"}',
                     m.SERVER_SENDS)
    assert isinstance(status, m.FileStatus)
    assert (status.state, status.by) == (TransferState.FAILED, By.SERVER)
    assert status.by is By.SERVER and status.state is TransferState.FAILED
    offer = m.parse('{"type": "file_offer", "id": "a", "name": "n", "size": 1}', m.AGENT_SENDS)
    assert isinstance(offer, m.FileOffer) and offer.direction == ""
    # The wire text is the member's value, unchanged.
    assert m.serialize(m.Ended(By.PERSON, 4001)) == '{"type":"ended","by":"person","reason":4001}'


def test_unknown_keys_are_ignored() -> None:
    text = '{"type":"pointer","x":1,"y":2,"buttons":0,"pressure":0.5}'
    assert m.parse(text, m.VIEWER_SENDS) == m.Pointer(1, 2, 0)


def test_non_ascii_survives() -> None:
    text = m.serialize(m.Welcome("s", "Hélène Dupré", "Entraide Numérique"))
    assert "Hélène" in text
    assert m.parse(text, m.SERVER_SENDS) == m.Welcome("s", "Hélène Dupré", "Entraide Numérique")


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("not json", MalformedMessage, "control message is not valid JSON"),
        ("[1, 2]", MalformedMessage, "control message must be a JSON object"),
        ('{"x": 1}', MalformedMessage, "control message has no 'type'"),
        ('{"type": "teleport"}', UnknownMessage, "unknown message type 'teleport'"),
        ('{"type": "key", "code": "KeyA", "down": true}', MalformedMessage,
         "message 'key' lacks field 'key'"),
        ('{"type": "pointer", "x": "1", "y": 2, "buttons": 0}', MalformedMessage,
         "field 'x' must be int, not str"),
        ('{"type": "pointer", "x": true, "y": 2, "buttons": 0}', MalformedMessage,
         "field 'x' must be int, not bool"),
        ('{"type": "welcome", "session_id": "s", "technician_name": "t", "organisation": "o"}',
         NotAllowed, "message 'welcome' may not be sent by this side"),
    ],
)
def test_bad_messages_are_refused_with_a_sentence(
    text: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        m.parse(text, m.VIEWER_SENDS)
    assert str(caught.value) == words


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('"monitors": [{"x": 0, "y": 0, "width": "wide", "height": 1}]',
         "each monitor needs integer x, y, width and height"),
        ('"monitors": [7]', "each monitor needs integer x, y, width and height"),
        ('"monitors": [], "monitor": 0', "monitor 0 is not one of the monitors listed"),
        ('"monitors": [' + ", ".join(['{"x": 0, "y": 0, "width": 1, "height": 1}'] * 17) + "]",
         "at most 16 monitors, not 17"),
    ],
)
def test_bad_monitor_lists_are_refused(body: str, words: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        m.parse('{"type": "screen", "width": 8, "height": 8, ' + body + "}", m.AGENT_SENDS)
    assert str(caught.value) == words


@pytest.mark.parametrize(
    "technicians",
    ['[{"id": "9", "name": "Bob", "organisation": "E"}]', '[{"id": 9, "name": "Bob"}]', "[7]"],
)
def test_bad_watching_lists_are_refused(technicians: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        m.parse('{"type": "watching", "technicians": ' + technicians + "}", m.SERVER_SENDS)
    assert str(caught.value) == (
        "each technician watching needs an integer id, a name and an organisation")


def test_oversized_control_message() -> None:
    text = json.dumps({"type": "key", "code": "KeyA", "key": "a" * m.MAX_CONTROL_MESSAGE_BYTES,
                       "down": True})
    with pytest.raises(MessageTooLarge) as caught:
        m.parse(text, m.VIEWER_SENDS)
    assert caught.value.close_reason is CloseReason.MESSAGE_TOO_LARGE


def nested(depth: int) -> str:
    """A chat message whose text is ``depth`` levels deep, counting the message itself."""
    return '{"type": "chat", "text": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Deep enough that json itself gives up with RecursionError.
        (nested(20_000), "control message is nested deeper than 32 levels"),
        (nested(m.MAX_JSON_DEPTH + 1), "control message is nested deeper than 32 levels"),
        ('{"type": "chat", "text": "hi \\ud800"}',
         "control message holds a lone UTF-16 surrogate"),
        ('{"type": "chat", "text": "\\udfff"}', "control message holds a lone UTF-16 surrogate"),
        ('{"type": "chat", "text": "x", "\\udc80": 1}',
         "control message holds a lone UTF-16 surrogate"),
        ('{"type": "chat", "text": "x", "later": [{"deep": ["\\ud83d"]}]}',
         "control message holds a lone UTF-16 surrogate"),
    ],
)
def test_json_no_one_could_use_is_refused_as_malformed(text: str, words: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        m.parse(text, m.VIEWER_SENDS)
    assert str(caught.value) == words
    assert caught.value.close_reason is CloseReason.MALFORMED_MESSAGE


def test_nesting_up_to_the_limit_and_surrogate_pairs_pass() -> None:
    with pytest.raises(MalformedMessage) as caught:   # parsed, then refused for its type
        m.parse(nested(m.MAX_JSON_DEPTH), m.VIEWER_SENDS)
    assert str(caught.value) == "field 'text' must be str, not list"
    # A pair is one character outside the BMP, not a lone surrogate.
    assert m.parse('{"type": "chat", "text": "\\ud83d\\ude00"}', m.VIEWER_SENDS) == m.Chat("😀")
