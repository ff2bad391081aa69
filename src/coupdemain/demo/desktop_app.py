"""A small notes application for the demo's virtual screen and the end-to-end tests.

``python -m coupdemain.demo.desktop_app --state-file PATH [--geometry 900x600+40+120]``

It shows a text area and a large colour block, and behaves the same way
every time so that tests can check what the technician's input did:

- every key typed changes the block's colour: ``r`` → #ff0000, ``g`` →
  #00ff00, ``b`` → #0000ff, any other key → the next colour of ``CYCLE``
  (modifier keys alone change nothing);
- a left click on the block makes it yellow (#ffff00);
- Ctrl+A selects all the text and is counted;
- the wheel, anywhere in the window, is counted.

After every change it rewrites the state file atomically (a temporary file,
then ``os.replace``), as JSON: ``text``, ``color``, ``clicks``,
``last_key`` (the X keysym name), ``ctrl_a``, ``wheel`` and ``block`` (the
block's position and size in screen pixels).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tkinter as tk
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TITLE = "coupdemain demo — Notes"
INITIAL_COLOR = "#3366cc"
KEY_COLORS = {"r": "#ff0000", "g": "#00ff00", "b": "#0000ff"}
CLICK_COLOR = "#ffff00"
# None of these is red, green, blue or yellow, so a test can tell them apart.
CYCLE = ("#ff8c00", "#8a2be2", "#00ced1", "#ff1493", "#708090", "#8b4513")
MODIFIER_KEYSYMS = frozenset({
    "Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Meta_L", "Meta_R",
    "Super_L", "Super_R", "ISO_Level3_Shift", "Caps_Lock", "Num_Lock",
})
CONTROL_MASK = 0x0004
BLOCK_SIZE = 240


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Writes JSON so that a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class NotesApp:
    """The window, its state, and the state file.

    Args:
        root: the Tk root window to build into.
        state_file: where to write the state after each change.
    """

    def __init__(self, root: tk.Tk, state_file: Path) -> None:
        self.root = root
        self.state_file = state_file
        self.color = INITIAL_COLOR
        self.clicks = 0
        self.last_key = ""
        self.ctrl_a = 0
        self.wheel = 0
        self._cycle_index = 0
        self._write_pending = False

        root.title(TITLE)
        root.configure(background="#f4f4f4")
        tk.Label(
            root, text="Notes — type in the box; click the coloured block.",
            background="#f4f4f4", font=("DejaVu Sans", 12), anchor="w",
        ).pack(side="top", fill="x", padx=12, pady=(10, 4))
        body = tk.Frame(root, background="#f4f4f4")
        body.pack(side="top", fill="both", expand=True, padx=12, pady=(0, 12))
        self.block = tk.Frame(
            body, width=BLOCK_SIZE, height=BLOCK_SIZE, background=self.color,
            highlightthickness=0, borderwidth=0,
        )
        self.block.pack(side="right", anchor="n", padx=(12, 0))
        self.block.pack_propagate(False)
        self.text = tk.Text(
            body, font=("DejaVu Sans Mono", 14), undo=False, wrap="word",
            background="white", foreground="black", insertbackground="black",
        )
        self.text.pack(side="left", fill="both", expand=True)

        self.text.bind("<KeyPress>", self._on_key)
        # Without a window manager, X focus follows only explicit requests.
        self.text.bind("<Button-1>", lambda _e: self.text.focus_force(), add="+")
        self.block.bind("<Button-1>", self._on_block_click)
        # Tk 8.6 binds buttons 1-5 only, so horizontal notches (6, 7) go uncounted.
        for sequence in ("<Button-4>", "<Button-5>", "<MouseWheel>"):
            root.bind_all(sequence, self._on_wheel, add="+")
        self.block.bind("<Configure>", lambda _e: self.schedule_write())
        root.after(100, self.text.focus_force)

    # --- events --------------------------------------------------------------

    def _on_key(self, event: tk.Event[Any]) -> str | None:
        keysym = str(event.keysym)
        self.last_key = keysym
        if keysym in MODIFIER_KEYSYMS:
            self.schedule_write()
            return None
        if int(event.state) & CONTROL_MASK and keysym in ("a", "A"):
            self.ctrl_a += 1
            self.text.tag_add("sel", "1.0", "end-1c")
            self.text.mark_set("insert", "end-1c")
            self._next_color(keysym)
            self.schedule_write()
            return "break"  # Tk's own Ctrl+A moves to the line start
        self._next_color(keysym)
        # The Text class binding inserts the character after this handler;
        # the write waits for it.
        self.schedule_write()
        return None

    def _next_color(self, keysym: str) -> None:
        if keysym in KEY_COLORS:
            self.set_color(KEY_COLORS[keysym])
        else:
            self.set_color(CYCLE[self._cycle_index % len(CYCLE)])
            self._cycle_index += 1

    def _on_block_click(self, _event: tk.Event[Any]) -> None:
        self.clicks += 1
        self.set_color(CLICK_COLOR)
        self.text.focus_force()
        self.schedule_write()

    def _on_wheel(self, _event: tk.Event[Any]) -> None:
        self.wheel += 1
        self.schedule_write()

    def set_color(self, color: str) -> None:
        self.color = color
        self.block.configure(background=color)

    # --- state file ----------------------------------------------------------

    def schedule_write(self) -> None:
        if not self._write_pending:
            self._write_pending = True
            self.root.after_idle(self.write_state)

    def state(self) -> dict[str, Any]:
        return {
            "text": self.text.get("1.0", "end-1c"),
            "color": self.color,
            "clicks": self.clicks,
            "last_key": self.last_key,
            "ctrl_a": self.ctrl_a,
            "wheel": self.wheel,
            "block": {
                "x": self.block.winfo_rootx(),
                "y": self.block.winfo_rooty(),
                "width": self.block.winfo_width(),
                "height": self.block.winfo_height(),
            },
        }

    def write_state(self) -> None:
        self._write_pending = False
        if not self.block.winfo_ismapped():
            return  # the block's position is not known yet; <Configure> comes back
        write_json_atomically(self.state_file, self.state())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-file", required=True, type=Path)
    parser.add_argument("--geometry", default="900x600+40+120")
    args = parser.parse_args(argv)
    try:
        root = tk.Tk()
    except tk.TclError as exc:
        print(f"The notes application needs an X display: {exc}", file=sys.stderr)
        return 1
    root.geometry(args.geometry)
    NotesApp(root, args.state_file)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
