"""Which monitor is shared: all of them, or one, cut out of the whole picture."""

from __future__ import annotations

import logging

import numpy as np

from ...protocol.messages import ALL_MONITORS
from .base import Monitor, Pixels

logger = logging.getLogger("coupdemain.agent.capture.monitors")


class MonitorChoice:
    """The monitor the technician picked (an index into the source's monitors), or all.

    The choice holds from one keyframe to the next: ``update`` reads it
    against the monitors then listed, falling back to all of them when the
    one picked is gone.
    """

    def __init__(self) -> None:
        self.index = ALL_MONITORS
        # The shared monitor's rectangle in the whole picture; None: all of it.
        self.region: Monitor | None = None

    @property
    def shared(self) -> int:
        """The index of the monitor shared, or ``ALL_MONITORS``."""
        return self.index if self.region is not None else ALL_MONITORS

    @property
    def corner(self) -> tuple[int, int]:
        """Where the shared picture's top-left corner lies in the whole picture."""
        return (self.region.x, self.region.y) if self.region is not None else (0, 0)

    def update(self, monitors: list[Monitor], width: int, height: int) -> None:
        """Picks the region shared on a ``width`` x ``height`` picture spanning ``monitors``."""
        if not 0 <= self.index < len(monitors):
            if self.index != ALL_MONITORS:
                logger.info("monitor %d is gone; sharing all of them", self.index + 1)
            self.index = ALL_MONITORS
        self.region = None
        if self.index != ALL_MONITORS and len(monitors) > 1:
            monitor = monitors[self.index]
            # Clipped to the picture: a monitor reported partly off-screen shares what exists.
            x, y = max(0, monitor.x), max(0, monitor.y)
            self.region = Monitor(
                x, y,
                max(1, min(monitor.width, width - x)), max(1, min(monitor.height, height - y)),
                monitor.name, monitor.primary,
            )

    def crop(self, pixels: Pixels) -> Pixels:
        """The shared part of a whole picture."""
        region = self.region
        if region is None:
            return pixels
        return np.ascontiguousarray(
            pixels[region.y : region.y + region.height, region.x : region.x + region.width]
        )
