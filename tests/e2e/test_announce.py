"""The technician announces and informs: the person answers a window, steps show on the banner."""

from __future__ import annotations

from pathlib import Path

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_control, reach_viewing
from tests.e2e.harness import Agent
from tests.support.server import ServerProcess


def test_a_restart_is_asked_a_step_is_shown_and_the_end_is_said_in_words(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    page = technician.page
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    reach_control(technician, agent)

    page.select_option("#announce-kind", "restart")
    page.fill("#announce-text", "I will restart the computer to finish the update.")
    page.press("#announce-text", "Enter")
    entry = page.locator("#timeline-log li.timeline-announcement")
    entry.locator(".timeline-answer", has_text="Waiting for the person's answer").wait_for()

    question = agent.window_saying("action", "would like to restart your computer.")
    assert question["texts"][:2] == [
        "Alice Martin, Entraide Numérique, would like to restart your computer.",
        "In their words: “I will restart the computer to finish the update.”",
    ]
    agent.click("action", "action_not_now")
    entry.locator(".timeline-answer", has_text="The person said Not now").wait_for()
    assert "action" not in agent.windows()

    page.fill("#step-text", "I am checking your network settings")
    page.press("#step-text", "Enter")
    banner = agent.window_saying("banner", "I am checking your network settings")
    assert "Alice Martin: “I am checking your network settings”" in banner["texts"]
    step = page.locator("#timeline-log li.timeline-step")
    step.locator(".timeline-answer", has_text="Shown on the person's banner").wait_for()

    page.click("#end-session")
    ended = agent.window_saying("ended", "Control is off")
    assert ended["texts"][2:] == [
        "Control is off: nobody can use your mouse or keyboard.",
        "Nothing is shared: nobody can see your screen now.",
        "You can close this window. It also closes by itself in a few seconds.",
    ]

    page.goto(technician.session_url + "/history")
    announced = page.locator("#events tr[data-action=action_announced]").inner_text()
    assert "Action announced (restart the computer, asked the person):" in announced
    answered = page.locator("#events tr[data-action=action_answered]").inner_text()
    assert "The person answered (restart the computer): Not now" in answered
    assert "I am checking your network settings" in page.locator(
        "#events tr[data-action=step_written]").inner_text()
