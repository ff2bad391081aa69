"""The person's pointer travels apart from the picture and the viewer draws it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_control, reach_viewing
from tests.e2e.harness import (
    Agent,
    NotesApp,
    canvas_pixel,
    close_to,
    hex_rgb,
    page_point,
    wait_for,
    xdotool,
)
from tests.support.server import ServerProcess


def remote_cursor(page: Page) -> dict[str, Any]:
    """Where the viewer draws the person's pointer, in page pixels, and as what."""
    found: dict[str, Any] = page.evaluate(
        """() => {
            const img = document.querySelector('#remote-cursor');
            const r = img.getBoundingClientRect();
            return {hidden: img.hidden, src: img.getAttribute('src') || '',
                    left: r.left, top: r.top, width: r.width, height: r.height,
                    canvasCursor: document.querySelector('#screen').style.cursor};
        }"""
    )
    return found


def test_the_pointer_is_drawn_where_the_person_points(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, notes: NotesApp, tmp_path: Path,
) -> None:
    page = technician.page
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    bx, by = notes.block_centre()
    colour = hex_rgb(notes.state()["color"])
    wait_for(lambda: close_to(canvas_pixel(page, bx, by), colour), "the block on the canvas")

    # The person moves their pointer over the block: the viewer draws it there,
    # and the picture itself still shows the block under it.
    xdotool(screen, "mousemove", str(bx), str(by))
    px, py = page_point(page, bx, by)

    def drawn_at(x: float, y: float) -> dict[str, Any] | None:
        seen = remote_cursor(page)
        inside = (seen["left"] - 2 <= x <= seen["left"] + seen["width"] + 2
                  and seen["top"] - 2 <= y <= seen["top"] + seen["height"] + 2)
        return seen if not seen["hidden"] and inside else None

    seen = wait_for(lambda: drawn_at(px, py), "the pointer drawn over the block")
    assert seen["src"].startswith("data:image/png;base64,")
    assert seen["canvasCursor"] == ""
    assert close_to(canvas_pixel(page, bx, by), colour)

    # It follows the person's hand.
    xdotool(screen, "mousemove", str(bx + 60), str(by + 30))
    qx, qy = page_point(page, bx + 60, by + 30)
    wait_for(lambda: drawn_at(qx, qy), "the pointer to follow")

    # Under control, over the screen, it is the technician's own cursor.
    reach_control(technician, agent)
    page.mouse.move(px, py)
    wait_for(lambda: remote_cursor(page)["canvasCursor"].startswith("url(\"data:image/png"),
             "the person's pointer shape as the local cursor")
    assert remote_cursor(page)["hidden"]
