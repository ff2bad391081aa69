"""A terminal-like window that scrolls reaches the technician as copies, and stays exact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.encodings import Encoding
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_viewing_watched
from tests.e2e.harness import Agent, wait_for
from tests.e2e.pictures import canvas_region, screen_region
from tests.support.desktop import read_json
from tests.support.server import ServerProcess

# A Tk text widget, like a terminal, full from the start and fed a numbered
# line every 40 ms: every line makes it scroll by one line.
LOG = r"""
import json, sys, tkinter as tk
state_file, lines = sys.argv[1], int(sys.argv[2])
root = tk.Tk()
root.overrideredirect(True)
root.geometry("640x384+96+160")
text = tk.Text(root, font=("Courier", 11), bg="#1e1e1e", fg="#e0e0e0", bd=0,
               highlightthickness=0, wrap="none")
text.pack(fill="both", expand=True)
count = 0

def add_line():
    global count
    count += 1
    words = " ".join(f"{(count * 7 + i * 13) % 997:03d}" for i in range(14))
    text.insert("end", f"{count:5d}  session log  {words}\n")
    text.see("end")

def line():
    if count >= lines:
        root.after(300, lambda: open(state_file, "w").write(json.dumps({"done": True})))
        return
    add_line()
    root.after(40, line)

for _ in range(30):
    add_line()
root.after(300, line)
root.mainloop()
"""
REGION = (96, 160, 640, 384)


def test_a_scrolling_window_travels_as_copies_and_stays_pixel_exact(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path, run_window: Callable[..., None],
) -> None:
    page = technician.page
    wire, said = reach_viewing_watched(technician, agents, screen, server, tmp_path)
    assert Encoding.COPY in said

    state = tmp_path / "log.json"
    run_window(LOG, str(state), "90")
    wait_for(lambda: page.evaluate("1") and read_json(state), "the log to stop scrolling",
             timeout=60)
    # 60 lines scrolled the window: most went as a copy.
    assert wire.seen.get(Encoding.COPY, 0) >= 20, f"the scroll went as {wire.seen}"
    assert wire.seen.get(Encoding.H264, 0) == 0, "text that scrolls never becomes video"

    want = screen_region(screen, REGION)
    wait_for(lambda: np.array_equal(canvas_region(page, REGION), want),
             "the canvas to match the screen pixel for pixel", timeout=20)
