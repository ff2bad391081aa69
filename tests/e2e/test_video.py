"""Motion on the person's screen travels as H.264, decoded by WebCodecs, and ends pixel-exact."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import mss
import numpy as np
import pytest
from playwright.sync_api import Page, WebSocket

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.messages import parse_frame
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_viewing
from tests.e2e.harness import Agent, wait_for
from tests.support.desktop import read_json
from tests.support.server import ServerProcess

# A window that animates coloured blocks at about 30 frames a second, then
# rests on a picture of smooth gradients (photographic: first sent lossily).
ANIMATION = r"""
import json, random, sys, tkinter as tk
state_file, frames = sys.argv[1], int(sys.argv[2])
W, H = 448, 320
root = tk.Tk()
root.overrideredirect(True)
root.geometry(f"{W}x{H}+96+192")
canvas = tk.Canvas(root, width=W, height=H, highlightthickness=0, bg="#102030")
canvas.pack()
rng = random.Random(7)
count = 0

def frame():
    global count
    count += 1
    canvas.delete("all")
    if count <= frames:
        for _ in range(60):
            x, y = rng.randrange(W), rng.randrange(H)
            colour = "#%06x" % rng.randrange(1 << 24)
            canvas.create_rectangle(x, y, x + 40, y + 30, fill=colour, outline="")
        root.after(33, frame)
        return
    image = tk.PhotoImage(width=W, height=H)
    rows = []
    for y in range(H):
        rows.append("{" + " ".join(
            "#%02x%02x%02x" % ((x * 255) // W, (y * 255) // H, (x * y) % 256)
            for x in range(W)) + "}")
    image.put(" ".join(rows))
    canvas.image = image
    canvas.create_image(0, 0, image=image, anchor="nw")
    root.update_idletasks()
    root.after(200, lambda: open(state_file, "w").write(json.dumps({"done": True})))

root.after(300, frame)
root.mainloop()
"""
REGION = (96, 192, 448, 320)  # x, y, width, height on the person's screen


@pytest.fixture
def animate(screen: VirtualScreen, tmp_path: Path) -> Iterator[Callable[[Path, int], None]]:
    """Starts the animation window: ``animate(state_file, frames)``; killed at the end."""
    script = tmp_path / "animation.py"
    script.write_text(ANIMATION, encoding="utf-8")
    started: list[subprocess.Popen[bytes]] = []

    def start(state_file: Path, frames: int) -> None:
        started.append(subprocess.Popen(
            [sys.executable, str(script), str(state_file), str(frames)], env=screen.env()))

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def canvas_region(page: Page) -> np.ndarray:
    x, y, width, height = REGION
    values = page.evaluate(
        """([x, y, w, h]) => Array.from(document.querySelector('#screen').getContext('2d')
               .getImageData(x, y, w, h).data)""",
        [x, y, width, height],
    )
    return np.array(values, np.uint8).reshape(height, width, 4)[..., :3]


def screen_region(screen: VirtualScreen) -> np.ndarray:
    x, y, width, height = REGION
    factory = getattr(mss, "MSS", None) or mss.mss
    with factory(display=screen.display) as grabber:
        shot = grabber.grab({"left": x, "top": y, "width": width, "height": height})
    return np.asarray(shot, np.uint8)[..., 2::-1]


class Wire:
    """What crosses the technician's WebSocket: the encodings said, the rect encodings seen."""

    def __init__(self, page: Page) -> None:
        self.said: list[list[int]] = []
        self.seen: dict[Encoding, int] = {}
        self.frames_painted_after_video = 0
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


def test_motion_goes_as_h264_and_rest_is_pixel_exact(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path, animate: Callable[[Path, int], None],
) -> None:
    page = technician.page
    wire = Wire(page)
    reach_viewing(technician, agents, screen, server, tmp_path)
    said = wait_for(lambda: wire.said, "the viewer to say what it paints")
    if Encoding.H264 not in said[-1]:
        pytest.skip("this Chromium decodes no H.264 through WebCodecs")

    state = tmp_path / "animation.json"
    animate(state, 60)
    # Playwright hands WebSocket events over only during its own calls: the
    # probe makes one each time.
    wait_for(lambda: page.evaluate("1") and read_json(state), "the animation to come to rest",
             timeout=60)
    assert wire.seen.get(Encoding.H264, 0) >= 5, f"motion went as {wire.seen}"

    # At rest: the lossless refresh makes the technician's picture exact.
    want = screen_region(screen)
    wait_for(lambda: np.array_equal(canvas_region(page), want),
             "the canvas to match the screen pixel for pixel", timeout=20)
    assert wire.said == [said[-1]], "H.264 was never refused by the browser"
