"""No silent takeover: an admin who opens a technician's live session is shown
to the person, gets view only until the person allows *them*, and what they
do is recorded under their own name."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, sign_in
from tests.e2e.flows import reach_control, reach_viewing
from tests.e2e.harness import Agent, wait_for_status
from tests.support.server import ServerProcess


def test_an_admin_opening_a_controlled_session_is_shown_and_must_ask_for_control(
    technician: Technician, browser: Browser, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    server.create_user("rose", "Rose Admin", "Entraide Numérique", role="admin")
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    reach_control(technician, agent)

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        admin = context.new_page()
        sign_in(admin, server, "rose")
        admin.goto(technician.session_url)

        # The person sees who watches now; control is theirs again.
        banner = agent.window_saying(
            "banner", "Rose Admin, Entraide Numérique, can see your screen. "
                      "They took over from Alice Martin.")
        assert "stop_control" not in banner["buttons"]
        # Alice is told, in words, and no longer sees the screen.
        technician.page.locator(
            "#ended-sentence",
            has_text="Rose Admin opened this session from their console. They see the "
                     "person's screen now; you no longer do.",
        ).wait_for()

        # The admin views only, until the person allows *her*.
        wait_for_status(admin, "View only")
        admin.click("#request-control")
        agent.window_saying("control", "Rose Admin, Entraide Numérique, asks to control "
                                       "your computer.")
        wait_for_status(admin, "Waiting for the person to allow control")
        agent.click("control", "allow_control")
        wait_for_status(admin, "You have control")

        admin.fill("#chat-input", "Bonjour, ici Rose.")
        admin.press("#chat-input", "Enter")
        agent.window_saying("banner", "New message from Rose Admin")

        admin.click("#end-session")
        admin.locator("#ended-message").wait_for()
        admin.goto(technician.session_url + "/history")
        chats = admin.locator("#events tr[data-action=chat_message]").all_inner_texts()
        assert len(chats) == 1
        assert "Rose Admin" in chats[0] and "Bonjour, ici Rose." in chats[0]
        assert "Alice Martin" not in chats[0]
        requests = admin.locator("#events tr[data-action=control_requested]").all_inner_texts()
        assert ["Alice Martin" in r for r in requests] == [True, False]
        assert "Rose Admin" in requests[1]
    finally:
        context.close()
