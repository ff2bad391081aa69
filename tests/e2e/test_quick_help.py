"""The whole quick-help flow, as the technician and the person live it."""

from __future__ import annotations

import re
from pathlib import Path

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, start_agent
from tests.e2e.flows import reach_control
from tests.e2e.harness import (
    Agent,
    NotesApp,
    canvas_pixel,
    close_to,
    hex_rgb,
    page_point,
    wait_for,
    wait_for_status,
)
from tests.support.server import ServerProcess


def canvas_shows(technician: Technician, notes: NotesApp, colour: str) -> None:
    x, y = notes.block_centre()
    wait_for(
        lambda: close_to(canvas_pixel(technician.page, x, y), hex_rgb(colour)),
        f"the canvas to show {colour} at the block ({x}, {y})",
    )


def test_code_consent_view_control_and_end(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, notes: NotesApp, tmp_path: Path,
) -> None:
    page = technician.page
    code = technician.help_someone()
    assert re.fullmatch(r"\d{3} \d{3} \d{3}", code)
    assert re.fullmatch(r"\d{1,2}:\d{2}", page.locator("#countdown").inner_text().strip())

    # The person starts the agent without a code and types it in its window.
    agent = start_agent(agents, screen, server, tmp_path)
    agent.window("code_prompt")
    agent.type_code(code)

    consent = agent.window_saying("consent", "Alice Martin")
    assert any("Entraide Numérique" in text for text in consent["texts"])
    wait_for_status(page, "Waiting for the person to allow viewing")
    agent.click("consent", "allow_view")
    wait_for_status(page, "View only")
    banner = agent.window("banner")
    assert any("Alice Martin" in text for text in banner["texts"])

    # The technician sees the application's colour block as it is on the screen.
    canvas_shows(technician, notes, notes.state()["color"])

    # Typing while only viewing changes nothing on the person's computer.
    page.focus("#screen")
    page.keyboard.type("x")
    reach_control(technician, agent)
    agent.window_saying("banner", "control")
    assert notes.state()["text"] == ""

    page.focus("#screen")
    page.keyboard.press("r")
    wait_for(lambda: notes.state()["color"] == "#ff0000", "the block to turn red")
    canvas_shows(technician, notes, "#ff0000")

    page.keyboard.type("ello World")
    page.keyboard.press("Enter")
    page.keyboard.type("Hi!")
    page.keyboard.press("Backspace")
    page.keyboard.press("ArrowLeft")
    page.keyboard.type("y")
    wait_for(lambda: notes.state()["text"].rstrip("\n") == "rello World\nHyi",
             "the typed text in the application")
    page.keyboard.press("Control+a")
    wait_for(lambda: notes.state()["ctrl_a"] >= 1, "Ctrl+A to reach the application")

    # A click on the block, through the scaled canvas, lands on the block.
    bx, by = notes.block_centre()
    px, py = page_point(page, bx, by)
    page.mouse.click(px, py)
    wait_for(lambda: notes.state()["clicks"] >= 1, "the click to reach the block")
    canvas_shows(technician, notes, "#ffff00")

    # The technician ends; both sides are told, and the agent exits.
    page.click("#end-session")
    page.locator("#ended-message", has_text="You ended the session.").wait_for()
    ended = agent.window("ended")
    assert any("technician" in text.lower() or "Alice Martin" in text for text in ended["texts"])
    assert agent.exit_code() == 0

    # The history lists every step, with who did it.
    page.goto(technician.session_url + "/history")
    actions = page.locator("#events tr[data-action]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert actions == [
        "code_issued", "session_without_mandate", "code_used", "consent_given",
        "control_requested", "control_granted", "session_ended",
    ]
    assert "Session ended — the technician ended it" in page.locator("#events").inner_text()
