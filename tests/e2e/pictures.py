"""What the technician's picture holds, and what travelled to draw it.

``Wire`` watches the technician's WebSocket (the encodings the viewer
said it paints, the encodings of the rects it received); ``canvas_region``
and ``screen_region`` read the same rectangle from the viewer's canvas and
from the person's screen, as RGB, to compare them pixel for pixel.
"""

from __future__ import annotations

import json

import mss
import numpy as np
from playwright.sync_api import Page, WebSocket

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.frames import parse_frame

Region = tuple[int, int, int, int]  # x, y, width, height on the person's screen


class Wire:
    """What crosses the technician's WebSocket: the encodings said, the rect encodings seen.

    Playwright hands WebSocket events over only during its own calls: a
    test that waits on the wire makes one in its probe (``page.evaluate("1")``).
    """

    def __init__(self, page: Page) -> None:
        self.said: list[list[int]] = []
        self.seen: dict[Encoding, int] = {}
        page.on("websocket", self.watch)

    def watch(self, socket: WebSocket) -> None:
        socket.on("framesent", self.sent)
        socket.on("framereceived", self.received)

    def sent(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            message = json.loads(payload)
            if message.get("type") == "encodings":
                self.said.append(message["encodings"])

    def received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) and payload[:1] == b"\x01":
            for rect in parse_frame(payload).rects:
                self.seen[rect.encoding] = self.seen.get(rect.encoding, 0) + 1


def canvas_region(page: Page, region: Region) -> np.ndarray:
    """The region of the viewer's canvas, ``(height, width, 3)`` RGB."""
    x, y, width, height = region
    values = page.evaluate(
        """([x, y, w, h]) => Array.from(document.querySelector('#screen').getContext('2d')
               .getImageData(x, y, w, h).data)""",
        [x, y, width, height],
    )
    return np.array(values, np.uint8).reshape(height, width, 4)[..., :3]


def screen_region(screen: VirtualScreen, region: Region) -> np.ndarray:
    """The region of the person's screen, ``(height, width, 3)`` RGB."""
    x, y, width, height = region
    factory = getattr(mss, "MSS", None) or mss.mss
    with factory(display=screen.display) as grabber:
        shot = grabber.grab({"left": x, "top": y, "width": width, "height": height})
    return np.asarray(shot, np.uint8)[..., 2::-1]
