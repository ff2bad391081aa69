from __future__ import annotations

import numpy as np

from coupdemain.agent.capture.base import Monitor
from coupdemain.agent.capture.monitors import MonitorChoice
from coupdemain.protocol.messages import ALL_MONITORS

TWO = [Monitor(0, 0, 640, 480, "left", True), Monitor(640, 0, 800, 600, "right")]


def test_all_monitors_by_default_and_one_when_picked() -> None:
    choice = MonitorChoice()
    choice.update(TWO, 1440, 600)
    assert (choice.shared, choice.corner, choice.region) == (ALL_MONITORS, (0, 0), None)
    choice.index = 1
    choice.update(TWO, 1440, 600)
    assert (choice.shared, choice.corner) == (1, (640, 0))
    picture = np.zeros((600, 1440, 4), np.uint8)
    assert choice.crop(picture).shape == (600, 800, 4)


def test_a_monitor_partly_off_the_picture_shares_what_exists() -> None:
    choice = MonitorChoice()
    choice.index = 1
    choice.update([TWO[0], Monitor(640, -20, 900, 600, "right")], 1440, 600)
    assert choice.region == Monitor(640, 0, 800, 600, "right", False)


def test_a_monitor_gone_or_alone_falls_back_to_all() -> None:
    choice = MonitorChoice()
    choice.index = 1
    choice.update(TWO[:1], 640, 480)
    assert (choice.index, choice.shared) == (ALL_MONITORS, ALL_MONITORS)
    choice.index = 0
    choice.update(TWO[:1], 640, 480)  # one monitor: it is the whole picture
    assert choice.shared == ALL_MONITORS
