from __future__ import annotations

from coupdemain.agent.credit import ACK_TIMEOUT_SECONDS, Credit


def test_an_ack_covers_every_older_frame_and_unknown_ones_change_nothing() -> None:
    credit = Credit(3)
    for frame_id in (credit.next_frame_id() for _ in range(3)):
        credit.sent(frame_id, 0.0)
    assert credit.in_flight == [1, 2, 3] and credit.available == 0
    assert not credit.acked(7)
    assert credit.in_flight == [1, 2, 3]
    assert credit.acked(2)
    assert credit.in_flight == [3] and credit.available == 2


def test_frame_ids_wrap_around_past_zero() -> None:
    credit = Credit()
    credit._next_frame_id = 0xFFFFFFFF
    assert [credit.next_frame_id() for _ in range(2)] == [0xFFFFFFFF, 1]


def test_frames_without_an_ack_for_too_long_are_lost() -> None:
    credit = Credit()
    assert not credit.lost(100.0)
    credit.sent(1, 10.0)
    assert not credit.lost(10.0 + ACK_TIMEOUT_SECONDS)
    assert credit.lost(10.0 + ACK_TIMEOUT_SECONDS + 0.1)
    credit.forget()
    assert credit.in_flight == [] and not credit.lost(1000.0)
