"""Chat between the console and the person's window, kept with the session."""

from __future__ import annotations

from pathlib import Path

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_viewing
from tests.e2e.harness import Agent, wait_for, xdotool
from tests.support.server import ServerProcess


def test_chat_round_trip_survives_a_reload_and_lands_in_the_history(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    page = technician.page
    agent = reach_viewing(technician, agents, screen, server, tmp_path)

    page.fill("#chat-input", "Bonjour, je vois votre écran.")
    page.press("#chat-input", "Enter")
    page.locator("#chat-log li", has_text="Bonjour, je vois votre écran.").wait_for()

    # The person is told on the banner; the chat window does not pop up by itself.
    agent.window_saying("banner", "New message from Alice Martin")
    assert "chat" not in agent.windows()
    agent.click("banner", "chat")
    chat = agent.window("chat")
    assert [m["text"] for m in chat["messages"]] == ["Bonjour, je vois votre écran."]
    entry = chat["entries"]["message"]
    xdotool(screen, "mousemove", str(entry["x"] + 10), str(entry["y"] + 5), "click", "1")
    xdotool(screen, "type", "--delay", "20", "Merci !")
    agent.click("chat", "send")
    page.locator("#chat-log li.chat-person", has_text="Merci !").wait_for()

    # A reload of the technician's page loses nothing.
    page.reload()
    page.locator("#status", has_text="View only").wait_for()
    texts = page.locator("#chat-log li .chat-text").all_inner_texts()
    assert texts == ["Bonjour, je vois votre écran.", "Merci !"]
    wait_for(lambda: len(agent.windows()["chat"]["messages"]) == 2, "the person's transcript")

    page.click("#end-session")
    page.locator("#ended-message").wait_for()
    page.goto(technician.session_url + "/history")
    rows = page.locator("#events tr[data-action=chat_message]").all_inner_texts()
    assert len(rows) == 2
    assert "Bonjour, je vois votre écran." in rows[0] and "Alice Martin" in rows[0]
    assert "Merci !" in rows[1]
