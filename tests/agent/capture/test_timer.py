from __future__ import annotations

import asyncio

from coupdemain.agent.capture.timer import FrameTimer


async def test_a_nudge_brings_the_timer_forward() -> None:
    timer = FrameTimer(fps=0.01)  # a tick every 100 s
    await timer.wait_for_change()  # the first returns at once
    waiting = asyncio.ensure_future(timer.wait_for_change())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    timer.nudge()
    await asyncio.wait_for(waiting, 5)
    assert timer.take_damage() is None
