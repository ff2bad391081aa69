"""The server is killed during a session: it comes back and the session resumes, or it
does not and the person is told in words that nothing is shared any more."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_control, reach_viewing
from tests.e2e.harness import Agent, canvas_pixel, close_to, wait_for, wait_for_status
from tests.support.server import ServerProcess

# A square the person opens while the server is down: on the technician's
# canvas, it can only come from frames sent after the session resumed.
SQUARE = """
import sys, tkinter as tk
root = tk.Tk()
root.overrideredirect(True)
root.geometry("240x240+900+480")
root.configure(background="#1e90ff")
root.mainloop()
"""
SQUARE_CENTRE = (1020, 600)
SQUARE_RGB = (0x1E, 0x90, 0xFF)


def kill(server: ServerProcess) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)


def test_the_server_restarts_during_viewing_and_the_session_resumes(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, run_window: Callable[..., None], tmp_path: Path,
) -> None:
    page = technician.page
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    reach_control(technician, agent)

    kill(server)
    # The person is told, in words, and can still end the session.
    banner = agent.window_saying("banner", "The connection to the server was lost. Reconnecting…")
    assert any("(attempt " in text for text in banner["texts"])
    assert any(text == "Nothing is shared until the connection is back." for text in
               banner["texts"])
    assert list(banner["buttons"]) == ["end_session"]
    wait_for_status(page, "Connection to the server lost. Reconnecting…")
    run_window(SQUARE)

    server.start()  # the same data folder, the same port
    # The session goes on in viewing: control is asked again after an interruption.
    agent.window_saying("banner", "Alice Martin, Entraide Numérique, can see your screen.",
                        timeout=60)
    wait_for_status(page, "View only", timeout=60)
    wait_for(lambda: close_to(canvas_pixel(page, *SQUARE_CENTRE), SQUARE_RGB),
             "the technician's canvas to show the square opened while the server was down",
             timeout=30)
    reach_control(technician, agent)

    page.click("#end-session")
    page.locator("#ended-message", has_text="You ended the session.").wait_for()
    assert agent.exit_code() == 0
    page.goto(technician.session_url + "/history")
    actions = page.locator("#events tr[data-action]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    after = actions[actions.index("server_restarted"):]
    assert after[:2] == ["server_restarted", "control_released"], actions
    # The agent and the viewer come back in either order.
    assert sorted(after[2:4]) == ["agent_reconnected", "viewer_connected"], actions
    assert after[4:] == ["control_requested", "control_granted", "session_ended"], actions


def test_the_server_does_not_come_back_and_the_person_is_told(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    code = technician.help_someone()
    agent = Agent(screen, server.url, tmp_path / "ui-trace.json", code=code.replace(" ", ""),
                  extra=["--reconnect-seconds", "4"]).start()
    agents.append(agent)
    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "allow_view")
    wait_for_status(technician.page, "View only")

    kill(server)
    agent.window_saying("banner", "Reconnecting… (attempt 1)")
    ended = agent.window("ended", timeout=30)
    assert ended["texts"][:4] == [
        "The session has ended.",
        "The connection to the server was lost and could not be restored, so the session ended.",
        "Control is off: nobody can use your mouse or keyboard.",
        "Nothing is shared: nobody can see your screen now.",
    ]
    assert "banner" not in agent.windows()
    assert agent.exit_code(timeout=30) == 1
