"""Motion on the person's screen travels as H.264, decoded by WebCodecs, and ends pixel-exact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.encodings import Encoding
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_viewing_watched
from tests.e2e.harness import Agent, wait_for
from tests.e2e.pictures import canvas_region, screen_region
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


def test_motion_goes_as_h264_and_rest_is_pixel_exact(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path, run_window: Callable[..., None],
) -> None:
    page = technician.page
    wire, said = reach_viewing_watched(technician, agents, screen, server, tmp_path)
    if Encoding.H264 not in said:
        pytest.skip("this Chromium decodes no H.264 through WebCodecs")

    state = tmp_path / "animation.json"
    run_window(ANIMATION, str(state), "60")
    # Playwright hands WebSocket events over only during its own calls: the
    # probe makes one each time.
    wait_for(lambda: page.evaluate("1") and read_json(state), "the animation to come to rest",
             timeout=60)
    assert wire.seen.get(Encoding.H264, 0) >= 5, f"motion went as {wire.seen}"

    # At rest: the lossless refresh makes the technician's picture exact.
    want = screen_region(screen, REGION)
    wait_for(lambda: np.array_equal(canvas_region(page, REGION), want),
             "the canvas to match the screen pixel for pixel", timeout=20)
    assert wire.said == [said], "H.264 was never refused by the browser"
