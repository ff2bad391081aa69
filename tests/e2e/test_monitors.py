"""Several monitors: the technician picks the one to see, and input lands on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
)
from tests.support.server import ServerProcess
from tests.support.xorg import MonitorsDesktop, missing_tools

LEFT, RIGHT = (1280, 800), (1024, 768)


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[MonitorsDesktop]:
    """Overrides the single Xvfb screen: two monitors side by side."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"a two-monitor desktop needs {', '.join(missing)}")
    with MonitorsDesktop([LEFT, RIGHT], tmp_path / "xorg") as desktop:
        yield desktop


def canvas_size(technician: Technician) -> tuple[int, int]:
    size = technician.page.evaluate(
        "() => { const c = document.querySelector('#screen'); return [c.width, c.height]; }")
    return int(size[0]), int(size[1])


def test_switch_to_the_second_monitor_and_click_there(
    technician: Technician, agents: list[Agent], screen: MonitorsDesktop,
    server: ServerProcess, tmp_path: Path,
) -> None:
    # The notes application lives on the right-hand monitor.
    notes = NotesApp(screen, tmp_path / "notes.json", geometry=f"900x560+{LEFT[0] + 60}+100")  # type: ignore[arg-type]
    try:
        agent = reach_viewing(technician, agents, screen, server, tmp_path)  # type: ignore[arg-type]
        page = technician.page

        # Both monitors are offered; the whole desktop is shown first.
        buttons = page.locator("#monitors button")
        buttons.nth(2).wait_for()
        assert buttons.all_inner_texts() == ["Screen 1", "Screen 2", "All screens"]
        assert page.locator("#monitors button[aria-pressed=true]").inner_text() == "All screens"
        wait_for(lambda: canvas_size(technician) == (LEFT[0] + RIGHT[0], LEFT[1]),
                 "the canvas to span both monitors")
        bx, by = notes.block_centre()
        assert bx > LEFT[0], "the application should be on the right-hand monitor"
        wait_for(lambda: close_to(canvas_pixel(page, bx, by), hex_rgb(notes.state()["color"])),
                 "the whole desktop to show the block")

        # Screen 2: the picture is that monitor alone, the block at its place on it.
        page.click("#monitors button[data-monitor='1']")
        wait_for(lambda: canvas_size(technician) == RIGHT, "the canvas to show monitor 2 alone")
        assert page.locator("#monitors button[aria-pressed=true]").inner_text() == "Screen 2"
        wait_for(lambda: close_to(canvas_pixel(page, bx - LEFT[0], by),
                                  hex_rgb(notes.state()["color"])),
                 "monitor 2's picture to show the block")

        # A click on the block as monitor 2 shows it lands on the block.
        reach_control(technician, agent)
        px, py = page_point(page, bx - LEFT[0], by)
        page.mouse.click(px, py)
        wait_for(lambda: notes.state()["clicks"] >= 1, "the click to reach the block")
        wait_for(lambda: close_to(canvas_pixel(page, bx - LEFT[0], by), hex_rgb("#ffff00")),
                 "the block to turn yellow on monitor 2's picture")

        # Back to all screens.
        page.click("#monitors button[data-monitor='-1']")
        wait_for(lambda: canvas_size(technician) == (LEFT[0] + RIGHT[0], LEFT[1]),
                 "the canvas to span both monitors again")

        page.click("#end-session")
        page.locator("#ended-message").wait_for()
        page.goto(technician.session_url + "/history")
        rows = page.locator("#events tr[data-action=monitor_selected]")
        assert rows.all_inner_texts()[0].endswith("Monitor shown: 2")
        assert rows.all_inner_texts()[1].endswith("Monitor shown: all monitors")
    finally:
        notes.stop()
