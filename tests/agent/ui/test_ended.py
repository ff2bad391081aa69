from __future__ import annotations

import pytest

from coupdemain.agent.ui.ended import reason_key
from coupdemain.agent.ui.events import ConnectionLost, SessionEnded
from coupdemain.protocol.errors import CloseReason


@pytest.mark.parametrize(
    ("by", "reason", "key"),
    [
        ("technician", CloseReason.ENDED_BY_TECHNICIAN, "ended.by_technician"),
        ("person", CloseReason.ENDED_BY_PERSON, "ended.by_person"),
        ("person", CloseReason.DECLINED, "ended.declined"),
        ("person", CloseReason.REPORTED_BY_PERSON, "ended.reported"),
        ("server", CloseReason.PEER_LOST, "ended.peer_lost"),
        ("server", CloseReason.SERVER_SHUTDOWN, "ended.server_shutdown"),
        ("server", CloseReason.TIMED_OUT, "ended.timed_out"),
        ("server", CloseReason.INTERNAL_ERROR, "ended.by_server"),
    ],
)
def test_who_ended_it(by: str, reason: CloseReason, key: str) -> None:
    assert reason_key(SessionEnded(by, int(reason), "Alice")) == key


def test_connection_lost() -> None:
    assert reason_key(ConnectionLost()) == "ended.connection_lost"
