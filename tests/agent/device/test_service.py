"""The service's waits between two attempts: doubling, bounded, jittered."""

from __future__ import annotations

from coupdemain.agent.device.service import backoff_wait


def test_the_waits_double_up_to_the_longest() -> None:
    assert [backoff_wait(n, 60.0, lambda: 1.0) for n in range(8)] == [
        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff_wait(1000, 60.0, lambda: 1.0) == 60.0


def test_the_jitter_keeps_between_half_and_all() -> None:
    assert backoff_wait(3, 60.0, lambda: 0.0) == 4.0
    assert backoff_wait(3, 60.0, lambda: 0.5) == 6.0
